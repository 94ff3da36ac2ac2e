"""Plain-language descriptions of catalog functions, from their docs fields."""

from __future__ import annotations

import textwrap

from .expression import Expression

__all__ = ["explain_text", "first_sentence"]

_WIDTH = 78


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(str(text).split()), _WIDTH, initial_indent=indent,
                         subsequent_indent=indent)


def _bullets(items) -> list[str]:
    return [textwrap.fill(" ".join(str(item).split()), _WIDTH, initial_indent="  - ",
                          subsequent_indent="    ") for item in items]


def first_sentence(text) -> str:
    """The first sentence of a description, without its full stop (for listings)."""
    return str(text or "").split(". ")[0].strip().rstrip(".")


def explain_text(expression: Expression, pack: str | None = None) -> str:
    """What a function is, when to use it, its params, pros, cons and sources."""
    meta = expression.metadata
    args = ", ".join(expression.variables)
    heading = f"{expression.name}({args})"
    if meta.get("category"):
        heading += f" [{meta['category']}]"
    if pack:
        heading += f" from pack {pack!r}"
    lines = [heading, f"  {expression.name}({args}) = {expression.formula}"]
    if meta.get("description"):
        lines += ["", _wrap(meta["description"])]
    if meta.get("usage"):
        lines += ["", "When to use it:", _wrap(meta["usage"])]
    if expression.params:
        notes = meta.get("param_descriptions", {})
        lines += ["", "Params:"]
        for name, value in expression.params.items():
            text = f"  {name} = {value:g}"
            lines.append(text + (f": {notes[name]}" if notes.get(name) else ""))
    for key, title in (("pros", "Pros:"), ("cons", "Cons:")):
        if meta.get(key):
            lines += ["", title, *_bullets(meta[key])]
    if meta.get("equivalents"):
        lines += ["", "Equivalents:"]
        lines += [f"  {lib}: {name}" for lib, name in meta["equivalents"].items()]
    if meta.get("notes"):
        lines += ["", "Notes:", _wrap(meta["notes"])]
    if meta.get("aliases"):
        lines += ["", "Also known as: " + ", ".join(meta["aliases"])]
    if meta.get("references"):
        lines += ["", "References:", *_bullets(meta["references"])]
    return "\n".join(lines)
