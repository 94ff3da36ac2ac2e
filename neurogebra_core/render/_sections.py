"""Documentation of one function, from its metadata to ordered sections.

Everything that documents a function (``forge.explain``, ``neurogebra show``,
the notebook card, the catalog page) goes through :func:`document`, which
reads an Expression's metadata once and returns a :class:`Document`: a title
and sections in one fixed order. The output modules only choose how each kind
of section looks in text, HTML or Markdown.

This module needs only what it reads (``name``, ``variables``, ``formula``,
``latex``, ``params``, ``trainable_params``, ``metadata``, ``gradient``), so
it does not import the Expression class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import sympy

from ..symbolic import symbol

__all__ = ["Document", "Section", "ParamRow", "Documented", "document", "first_sentence",
           "title_latex"]


class Documented(Protocol):
    """What documenting a function reads from it (an Expression has all of it)."""

    name: str
    variables: tuple[str, ...]
    formula: str
    latex: str
    params: dict
    trainable_params: tuple[str, ...]
    metadata: dict

    def gradient(self, var: str) -> Any: ...


@dataclass(frozen=True)
class ParamRow:
    """One param: its name, current value, whether it trains, and its description."""

    name: str
    value: float
    trainable: bool
    description: str

    @property
    def shown(self) -> str:
        """The value as documentation shows it: the number, or an array's shape."""
        shape = getattr(self.value, "shape", ())
        return f"{self.value:g}" if not shape else f"array of shape {shape}"


@dataclass(frozen=True)
class Section:
    """One part of a function's documentation.

    ``kind`` says how ``content`` is shaped: ``"paragraph"`` (one text),
    ``"bullets"`` (texts), ``"pairs"`` (``(label, text)`` tuples), ``"params"``
    (:class:`ParamRow` tuples) or ``"inline"`` (texts shown on one line).
    """

    key: str
    title: str
    kind: str
    content: Any


@dataclass(frozen=True)
class Document:
    """A function's documentation: identity, formulas, then sections in order.

    ``latex`` is the documented typesetting (the ``latex`` field), ``formula_latex``
    the one generated from the formula; ``derivatives`` holds ``(variable,
    formula)`` pairs when asked for.
    """

    name: str
    variables: tuple[str, ...]
    category: str
    pack: str | None
    formula: str
    latex: str
    formula_latex: str
    title_latex: str
    derivatives: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]


# (metadata key, title, kind), in the order every output shows them
_LAYOUT = (
    ("description", "", "paragraph"),
    ("usage", "When to use it", "paragraph"),
    ("params", "Params", "params"),
    ("pros", "Pros", "bullets"),
    ("cons", "Cons", "bullets"),
    ("equivalents", "Equivalents", "pairs"),
    ("notes", "Notes", "paragraph"),
    ("aliases", "Also known as", "inline"),
    ("references", "References", "bullets"),
)


def document(expression: Documented, pack: str | None = None,
             derivatives: bool = False) -> Document:
    """The documentation of ``expression``, ready for any output.

    Args:
        expression: The function to document.
        pack: The pack it comes from, if it is a catalog function.
        derivatives: Include the first derivative for each variable.
    """
    meta = expression.metadata
    sections = []
    for key, title, kind in _LAYOUT:
        if key == "params":
            param_rows = _params(expression)
            if param_rows:
                sections.append(Section(key, title, kind, param_rows))
            notes = meta.get("param_descriptions")
            if notes is not None and not isinstance(notes, Mapping):
                sections.append(Section("param_descriptions", "Param descriptions",
                                        "paragraph", str(notes)))
            continue
        content = meta.get(key)
        if content is None or (isinstance(content, (str, Mapping, list, tuple))
                               and not content):
            continue
        if kind == "pairs" and isinstance(content, Mapping):
            content = tuple((str(k), str(v)) for k, v in content.items())
        elif kind in ("bullets", "inline") and isinstance(content, (list, tuple)):
            content = tuple(str(item) for item in content)
        else:   # text, or a value without the shape its key has: shown as its text
            kind, content = "paragraph", str(content)
        sections.append(Section(key, title, kind, content))
    rows = tuple((v, expression.gradient(v).formula) for v in expression.variables) \
        if derivatives else ()
    return Document(expression.name, tuple(expression.variables),
                    str(meta.get("category", "") or ""), pack, expression.formula,
                    str(meta.get("latex", "") or ""), expression.latex,
                    title_latex(expression), rows, tuple(sections))


def title_latex(expression: Documented) -> str:
    r"""``\mathrm{name}(x, y)`` in LaTeX."""
    name = expression.name.replace("_", "\\_")
    args = ", ".join(sympy.latex(symbol(v)) for v in expression.variables)
    return f"\\mathrm{{{name}}}({args})"


def _params(expression: Documented) -> tuple[ParamRow, ...]:
    notes = expression.metadata.get("param_descriptions")
    notes = notes if isinstance(notes, Mapping) else {}   # otherwise a section of its own
    return tuple(ParamRow(name, value, name in expression.trainable_params,
                          str(notes.get(name, "")))
                 for name, value in expression.params.items())


def first_sentence(text) -> str:
    """The first sentence of a description, without its full stop (for listings)."""
    return str(text or "").split(". ")[0].strip().rstrip(".")
