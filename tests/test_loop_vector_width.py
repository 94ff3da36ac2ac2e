"""Compiled loops ask LLVM for 512-bit vectors where the processor has AVX-512,
only when numba has compiled nothing yet in the process and the user chose no
processor; NEUROGEBRA_JIT_VECTORS=256 keeps numba's own choice. Each case runs
in a fresh process, as a user's program would: numba fixes its processor
features at its first compile."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

PROGRAM = """
import sys, time
import numpy as np
if sys.argv[1] == "numba first":
    import numba
    numba.njit(lambda x: x + 1)(1.0)
from neurogebra import Expression
f = Expression("f", "softplus(x) + tanh(x)")
x = np.linspace(-3.0, 3.0, 600_000)
for _ in range(3):
    f.eval(x=x)                       # starts the loop's compile in the background


def compiled():   # read, not imported: an import here would race the compiling thread's
    registry = sys.modules.get("numba.core.registry")
    target = getattr(registry, "cpu_target", None)
    return target is not None and "_toplevel_target_context" in vars(target)


deadline = time.monotonic() + 60
while not compiled() and time.monotonic() < deadline:
    time.sleep(0.05)
import llvmlite.binding as llvm
from numba.core import config
has_avx512 = "+avx512f" in llvm.get_host_cpu_features().flatten().split(",")
print(has_avx512, str(config.CPU_FEATURES).endswith(",-prefer-256-bit"))
"""


def _run(case: str, **env) -> tuple[bool, bool]:
    """(whether the processor has AVX-512, whether wide vectors were asked for)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CPU")}
    environment.update(NEUROGEBRA_JIT="on", NEUROGEBRA_JIT_AFTER="0", **env)
    done = subprocess.run([sys.executable, "-c", PROGRAM, case], capture_output=True,
                          text=True, env=environment, timeout=180)
    assert done.returncode == 0, done.stderr
    has_avx512, asked = done.stdout.split()
    return has_avx512 == "True", asked == "True"


def test_wide_vectors_are_asked_for_where_the_processor_has_them():
    has_avx512, asked = _run("first")
    assert asked == has_avx512


@pytest.mark.parametrize("case, env", [("first", {"NEUROGEBRA_JIT_VECTORS": "256"}),
                                       ("numba first", {}),
                                       ("first", {"NUMBA_CPU_NAME": "host"})])
def test_the_users_choice_and_an_earlier_numba_compile_are_left_alone(case, env):
    assert _run(case, **env)[1] is False
