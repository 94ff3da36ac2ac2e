"""The width of the vectors in numba's loops: 512 bits where the processor has them.

LLVM prefers 256-bit vectors on Intel processors with AVX-512 (the first of them
lowered their clock for 512-bit instructions), so a numba loop computes 4
doubles at a time where NumPy's own vectorised exp and tanh compute 8. The
compiled loops of formulas are bound by arithmetic (``_loop_math``'s exp, log,
pow), and with 512-bit vectors they took 0.57 to 0.8 of the time on an
Emerald Rapids core (softplus 5.65 -> 3.61 ms per 1e6 elements, tanh 2.37 ->
1.75, binary_focal 18.7 -> 11.5); the ones bound by memory did not change.

numba compiles with one set of processor features per process, chosen when it
first compiles. So the preference is set only before numba has compiled
anything, and only where the user chose no processor (``NUMBA_CPU_NAME``,
``NUMBA_CPU_FEATURES``) and did not set ``NEUROGEBRA_JIT_VECTORS=256``. It
holds for the user's own numba functions compiled later in the same process:
their values do not change (wider vectors do not reorder arithmetic), except
sums compiled with ``fastmath=True``, which numba may then add in another
order.
"""

from __future__ import annotations

import os

__all__ = ["ENV_VECTORS", "prefer_wide_vectors"]

ENV_VECTORS = "NEUROGEBRA_JIT_VECTORS"


def prefer_wide_vectors() -> bool:
    """Ask LLVM for 512-bit vectors in every loop numba compiles from now on,
    where that is possible and wanted (above); whether it was asked."""
    from numba.core import config, registry
    if os.environ.get(ENV_VECTORS, "").strip() == "256" or config.CPU_FEATURES is not None \
            or os.environ.get("NUMBA_CPU_NAME") or os.environ.get("NUMBA_CPU_FEATURES") \
            or "_toplevel_target_context" in vars(registry.cpu_target):   # numba compiled
        return False
    import llvmlite.binding as llvm
    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" not in features.split(","):
        return False
    config.CPU_FEATURES = features + ",-prefer-256-bit"
    return True
