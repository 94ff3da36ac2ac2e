"""White-box tests of one internal module: neurogebra.compile._compiler_warnings.

A loop compiled by numba in the background must not touch the warnings of
the user's threads: numba collects its own warnings with
``warnings.catch_warnings``, which swaps process-wide state, so a warning the
user's thread raised meanwhile went into numba's list and a ``pytest.warns``
block missed it.
"""

import contextlib
import threading
import warnings

import numpy as np
import pytest

from neurogebra import Expression
from neurogebra.compile import _compiler_warnings, _fast_math, _jit

numba = pytest.importorskip("numba")
from numba.core import errors as numba_errors  # noqa: E402


def _numba_collecting_in_a_thread(confine: bool):
    """A thread inside numba's warning collection; returns (thread, let it leave)."""
    inside, leave = threading.Event(), threading.Event()

    def compiling():
        with _compiler_warnings.confined() if confine else contextlib.nullcontext():
            with numba_errors.WarningsFixer(numba_errors.NumbaWarning).catch_warnings():
                inside.set()
                leave.wait(10)

    thread = threading.Thread(target=compiling)
    thread.start()
    assert inside.wait(10)
    return thread, leave


def test_numba_collecting_warnings_in_a_confined_thread_leaves_other_threads_theirs():
    _compiler_warnings.install()
    filters = list(warnings.filters)
    thread, leave = _numba_collecting_in_a_thread(confine=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leave.set()
        thread.join()                  # numba's collection ends while ours is open
        warnings.warn("raised by the user's thread", RuntimeWarning)
    assert [str(w.message) for w in caught] == ["raised by the user's thread"]
    assert warnings.filters == filters


def test_unconfined_the_race_is_real(monkeypatch):
    """The same without confinement loses the warning: what the module is for.
    (The race leaves the process's warning state changed: it is put back.)"""
    _compiler_warnings.install()
    monkeypatch.setattr(warnings, "filters", list(warnings.filters))
    monkeypatch.setattr(warnings, "_showwarnmsg_impl", warnings._showwarnmsg_impl)
    thread, leave = _numba_collecting_in_a_thread(confine=False)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            leave.set()
            thread.join()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # (not printed where the recorder was lost)
                warnings.warn("raised by the user's thread", RuntimeWarning)
        assert caught == []
    finally:
        thread.join()


def test_other_threads_see_the_warnings_module():
    _compiler_warnings.install()
    assert numba_errors.warnings is not warnings          # the stand-in is in place
    with numba_errors.warnings.catch_warnings(record=True) as caught:
        numba_errors.warnings.simplefilter("always")
        warnings.warn("seen", UserWarning)
    assert [str(w.message) for w in caught] == ["seen"]
    assert numba_errors.warnings.warn is warnings.warn


def test_warnings_stay_with_the_user_while_a_loop_compiles(monkeypatch, no_compile_running):
    """End to end: an evaluation's divide-by-zero warning is caught by the
    user's block every time while a formula compiles in the background.
    (Without confinement about 10 of 190,000 were lost here; the loop keeps the
    main thread busy, which slows the compile to about 10 s but is what lets the
    threads interleave.)"""
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")
    monkeypatch.setattr(_jit, "_states", type(_jit._states)())
    monkeypatch.setattr(_fast_math, "_FAST", {})
    _jit._imported()      # (numba's import, once per process, is not confined: see the module)
    x = np.random.default_rng(0).uniform(-3, 3, 600_000)
    Expression("g", "x*x*x - x/3 + 1").eval(x=x)
    (state,) = _jit._states.values()
    divided = Expression("f", "x + 1/c", params={"c": 0.0})
    tries = missed = 0
    while not state.done.is_set() or tries < 100:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            divided.eval(x=np.ones(3))
        tries += 1
        missed += not any("divide by zero" in str(w.message) for w in caught)
    assert state.status in ("ready", "failed") and missed == 0, (tries, missed)


def test_confinement_nests():
    with _compiler_warnings.confined():
        with _compiler_warnings.confined():
            pass
        assert numba_errors.warnings.catch_warnings(record=True).__enter__() == []
    with numba_errors.warnings.catch_warnings(record=True) as caught:   # unconfined again
        numba_errors.warnings.simplefilter("always")
        warnings.warn("seen", UserWarning)
    assert len(caught) == 1
