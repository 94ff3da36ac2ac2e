"""Documents as Markdown: the catalog reference page (``docs/catalog.md``)."""

from __future__ import annotations

from typing import Protocol

from ._pictures import has_picture
from ._sections import Document, Section, document

__all__ = ["as_markdown", "catalog_markdown"]

_HEADER = """# Catalog of built-in functions

Generated from `registry/*.yaml` by `neurogebra catalog --output docs/catalog.md`;
do not edit by hand. Activations take `x`; losses take `y_pred` and `y_true` and
are per element (no reduction); schedules take `t`, the epoch or step count.
Vector functions act on the last axis (sizes such as `n` are bound by the
inputs) and their losses give one value per sample. Derivatives are as
neurogebra prints them: for vectors, the gradient of a scalar function and the
Jacobian of a vector one.
"""


class Catalog(Protocol):
    """What the catalog page reads from a MathForge."""

    def categories(self) -> list[str]: ...
    def list_all(self, category: str | None = None) -> list[str]: ...
    def get(self, name: str): ...


def as_markdown(doc: Document, picture: str | None = None) -> str:
    """One function as a Markdown section headed ``### name``.

    Args:
        doc: The function's document.
        picture: The address of a picture of it to show under the heading.
    """
    lines = [f"### {doc.name}", ""]
    if picture:
        lines += [f"![{doc.name} and its derivative]({picture})", ""]
    lines.append(f"- Formula: `{doc.formula}`")
    if doc.latex:
        lines.append(f"- Math: ${doc.latex}$")
    lines += [f"- d/d{variable}: `{formula}`" for variable, formula in doc.derivatives]
    for section in doc.sections:
        lines += ["", *_section(section)]
    return "\n".join(lines) + "\n"


def _section(section: Section) -> list[str]:
    title, content = section.title, section.content
    if section.kind == "paragraph":
        text = " ".join(content.split())
        return [f"**{title}:** {text}"] if title else [text]
    if section.kind == "inline":
        return [f"**{title}:** " + ", ".join(f"`{item}`" for item in content)]
    if section.kind == "params":
        items = [f"`{row.name}` = {row.shown}" + (f": {row.description}" if row.description
                                                    else "") for row in content]
    elif section.kind == "pairs":
        items = [f"{label}: `{text}`" for label, text in content]
    else:
        items = [" ".join(item.split()) for item in content]
    return [f"**{title}:**", "", *(f"- {item}" for item in items)]


def catalog_markdown(forge: Catalog, pictures: str | None = None) -> str:
    """The catalog reference page: every function by category, with derivatives.

    Args:
        forge: The catalog.
        pictures: A folder (relative to the page) holding ``NAME.png`` for each
            function (see ``picture_png``); default: no pictures.
    """
    lines = [_HEADER]
    for category in forge.categories():
        names = forge.list_all(category=category)
        lines += [f"## {category.capitalize()}s ({len(names)})", ""]
        lines.append(", ".join(f"[{n}](#{n})" for n in names))
        lines.append("")
        for name in names:
            expression = forge.get(name)
            picture = pictures and has_picture(expression) and f"{pictures}/{name}.png"
            lines.append(as_markdown(document(expression, derivatives=True), picture or None))
    return "\n".join(lines).rstrip() + "\n"
