"""Every digit right: each scalar built-in against mpmath, on both evaluation paths.

For every activation, loss and schedule, its value and its first derivative
by every variable and every param are compared, on the scalar path (Python
floats) and on the array path (float64 arrays), with references computed by
mpmath from the elementary formula (tests/accuracy_reference.py, which
explains the points: the float64 range log-spaced in both signs, every kink
and threshold, and the floats next to every root). A point passes when

    |got - want| <= 1e-12 * |want|

wherever the true value is a normal float, and when ``got`` is not a normal
float wherever the truth is 0 or subnormal. The array path must also be free
of floating-point warnings there.

One exception, documented in docs/accuracy.md: the checks listed in
``CONDITIONED`` have zeros whose place moves with another variable (the
float nearest the point where ``log(y_true) = y_pred``, say). There the true
value is smaller than the rounding of the inputs can resolve, and float64
arithmetic cannot deliver 12 digits without double-double versions of log,
exp and sigmoid. Those checks also accept an error up to
``CONDITION_ULPS`` units of 2^-52 times the condition scale
``sum |v * df/dv|`` over the variables v: what rounding the inputs by that
many ulps would change. Away from the zeros that term is far below
1e-12 * |want|, so the 12 digits are still required there.

The largest relative error where 12 digits are required must also be no
more than twice what docs/accuracy.md's table (python -m tests.accuracy_table)
says, so the page never understates it.
"""

import json
from pathlib import Path
import warnings

import numpy as np
import pytest

from tests.accuracy_reference import (CONDITIONED, DATA, FORGE, TINY, TOL, checks,
                                      compared_points, source_hash, wrong_points)

META = json.loads(str(np.load(DATA)["meta"]))
PAGE = Path(__file__).resolve().parents[1] / "docs" / "accuracy.md"


def _documented():
    """(function, check) -> neurogebra's largest relative error in docs/accuracy.md's table."""
    text = PAGE.read_text()
    table = text[text.index("<!-- begin: python -m tests.accuracy_table -->"):
                 text.index("<!-- end: python -m tests.accuracy_table -->")]
    out = {}
    for line in table.splitlines()[3:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[0], cells[1]] = float(cells[2].split()[0])
    return out


DOCUMENTED = _documented()


CASES = [pytest.param(name, wrt, id=f"{name}-{wrt}")
         for name in FORGE.list_all() for wrt in checks(name)]


def test_the_accuracy_table_lists_every_check():
    assert set(DOCUMENTED) == {(name, wrt) for name in FORGE.list_all() for wrt in checks(name)}


def test_the_references_cover_every_builtin_and_are_current():
    stale = [name for name in FORGE.list_all()
             if META.get(name, {}).get("source") != source_hash(name)
             or sorted(META[name]["checks"]) != sorted(checks(name))]
    assert not stale, ("formulas changed since the references were computed; run "
                       f"`python -m tests.accuracy_reference --write {' '.join(stale)}`")


@pytest.mark.parametrize("name, wrt", CASES)
def test_every_digit_right_on_both_paths(name, wrt):
    expression = FORGE.get(name)
    function = expression if wrt == "value" else expression.gradient(wrt)
    points, want, slack = compared_points(name, wrt)
    variables = expression.variables
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # a finite truth: no overflow, nan or warning
        array = function.eval(**{v: points[:, i].copy() for i, v in enumerate(variables)})
    rows = points.tolist()
    scalar = np.array([function.eval(**dict(zip(variables, row))) for row in rows])
    problems = []
    required = (np.abs(want) >= TINY) & (slack <= TOL * np.abs(want))
    for path, got in (("array", np.asarray(array, float)), ("scalar", scalar)):
        with np.errstate(all="ignore"):
            worst = np.max(np.abs(got - want)[required] / np.abs(want[required]), initial=0.0)
        if not worst <= max(2 * DOCUMENTED[name, wrt], 4.5e-16):
            problems.append(f"{path}: relative error {worst:.1e} > docs/accuracy.md's "
                            f"{DOCUMENTED[name, wrt]:.1e}: run `python -m tests.accuracy_table`")
        bad = np.nonzero(wrong_points(got, want, slack))[0]
        with np.errstate(all="ignore"):
            rel = np.abs(got[bad] - want[bad]) / np.abs(want[bad])
        for i in bad[np.argsort(-rel)][:12]:
            where = ", ".join(f"{v}={x!r}" for v, x in zip(variables, rows[i]))
            problems.append(f"{path} {where}: got {got[i]!r}, want {want[i]!r}")
        if len(bad):
            problems.append(f"{path}: {len(bad)} of {len(want)} points wrong")
    assert not problems, f"d{name}/d{wrt}" + "\n" + "\n".join(problems)


def test_conditioned_checks_are_needed():
    """Every exemption is used by some point, so the list cannot go stale. (The
    condition term is at most 8 ulps of sum |v df/dv|: below 1e-12 |want| wherever the
    condition number sum |v df/dv| / |f| is under 500, i.e. away from the zeros.)"""
    unused = []
    for name, wrt in CONDITIONED:
        points, want, slack = compared_points(name, wrt)
        normal = np.abs(want) >= TINY
        if not (slack[normal] > TOL * np.abs(want[normal])).any():
            unused.append((name, wrt))
    assert not unused
