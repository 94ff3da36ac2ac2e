"""Shared timing helpers: best-of-N repeats, as timeit recommends."""

import time
import timeit


def best(function, number, repeat=7):
    """Seconds per call: the best of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def report(label, value, baseline, target_ratio=None, unit="us", scale=1e6, limit=None):
    """Print one benchmark line; return True when its targets are met."""
    ratio = value / baseline if baseline else float("nan")
    ok = (target_ratio is None or ratio <= target_ratio) and (limit is None or value <= limit)
    targets = []
    if target_ratio is not None:
        targets.append(f"ratio <= {target_ratio}")
    if limit is not None:
        targets.append(f"<= {limit * scale:g} {unit}")
    print(f"{label:<48} {value * scale:10.3f} {unit}  baseline {baseline * scale:10.3f} {unit}"
          f"  ratio {ratio:6.2f}  target {', '.join(targets):<26} {'ok' if ok else 'MISSED'}")
    return ok


def best_interleaved(ours, baseline, rounds=15):
    """``(ours, baseline)``: the best seconds of each over ``rounds`` rounds that
    alternate them, so that a machine whose speed drifts slows both alike."""
    times = ([], [])
    for _ in range(rounds):
        for function, runs in zip((ours, baseline), times):
            start = time.perf_counter()
            function()
            runs.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def settled(run, seconds=120):
    """Call ``run`` until no loop is being compiled and none of
    ``compile._fast_math``'s is being judged, twice in a row: a loop waiting
    for another's compile starts at the next call, and a formula's loop or a
    training step's (not listed by ``compiled_math_status``) is judged in the
    calls right after its compile. What is timed next is then the steady
    state that a second of use reaches (benchmarks set
    ``NEUROGEBRA_JIT_AFTER=0``: compiling starts at the first call, as
    jax.jit's does)."""
    from neurogebra.compile import compiled_math_status, compiling
    deadline = time.perf_counter() + seconds
    run()
    quiet = 0
    while time.perf_counter() < deadline and quiet < 2:
        busy = compiling() or any(status in ("compiling", "judging")
                                  for status in compiled_math_status().values())
        quiet = 0 if busy else quiet + 1
        run()
