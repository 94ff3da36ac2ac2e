"""White-box tests of one internal module: neurogebra.symbolic._parsing.

The operator count that guards the parser is a regular expression, not the
standard tokenizer (whose first use costs 2.5 ms); it must count exactly what
the tokenizer would.
"""

import io
import random
import tokenize
from pathlib import Path

import pytest

from neurogebra.catalog import read_definitions
from neurogebra.symbolic import _parsing

REGISTRY = Path(__file__).resolve().parents[2] / "registry"

_GROUPING = frozenset("()],")


def _tokenizer_count(text: str) -> int:
    return sum(1 for t in tokenize.generate_tokens(io.StringIO(text).readline)
               if t.type == tokenize.OP and t.string not in _GROUPING
               or t.type == tokenize.NAME and t.string in ("and", "or", "not"))


def _count(text: str) -> int:
    return sum(1 for name, operator in _parsing._TOKEN.findall(text)
               if operator or name in ("and", "or", "not"))


@pytest.mark.parametrize("text", [
    "1e-5*x", "1.5E+3 - x", ".5*x", "x.y", "0x1f + x", "a[1]", "{x}", "x**-y", "x//y",
    "x <= y != z", "not x and y or z", "1_000.0_1e-1_0*x", "f(x, y=2)", "x@y", "3j*x",
    "x...", "lambda y: y", "x >= -1", "where(x > 0, x, 0.01*x)", "σ(x) + ｘ", "x :: y",
])
def test_the_count_is_the_tokenizers(text):
    assert _count(text) == _tokenizer_count(text)


def test_the_count_is_the_tokenizers_on_every_catalog_formula_and_random_text():
    texts = [d.formula for file in sorted(REGISTRY.glob("*.yaml"))
             for d in read_definitions(file.read_text(encoding="utf-8"), str(file))[0]]
    assert len(texts) > 80
    alphabet = "xy1.e+-*/()<>=!,[]{}%@ _andortx0j:;~^&|"
    rng = random.Random(7)
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))
              for _ in range(20000)]
    compared = 0
    for text in texts:
        try:
            expected = _tokenizer_count(text)
        except (tokenize.TokenError, SyntaxError):
            continue
        assert _count(text) == expected, text
        compared += 1
    assert compared > 2000
