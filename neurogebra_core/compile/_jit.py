"""One fused pass for formulas evaluated often on large arrays, through numba.

NumPy code makes one pass over the data per operation (about 0.5 ns per
element and pass, even inside a cache-sized block); a compiled loop makes one
pass for the whole formula: huber on 1e6 points takes 0.5 ms instead of 2.3.
Compiling costs 0.1 to 0.8 s, so a formula is compiled only once its NumPy
evaluations of large arrays have taken ``$NEUROGEBRA_JIT_AFTER`` seconds
(default 1), in a background thread, and it pays for itself soon after. The
loop's first calls are timed, each followed by a timed call of NumPy's code,
and it is kept only if one of its first eight takes under three quarters of
NumPy's best time (from the third call between the loop's, its best of those:
of the same seconds); a loop calls the C library's atan or lgamma one element
at a time, NumPy's ufuncs may be vectorised.

What is compiled is the formula's *scalar* code, the one Python floats run,
whose every digit the accuracy sweep checks, with one change: its exp, expm1,
log, log1p, pow, tanh, cosh, sinh, frexp and ldexp, and the sigmoid kernel, are
:mod:`._loop_math`'s, its erf and erfc :mod:`._loop_erf`'s and the formula's
own sin and cos :mod:`._loop_trig`'s, which LLVM vectorises (exp within 0.6
ulp, tanh 2.7, sigmoid 2.4, erfc 2, the others about 1; frexp and ldexp
exact; the C library's, called one element at a time, made a loop of silu's
slope 8x slower than NumPy).
tests/whitebox/test_compile_jit_accuracy.py holds every built-in's loop to
the 12 digits. Before a compiled loop is used, it must give the values of
that scalar code run by Python with the loop's math functions, on a sweep of
values across the float range and on a sample of the arrays that started
the compile; where numba cannot compile a kernel, or the values differ, the
formula stays on NumPy. (A zero's sign is not compared: Python's code may
keep an integer 0 where the loop, as NumPy, computes in floats: -max(0, y)
is -0.0 there.) Both sides of a choice are computed, and one kept. A result
that is not finite (an overflow, a nan) is computed again by NumPy, element
by element, whose masks, selects and warnings decide those values. A kernel
may offer a ``loop_form``: a kernel of the same values that numba compiles
better (without calls or branches, which LLVM vectorises; without the Python
object it reads). ``NEUROGEBRA_JIT=off`` turns this off, and it is off where
numba is not installed (``pip install numba``).
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import threading
import types
from collections import OrderedDict

import numpy as np

from ._compiler_warnings import confined
from ._compiler_warnings import install as install_confined_warnings
from ._float_errors import PYTHON_FLOAT_FAILURES
from ._vector_width import prefer_wide_vectors

__all__ = ["fused_loop", "record", "judge", "ENV_JIT", "ENV_AFTER", "FUSED_OPERATIONS",
           "available", "compiling", "compiled_loop_status", "claim", "release", "tried",
           "numpy_turn", "BackgroundLoop"]

ENV_JIT = "NEUROGEBRA_JIT"
ENV_AFTER = "NEUROGEBRA_JIT_AFTER"
_AFTER = 1.0          # seconds of NumPy evaluation of large arrays before compiling
_KEPT = 256           # formulas whose state is kept (least recently used dropped)
FUSED_OPERATIONS = 1  # none (x, a constant): a copy; formulas of any operation are timed
_TRIALS = 3           # NumPy calls timed before a new loop runs
_LOOP_TRIALS = 8      # calls of a new loop timed, at most, before it is dropped as slower
_GAIN = 0.75          # a call of a new loop under this fraction of NumPy's best keeps it (noise)
_PAIRED = 3           # NumPy's calls between a new loop's that make its measure (see tried)
_THREAD = "neurogebra-jit"   # the name of the threads that compile
_busy = False         # a loop is being compiled (one at a time: see claim)

_lock = threading.Lock()
_states: OrderedDict = OrderedDict()   # (scalar source, kinds) -> _State
_numba = None                          # True/False: installed; then the module
_jitted_kernels: dict = {}             # Python kernel -> its numba dispatcher
_replaced: dict | None = None          # math.exp and the math module -> what loops call
_replacing = threading.RLock()


class _State:
    __slots__ = ("spent", "loop", "status", "done", "numpy_rate", "numpy_calls", "loop_rates",
                 "paired", "judged", "numbers", "general")

    def __init__(self):
        self.spent = 0.0
        self.loop = None
        self.status = "counting"       # -> "compiling" -> "ready" | "failed" | "slower"
        self.done = threading.Event()
        self.numpy_rate = float("inf")   # the best seconds per element NumPy took
        self.numpy_calls = 0             # of as many calls (a first one is slow)
        self.loop_rates: list = []       # the loop's first calls, the same
        self.paired: list = []           # NumPy's calls between those (:func:`numpy_turn`)
        self.judged = False              # the loop kept or dropped (:func:`tried`)
        self.numbers = ()                # the number arguments written into the loop
        self.general = False             # the numbers changed: a loop that reads them

    def recount(self) -> None:
        """Back to counting NumPy's time, for a general loop: the numbers written
        into this one changed (a parameter set anew)."""
        self.loop, self.status, self.spent, self.loop_rates = None, "counting", 0.0, []
        self.paired = []
        self.judged = False
        self.general = True
        self.done.clear()


def available() -> bool:
    """Whether formulas may be compiled: numba is installed and ``$NEUROGEBRA_JIT``
    is not off. (numba is imported by the compiling thread: 160 ms.)"""
    if os.environ.get(ENV_JIT, "").strip().lower() in ("off", "0", "false", "no"):
        return False
    global _numba
    if _numba is None:
        _numba = importlib.util.find_spec("numba") is not None
    return bool(_numba)


def _imported():
    """The numba module, imported once (by a compiling thread)."""
    global _numba
    if not isinstance(_numba, types.ModuleType):
        import numba
        prefer_wide_vectors()      # before numba compiles anything
        install_confined_warnings()
        _numba = numba
    return _numba


def _after() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_AFTER, _AFTER)))
    except ValueError:
        return _AFTER


def _key(scalar, kinds: tuple) -> tuple:
    return (scalar.source, kinds)


def _state(key) -> _State:
    with _lock:
        state = _states.get(key)
        if state is None:
            state = _states[key] = _State()
            while len(_states) > _KEPT:
                _states.popitem(last=False)
        else:
            _states.move_to_end(key)
        return state


def fused_loop(scalar, kinds: tuple, arguments: list):
    """The compiled loop for the scalar function ``scalar`` and argument kinds
    (True: an array, False: a number), or None while there is none (or while
    its numbers are not these ``arguments``')."""
    state = _states.get(_key(scalar, kinds))
    if state is None or state.numpy_calls < _TRIALS:   # NumPy's best known first
        return None
    loop = state.loop
    if loop is not None and state.numbers:
        numbers = _numbers(arguments, kinds)
        if numbers is None or not _same_numbers(numbers, state.numbers):
            with _lock:
                if state.loop is loop:
                    state.recount()
            return None
    if loop is not None and not state.judged and numpy_turn(state):
        return None
    return loop


def record(scalar, kinds: tuple, seconds: float, size: int, arguments: list) -> None:
    """Count ``seconds`` of NumPy evaluation of ``size`` elements against the
    formula; start compiling it in the background once they reach
    ``$NEUROGEBRA_JIT_AFTER``. The loop is then checked on a sample of these
    ``arguments`` (arrays where ``kinds`` says so, else numbers) too. (The
    caller has asked :func:`available`: a large array's call asks once.)"""
    state = _state(_key(scalar, kinds))
    with _lock:
        state.spent += seconds
        state.numpy_rate = min(state.numpy_rate, seconds / size)
        state.numpy_calls += 1
        if state.loop is not None and not state.judged and numpy_turn(state):
            state.paired.append(seconds / size)
        if state.status != "counting" or state.spent < _after() or not claim():
            return
        state.status = "compiling"
    sample = [a.reshape(-1)[::max(1, size // _SAMPLE)][:_SAMPLE].copy() if array
              else float(np.asarray(a).reshape(-1)[0]) for a, array in zip(arguments, kinds)]
    threading.Thread(target=_compile, args=(state, scalar, kinds, sample), daemon=True,
                     name=_THREAD).start()


def judge(scalar, kinds: tuple, seconds: float, size: int) -> None:
    """Time the first calls of a compiled loop, until :func:`tried` keeps or
    drops it."""
    state = _states.get(_key(scalar, kinds))
    if state is None or state.judged or compiling():
        return
    with _lock:
        if not state.judged:   # (another thread may have judged it since)
            state.judged = tried(state, seconds, size)


def numpy_turn(state) -> bool:
    """While ``state``'s loop is judged (the caller knows): whether the next
    call runs NumPy's code, timed (``state.paired``), instead of the loop. The
    loop's first calls alternate with NumPy's, so that the loop is judged against
    NumPy's time in the same seconds: a shared machine's speed moves by 2x
    within minutes, and a softsign loop as fast as NumPy was dropped against
    NumPy's best from a faster minute. Not while a compile runs: then neither is
    timed (both would wait for the GIL), and the loop runs."""
    return not _busy and len(state.paired) < len(state.loop_rates)


def tried(state, seconds: float, size: int) -> bool:
    """Under ``_lock``: one more timed call of ``state``'s loop (a formula's, or
    a ``_fast_math`` function's). True once it is judged: kept at the first call
    that takes less than ``_GAIN`` of NumPy's best time per element, dropped as
    ``"slower"`` after ``_LOOP_TRIALS`` calls that do not (a loop that calls the
    C library one element at a time, atan say, can be slower than NumPy's
    vectorised ufunc; a formula of two operations gains nothing worth the
    noise). NumPy's best is of all its calls until ``_PAIRED`` of them were
    timed between the loop's (see :func:`numpy_turn`), then of those.

    One fast call is the evidence, as NumPy's best is over several: a busy
    machine only slows calls down, and a new loop's first calls are slow (on 1e6
    elements, 1.3-2x its later ones: mae's slope, 1.3 ns per element falling to
    0.65, where NumPy's best was 1.2), so the best of three misjudged
    memory-bound loops twice as fast as NumPy."""
    rate = seconds / size
    state.loop_rates.append(rate)
    paired = len(state.paired) >= _PAIRED
    if rate < _GAIN * (min(state.paired) if paired else state.numpy_rate):
        return True
    if len(state.loop_rates) < _LOOP_TRIALS:
        return False
    state.loop, state.status = None, "slower"
    return True


def compiling() -> bool:
    """Whether a loop (a formula's, or ``_fast_math``'s) is being compiled in the
    background now (benchmarks wait for the steady state)."""
    return _busy


def compiled_loop_status() -> dict[str, str]:
    """Where each formula evaluated on large arrays stands, by its scalar code:
    ``"counting"`` (NumPy's, its time counted), ``"compiling"``, ``"ready"``
    (the loop in use, its first calls timed until it is judged), ``"slower"``
    or ``"failed"`` (NumPy's for good). Benchmarks say which path they timed."""
    with _lock:
        return {key[0]: state.status for key, state in _states.items()}


def claim() -> bool:
    """Under ``_lock``: whether a compile may start now, and if so, that it has.

    One compile at a time: numba compiles one function at a time anyway, and two
    compiling threads and the caller's fight over the GIL (a formula's loop and
    NumPy's expm1 compiled together both took 3 s instead of 1). While one runs,
    no trial of a loop is timed either: a call timed then waits for the GIL (a
    loop judged then was dropped as slower than NumPy)."""
    global _busy
    if _busy:
        return False
    _busy = True
    return True


def release(done: threading.Event) -> None:
    """The compile that :func:`claim` allowed has ended; then ``done`` is set."""
    global _busy
    with _lock:
        _busy = False
    done.set()


class BackgroundLoop:
    """What ``_fast_math``'s functions and ``_fused_means``' training steps share:
    NumPy's time counted, one compile in a background thread at a time
    (:func:`claim`), and the loop's first calls judged (:func:`tried`). A
    subclass builds and checks its loop in ``_built(*args)``, in the compiling
    thread (None: NumPy's for good)."""

    def __init__(self):
        self.status = "counting"   # -> "compiling" -> "judging" -> "ready" | "failed" | "slower"
        self.loop = None
        self.spent = 0.0
        self.calls = 0
        self.numpy_rate = math.inf   # NumPy's best seconds per element (or sample)
        self.loop_rates: list[float] = []
        self.paired: list[float] = []   # NumPy's between the loop's first calls
        self.done = threading.Event()

    def _numpy_turn(self) -> bool:
        """Whether this call runs NumPy's code, timed beside the loop's first
        calls while they are judged (:func:`numpy_turn`)."""
        return self.status == "judging" and numpy_turn(self)

    def _numpy_timed(self, seconds: float, size: int, after: float) -> bool:
        """A timed call of NumPy's code: paired with the loop's while it is
        judged, else counted (:meth:`_counted`, whose answer this is)."""
        if self.status == "judging":
            with _lock:
                if self.status == "judging" and numpy_turn(self):
                    self.paired.append(seconds / size)
                    self.numpy_rate = min(self.numpy_rate, seconds / size)
            return False
        return self._counted(seconds, size, after)

    def _counted(self, seconds: float, size: int, after: float) -> bool:
        """Count NumPy's ``seconds`` on ``size`` elements. True when a compile
        may start now, its status then "compiling": from the second call, once
        ``after`` seconds are spent, where loops may be compiled, when
        :meth:`_reused` took no loop built before and no other is compiling."""
        self.spent += seconds
        self.calls += 1
        self.numpy_rate = min(self.numpy_rate, seconds / size)
        if self.spent < after or self.calls < 2 or not available():
            return False
        with _lock:
            if self.status != "counting" or self._reused() or not claim():
                return False
            self.status = "compiling"
        return True

    def _reused(self) -> bool:
        """Under ``_lock``: whether a loop built before was taken instead."""
        return False

    def _start(self, *args) -> None:
        threading.Thread(target=self._compile, args=args, daemon=True, name=_THREAD).start()

    def _compile(self, *args) -> None:
        try:
            with confined():    # numba's warning handling stays in this thread
                loop = self._built(*args)
            with _lock:
                self.loop = loop
                self.status = "judging" if loop is not None else "failed"
        finally:
            release(self.done)

    def _timed(self, seconds: float, size: int) -> None:
        """After a call of the loop: while it is judged, one of its first calls
        (not timed while a compile runs); it is kept only where it beats NumPy."""
        if self.status != "judging" or compiling():
            return
        with _lock:
            if self.status == "judging" and tried(self, seconds, size) and \
                    self.loop is not None:
                self.status = "ready"


def _compile(state: _State, scalar, kinds: tuple, sample: list) -> None:
    try:
        with confined():       # numba's warning handling stays in this thread
            _compile_here(state, scalar, kinds, sample)
    finally:
        release(state.done)


def _compile_here(state: _State, scalar, kinds: tuple, sample: list) -> None:
    try:
        _imported()            # here, not under the lock that _kernel takes
        from ._loop_trig import flagged
        numbers = () if state.general else (_numbers(sample, kinds) or ())
        element = flagged(scalar)      # its sin and cos vectorised
        loop = _loop(_jitted(element), kinds, numbers)
        given = iter(numbers)
        sweep = [_sweep(i) if array else (next(given) if numbers else 0.5 + i)
                 for i, array in enumerate(kinds)]
        state.numbers = numbers
        state.loop = loop if _agrees(loop, element, kinds, sweep, sample) else None
    except Exception:          # a kernel numba cannot type: the formula stays on NumPy
        state.loop = None
    state.status = "ready" if state.loop is not None else "failed"


# Every kernel is inlined where it is called: a call of a compiled function passes
# its result through memory and returns a status that is tested, which keeps
# LLVM from merging the branches (hinge's slope: 8.9 -> 1.7 ms per 1e6 elements)
_OPTIONS = {"nogil": True, "error_model": "numpy", "inline": "always"}


def _jitted(function):
    """``function`` (generated scalar code) compiled, with both sides of its
    choices computed, and the Python functions it calls compiled too, and
    theirs in turn."""
    return _imported().njit(_with_compiled_calls(_eager(function)), **_OPTIONS)


def _eager(function):
    """``function`` with each ``a if c else b`` written as ``_select(c, a, b)``:
    both sides computed, one kept. In a loop nothing raises (an unused side may
    be inf or nan), and LLVM vectorises a select, not a branch (softplus's
    slope, which has a threshold: 2.6 -> 1.6 ms per 1e6 on one core). A
    function that is not generated code (no ``source``) is left as it is."""
    if getattr(function, "source", None) is None:
        return function
    tree = _Eager().visit(ast.parse(function.source))
    namespace = dict(function.__globals__, _select=_select)
    exec(compile(ast.fix_missing_locations(tree), "<neurogebra jit>", "exec"), namespace)
    return namespace[function.__name__]


class _Eager(ast.NodeTransformer):
    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.Call(ast.Name("_select", ast.Load()), [node.test, node.body, node.orelse], [])


def _select(condition, if_true, if_false):
    return if_true if condition else if_false


def _with_compiled_calls(function, calling: tuple = ()):
    """A copy of ``function`` whose global and enclosed Python functions are
    numba dispatchers, and whose math functions are the loops' own. A function
    may offer a kernel of the same values that numba compiles better as its
    ``loop_form()``. ``calling``: the kernels whose calls are being compiled (a
    cycle is refused: numba cannot inline it)."""
    calling += (function,)
    form = getattr(function, "loop_form", None)
    if form is not None:
        function = form()
    return _copy(function, lambda value: _for_loops(value, calling))


def _copy(function, value_of, made: dict | None = None):
    """A copy of ``function`` whose globals (those it names) and enclosed values
    are ``value_of`` them; entered in ``made`` before they are worked out, so
    that a function calling itself is copied once."""
    namespace = dict(function.__globals__)
    cells = tuple(types.CellType() for _ in function.__closure__ or ())
    copy = types.FunctionType(function.__code__, namespace, function.__name__,
                              function.__defaults__, cells or None)
    if made is not None:
        made[function] = copy
    for name in function.__code__.co_names:
        if name in namespace:
            namespace[name] = value_of(namespace[name])
    for cell, original in zip(cells, function.__closure__ or ()):
        try:
            cell.cell_contents = value_of(original.cell_contents)
        except ValueError:     # a cell not filled yet: left empty, as in the original
            pass
    return copy


def _for_loops(value, calling: tuple):
    """``value`` as a compiled loop calls it: the math module, its exp, log, ...
    and the kernels :mod:`._loop_math` computes itself (sigmoid) replaced by
    :mod:`._loop_math`'s, another Python function compiled, else itself."""
    replaced = _loops_math(value)
    if replaced is value and isinstance(value, types.FunctionType):
        return _kernel(value, calling)
    return replaced


def _with_loop_math(function, made: dict):
    """A copy of ``function``, and of the Python functions it calls, that Python
    runs with the loop's math functions: the values its loop must give. (Not
    their loop forms: a loop form must give its kernel's values. ``made``: the
    copies made so far.)"""
    if function in made:
        return made[function]
    return _copy(function, lambda value: _run_with_loop_math(value, made), made)


def _run_with_loop_math(value, made: dict):
    replaced = _loops_math(value)
    if replaced is value and isinstance(value, types.FunctionType):
        return _with_loop_math(value, made)
    return replaced


def _loops_math(value):
    """The math module, one of its functions or a kernel that compiled loops
    compute with :mod:`._loop_math`'s function for ``value`` (its exp, its
    sigmoid), compiled; anything else is itself."""
    if isinstance(value, (types.BuiltinFunctionType, types.ModuleType, types.FunctionType)):
        return _replacements().get(value, value)
    return value


def _replacements() -> dict:
    """math's functions that :mod:`._loop_math` and :mod:`._loop_erf` have (exp,
    log, erf, ...), a math module holding them and the kernels they compute
    themselves (sigmoid, horner), mapped to
    their compiled versions (built once; while they compile, and if they cannot,
    nothing is replaced)."""
    global _replaced
    with _replacing:
        if _replaced is None:
            _replaced = {}
            from . import _loop_erf, _loop_math, _loop_trig
            from ._kernels import sigmoid_math
            from ._polynomials import horner
            # kernels' polynomials, with fused multiply-adds, first: loop functions
            # call them too (compiled as it is: its steps are an overload that
            # _kernel's copy would hide)
            _replaced[horner] = _replaced[_loop_math.horner] = \
                _imported().njit(_loop_math.horner, **_OPTIONS)
            module = types.ModuleType("math", "math with the compiled loops' own functions")
            module.__dict__.update(vars(math))
            for function, replacement in {**_loop_math.SUBSTITUTES,
                                          **_loop_erf.SUBSTITUTES}.items():
                _replaced[function] = _kernel(replacement)
                setattr(module, function.__name__, _replaced[function])
            _replaced[math] = module
            # a formula kernel whose loop value is the loop's own function
            _replaced[sigmoid_math] = _kernel(_loop_math.sigmoid)
            # the sin and cos of a formula's code rewritten by _loop_trig.flagged
            for trig in (_loop_trig.sin, _loop_trig.cos):
                _replaced[trig] = _kernel(trig)
        return _replaced


def _kernel(function, calling: tuple = ()):
    """The numba dispatcher of a Python kernel, made once per process."""
    dispatcher = _jitted_kernels.get(function)
    if dispatcher is None:
        if function in calling:
            raise TypeError(f"{function.__name__} calls itself: not compiled")
        compiled = _imported().njit(_with_compiled_calls(function, calling), **_OPTIONS)
        with _lock:
            dispatcher = _jitted_kernels.setdefault(function, compiled)
    return dispatcher


def _loop(element, kinds: tuple, numbers: tuple = (), outputs: int = 0):
    """``loop(*arguments, out) -> count of non-finite results``, one pass.

    ``numbers``: the values of the number arguments, in order, written into the
    loop as constants (it then ignores the ones it is given: :func:`fused_loop`
    offers it only for these), or () for a loop that reads them. LLVM folds what
    the constants decide: ``x**gamma`` at gamma = 2 is a square and
    ``x**(gamma - 1)`` is x, where the general loop computes a vectorised pow and
    selects (LLVM takes a branch on a number out of a small loop only):
    binary_focal's slope took 41 ms per 1e6 elements on one EPYC core, 13 with
    its numbers written in. ``outputs``: for an element returning that many
    values (a training step's loss and gradients, ``_fused_means``), ``out`` has
    a row per output, and a sample counts once however many of its are not finite."""
    names = [f"a{i}" for i in range(len(kinds))]
    values = iter(numbers)
    reads = [f"{n}[i]" if array else (repr(next(values)) if numbers else n)
             for n, array in zip(names, kinds)]
    results = [f"v{k}" for k in range(max(outputs, 1))]
    call = f"element({', '.join(reads)})"
    source = "\n".join([
        f"def loop({', '.join(names)}, out):",
        "    bad = 0",
        f"    for i in range(out.shape[{1 if outputs else 0}]):",
        *([f"        {', '.join(results)}, = {call}",
           *(f"        out[{k}, i] = {v}" for k, v in enumerate(results))] if outputs else
          [f"        v0 = {call}", "        out[i] = v0"]),
        f"        if {' + '.join(f'({v} - {v})' for v in results)} != 0.0:",   # inf, nan
        "            bad += 1",
        "    return bad"])
    namespace = {"element": element}
    exec(compile(source, "<neurogebra jit loop>", "exec"), namespace)
    return _imported().njit(namespace["loop"], nogil=True, error_model="numpy")


def _numbers(arguments: list, kinds: tuple) -> tuple | None:
    """The number arguments as floats, or None if one is not finite (a loop
    does not write those in)."""
    numbers = tuple(float(np.asarray(a).reshape(-1)[0])
                    for a, array in zip(arguments, kinds) if not array)
    return numbers if all(map(math.isfinite, numbers)) else None


def _same_numbers(a: tuple, b: tuple) -> bool:
    """Equal, zeros' signs included (1/x tells -0.0 from 0.0)."""
    return all(x == y and math.copysign(1.0, x) == math.copysign(1.0, y) for x, y in zip(a, b))


def _sweep(count: int) -> np.ndarray:
    """Values across the float range, both signs, zeros, small integers, and
    probabilities (a loss of p in [0, 1] has too few finite values elsewhere)."""
    rng = np.random.default_rng(count)
    wide = 10.0 ** rng.uniform(-300, 300, 200) * rng.choice([-1.0, 1.0], 200)
    near = rng.standard_normal(200) * 3
    unit = rng.uniform(0.0, 1.0, 100)
    return np.concatenate([wide, near, unit, [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -3.0]])


_COMPARED = 100   # finite results of the scalar code the sweep must compare at least
_SAMPLE = 256     # elements of the arrays that started the compile, compared too


def _agrees(loop, scalar, kinds: tuple, sweep: list, sample: list, outputs: int = 0) -> bool:
    """Whether ``loop`` gives the values of ``scalar`` (run by Python with the
    loop's math functions) on a sweep of the float range, at least ``_COMPARED``
    of them finite, and on a sample of the caller's arrays."""
    reference = _with_loop_math(scalar, {})
    return _same_values(loop, reference, kinds, sweep, outputs) >= _COMPARED and \
        _same_values(loop, reference, kinds, sample, outputs) >= 0


def _one_signature(loop, kinds: tuple, outputs: int = 0) -> None:
    """Compile ``loop`` now for float64 arrays where ``kinds`` says so (read-only
    ones too: memmaps, pandas' arrays), floats elsewhere, and an ``out`` of one
    row (of ``outputs`` rows), and no other signature: nothing compiles later, in
    a caller's thread."""
    from numba import types
    array = types.Array(types.float64, 1, "C", readonly=True)
    out = types.float64[:, ::1] if outputs else types.float64[::1]
    loop.compile(tuple(array if kind else types.float64 for kind in kinds) + (out,))
    loop.disable_compile()


def _same_values(loop, scalar, kinds: tuple, columns: list, outputs: int = 0) -> int:
    """How many results ``loop`` and the scalar code (run by Python with the
    loop's math functions) both give as finite floats on ``columns``
    (arrays where ``kinds`` says so, else numbers), or -1 if one of them differs
    (a zero's sign aside). Where the loop's result is not finite, NumPy's code
    decides the value. ``outputs``: see :func:`_loop` (a sample counts once)."""
    size = columns[kinds.index(True)].size
    out = np.empty((outputs, size) if outputs else size)
    loop(*columns, out)
    compared = 0
    # Python floats (inf - inf warns in NumPy's), one list per sample
    for i, got in enumerate(out.T.tolist() if outputs else out.tolist()):
        row = [float(c[i]) if array else c for c, array in zip(columns, kinds)]
        try:
            want = [float(v) for v in scalar(*row)] if outputs else [float(scalar(*row))]
        except PYTHON_FLOAT_FAILURES:
            continue           # the array path decides these: so does the loop (not finite)
        got = got if outputs else [got]
        if all(v - v == 0.0 for v in want + got):
            compared += 1
            if want != got:
                return -1
    return compared
