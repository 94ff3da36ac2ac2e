"""Documents as HTML: an Expression's notebook card and the catalog table."""

from __future__ import annotations

import html
from typing import Iterable

from ._sections import Document, Documented, Section, first_sentence

__all__ = ["as_html", "catalog_html"]


def _math(latex: str) -> str:
    return f"\\({html.escape(latex)}\\)"


def as_html(doc: Document) -> str:
    """Name, formula in LaTeX, then every documented section."""
    category = f" <em>[{html.escape(doc.category)}]</em>" if doc.category else ""
    rows = ["<div class='neurogebra-expression'>",
            f"<p><strong>{html.escape(doc.name)}</strong>{category}: "
            f"{_math(doc.title_latex + ' = ' + doc.formula_latex)}</p>"]
    rows += [_section(section) for section in doc.sections]
    rows.append("</div>")
    return "\n".join(rows)


def _section(section: Section) -> str:
    title, content = html.escape(section.title), section.content
    if section.kind == "paragraph":
        lead = f"<em>{title}:</em> " if title else ""
        return f"<p>{lead}{html.escape(content)}</p>"
    if section.kind == "inline":
        return f"<p><em>{title}:</em> {html.escape(', '.join(content))}</p>"
    if section.kind == "params":
        lines = ["<table><tr><th>param</th><th>value</th><th>trainable</th><th></th></tr>"]
        lines += [f"<tr><td>{html.escape(row.name)}</td><td>{row.shown}</td>"
                  f"<td>{'yes' if row.trainable else ''}</td>"
                  f"<td>{html.escape(row.description)}</td></tr>" for row in content]
        return "\n".join(lines + ["</table>"])
    if section.kind == "pairs":
        items = [f"{html.escape(label)}: <code>{html.escape(text)}</code>"
                 for label, text in content]
    else:
        items = [html.escape(item) for item in content]
    return f"<p><em>{title}:</em></p><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def catalog_html(functions: Iterable[Documented]) -> str:
    """A table of functions: name, category, formula and the description's first sentence."""
    rows = ["<table class='neurogebra-catalog'>",
            "<tr><th>name</th><th>category</th><th>formula</th><th>description</th></tr>"]
    for function in functions:
        meta = function.metadata
        rows.append(f"<tr><td>{html.escape(function.name)}</td>"
                    f"<td>{html.escape(str(meta.get('category') or 'other'))}</td>"
                    f"<td>{_math(function.latex)}</td>"
                    f"<td>{html.escape(first_sentence(meta.get('description')))}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)
