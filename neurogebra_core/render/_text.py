"""Documents as plain text: ``forge.explain`` and ``neurogebra show``."""

from __future__ import annotations

import textwrap

from ._sections import Document, Section

__all__ = ["as_text"]

_WIDTH = 78


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(str(text).split()), _WIDTH, initial_indent=indent,
                         subsequent_indent=indent)


def _bullet(text: str) -> str:
    return textwrap.fill(" ".join(str(text).split()), _WIDTH, initial_indent="  - ",
                         subsequent_indent="    ")


def as_text(doc: Document) -> str:
    """What a function is, its formula, and every documented section."""
    signature = f"{doc.name}({', '.join(doc.variables)})"
    heading = signature
    if doc.category:
        heading += f" [{doc.category}]"
    if doc.pack:
        heading += f" from pack {doc.pack!r}"
    lines = [heading, f"  {signature} = {doc.formula}"]
    for section in doc.sections:
        lines += ["", *_section(section)]
    if doc.derivatives:
        lines += [""] + [f"d/d{variable}: {formula}" for variable, formula in doc.derivatives]
    return "\n".join(lines)


def _section(section: Section) -> list[str]:
    title, content = section.title, section.content
    if section.kind == "paragraph":
        return [f"{title}:", _wrap(content)] if title else [_wrap(content)]
    if section.kind == "inline":
        return [f"{title}: " + ", ".join(content)]
    if section.kind == "params":
        rows = [f"  {row.name} = {row.shown}" + (f": {row.description}" if row.description
                                                   else "") for row in content]
        return [f"{title}:", *rows]
    if section.kind == "pairs":
        return [f"{title}:", *(f"  {label}: {text}" for label, text in content)]
    return [f"{title}:", *(_bullet(item) for item in content)]
