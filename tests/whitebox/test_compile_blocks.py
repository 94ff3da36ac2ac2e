"""White-box tests of one internal module: neurogebra.compile._blocks.

Block-by-block evaluation copies each block's result into the output, which
on one thread costs more than the cache saves for a formula of one or two float
array operations; on several threads, comparisons are work to share too, and
one operation heavier than a pass through memory is enough. These tests check when blocks are chosen, and that the code
generator's counts and heaviness are what the choice reads.
"""

import numpy as np
import pytest
import sympy

from neurogebra import Expression
from neurogebra.compile import _evaluator, compile_function
from neurogebra.compile._blocks import (BLOCK, MEMORY_BOUND, MIN_OPERATIONS, MIN_SIZE,
                                        blockable, filled, run_in_blocks)
from neurogebra.symbolic import formula_function

x, y = sympy.symbols("x y", real=True)
BIG = np.zeros(MIN_SIZE)


@pytest.mark.parametrize("formula, operations", [
    (sympy.tanh(x), 1), ((x - y) ** 2, 2), (x * y + x, 2), (2 * (x - y), 3),
    (sympy.exp(-x ** 2) * x, 3), (-x, 1), (y - x, 1), (x, 0), (sympy.Integer(2), 0),
])
def test_the_generated_code_counts_its_array_operations(formula, operations):
    assert compile_function(formula, [x, y]).operations == operations


@pytest.mark.parametrize("threads, operations, heavy, comparisons, blocks", [
    ("1", 1, False, 0, False), ("1", MIN_OPERATIONS - 1, True, 5, False),
    ("1", MIN_OPERATIONS, False, 0, True),
    ("2", MIN_OPERATIONS - 1, False, 0, False), ("2", 1, True, 0, True),
    ("2", MIN_OPERATIONS, False, 0, True), ("2", 0, False, MIN_OPERATIONS, True),
    ("2", 1, False, MIN_OPERATIONS - 2, False),
])
def test_blocks_are_cut_for_enough_work_for_the_threads(
        monkeypatch, threads, operations, heavy, comparisons, blocks):
    """One thread: several float operations. Several threads: comparisons count
    too, and one heavy operation is enough."""
    monkeypatch.setenv("NEUROGEBRA_THREADS", threads)
    assert blockable([BIG, 2.0], BIG.shape, operations, heavy, comparisons) is blocks
    assert not blockable([BIG[:-1]], BIG[:-1].shape, operations, heavy, comparisons)


@pytest.mark.parametrize("formula, heavy", [
    (sympy.tanh(x), True), (sympy.erf(x) * y, True), (sympy.exp(x), False),
    (sympy.Max(x, 0) + y, False), (x * y + x, False), (sympy.Abs(x - y), False),
])
def test_a_formula_is_heavy_when_it_calls_more_than_a_memory_bound_function(formula, heavy):
    assert compile_function(formula, [x, y]).heavy is heavy


def test_the_memory_bound_functions_are_known_by_those_names():
    for name in MEMORY_BOUND:
        assert formula_function(name).name == name


def test_a_copy_or_a_constant_is_written_on_every_core(monkeypatch):
    """The identity's result is a new array, a constant keeps its sign; on one
    thread, or below the block size, NumPy's own copy is used (None), and for a
    constant below 1.5e6 elements too (one thread writes it as fast)."""
    monkeypatch.setenv("NEUROGEBRA_THREADS", "2")
    data = np.random.default_rng(3).standard_normal(MIN_SIZE + 5)
    copy = filled(data, data.shape)
    assert copy is not data and copy.tolist() == data.tolist()
    zeros = filled(np.array(-0.0), (MIN_SIZE, 3))
    assert zeros.shape == (MIN_SIZE, 3) and np.signbit(zeros).all() and not zeros.any()
    assert filled(np.array(1.5), (MIN_SIZE - 1,)) is None
    assert filled(np.array(1.5), (MIN_SIZE, 2)) is None        # 1,048,576: one thread's
    assert filled(np.array([[2.5]]), (3, MIN_SIZE + 1)).tolist() == [[2.5] * (MIN_SIZE + 1)] * 3
    assert filled(data[::2], data[::2].shape) is None         # not laid out contiguously
    monkeypatch.setenv("NEUROGEBRA_THREADS", "1")
    assert filled(data, data.shape) is None


def test_work_without_temporaries_is_cut_in_few_blocks_per_thread(monkeypatch):
    """``-y`` or ``y - x`` has no temporaries for the cache to keep: each thread
    streams one equal part (cache-sized blocks only cost); a formula with
    temporaries, or a heavy one, keeps its blocks. The values are NumPy's. Asked
    for k parts per thread, the blocks are that many equal ones, fewer where they
    would be under BLOCK."""
    monkeypatch.setenv("NEUROGEBRA_THREADS", "2")
    monkeypatch.setenv("NEUROGEBRA_JIT", "off")
    seen = []
    real = _evaluator.run_in_blocks

    def watched(*args, **kwargs):
        seen.append(kwargs.get("parts_per_thread"))
        return real(*args, **kwargs)

    monkeypatch.setattr(_evaluator, "run_in_blocks", watched)
    data = np.random.default_rng(5).standard_normal((2, 3 * MIN_SIZE + 7))
    a, b = data
    for formula, parts, expected in [
            ("y - x", 1, b - a), ("-y", 1, -b), ("exp(x)", 1, np.exp(a)),
            ("max(x, 0)", 1, np.maximum(a, 0)), ("min(max(x, 0), 6)", None, np.clip(a, 0, 6)),
            ("exp(-x)", None, np.exp(-a)), ("2*x*y", None, 2 * a * b),   # _out read back
            ("(y - x)**2 + x", None, (b - a) ** 2 + a), ("tanh(x)", None, np.tanh(a))]:
        result = Expression("f", formula, variables=["x", "y"])(x=a, y=b)
        assert seen.pop() == parts, formula
        np.testing.assert_array_equal(result, expected)

    cuts = []

    def negate_into(block, out):
        cuts.append(block.size)
        return np.negative(block, out=out)

    size = data[0].size
    for parts, expected in [(1, [size // 2, size - size // 2]),
                            (None, [BLOCK] * (size // BLOCK) + [size % BLOCK])]:
        cuts.clear()
        result, kinds = run_in_blocks(None, [data[0]], data[0].shape, into=negate_into,
                                      parts_per_thread=parts)
        assert sorted(cuts) == sorted(expected) and not kinds
        np.testing.assert_array_equal(result, -data[0])
    for length, expected in [(MIN_SIZE + 5, [BLOCK + 1] * 3 + [BLOCK + 2]),   # >= BLOCK
                             (20 * BLOCK, [20 * BLOCK // 8] * 8)]:        # four per thread
        cuts.clear()
        run_in_blocks(None, [np.zeros(length)], (length,), into=negate_into,
                      parts_per_thread=4)
        assert sorted(cuts) == expected
