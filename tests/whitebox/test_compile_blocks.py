"""White-box tests of one internal module: neurogebra.compile._blocks.

On one thread, block-by-block evaluation copies each block's result into the
output, which costs more than the cache saves for a formula of one or two
array operations; these tests check when blocks are chosen, and that the
code generator's operation count is what the choice reads.
"""

import numpy as np
import pytest
import sympy

from neurogebra.compile import compile_function
from neurogebra.compile._blocks import MIN_OPERATIONS, MIN_SIZE, blockable

x, y = sympy.symbols("x y", real=True)
BIG = np.zeros(MIN_SIZE)


@pytest.mark.parametrize("formula, operations", [
    (sympy.tanh(x), 1), ((x - y) ** 2, 2), (x * y + x, 2), (2 * (x - y), 3),
    (sympy.exp(-x ** 2) * x, 3),
])
def test_the_generated_code_counts_its_array_operations(formula, operations):
    assert compile_function(formula, [x, y]).operations == operations


@pytest.mark.parametrize("threads, operations, blocks", [
    ("1", 1, False), ("1", MIN_OPERATIONS - 1, False), ("1", MIN_OPERATIONS, True),
    ("2", 1, True),
])
def test_one_thread_cuts_blocks_only_for_formulas_of_several_operations(
        monkeypatch, threads, operations, blocks):
    monkeypatch.setenv("NEUROGEBRA_THREADS", threads)
    assert blockable([BIG, 2.0], BIG.shape, operations) is blocks
    assert not blockable([BIG[:-1]], BIG[:-1].shape, operations)   # below MIN_SIZE
