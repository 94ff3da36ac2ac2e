"""Rich display in notebooks: an Expression as a card, the catalog as a table."""

from __future__ import annotations

import html

import sympy

from .describing import first_sentence
from .parsing import symbol

__all__ = ["expression_html", "catalog_html", "title_latex"]


def _math(latex: str) -> str:
    return f"\\({html.escape(latex)}\\)"


def title_latex(expression) -> str:
    r"""``\mathrm{name}(x, y)`` in LaTeX."""
    name = expression.name.replace("_", "\\_")
    args = ", ".join(sympy.latex(symbol(v)) for v in expression.variables)
    return f"\\mathrm{{{name}}}({args})"


def expression_html(expression) -> str:
    """Name, formula in LaTeX, params and documentation of one Expression."""
    meta = expression.metadata
    rows = ["<div class='neurogebra-expression'>",
            f"<p><strong>{html.escape(expression.name)}</strong>"
            f"{' <em>[' + html.escape(str(meta['category'])) + ']</em>' if meta.get('category') else ''}"
            f": {_math(title_latex(expression) + ' = ' + expression.latex)}</p>"]
    if meta.get("description"):
        rows.append(f"<p>{html.escape(str(meta['description']))}</p>")
    if expression.params:
        notes = meta.get("param_descriptions", {})
        rows.append("<table><tr><th>param</th><th>value</th><th>trainable</th><th></th></tr>")
        for name, value in expression.params.items():
            trainable = "yes" if name in expression.trainable_params else ""
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{value:g}</td><td>{trainable}</td>"
                        f"<td>{html.escape(notes.get(name, ''))}</td></tr>")
        rows.append("</table>")
    if meta.get("usage"):
        rows.append(f"<p><em>Use:</em> {html.escape(str(meta['usage']))}</p>")
    rows.append("</div>")
    return "\n".join(rows)


def catalog_html(forge) -> str:
    """The catalog as one table: name, category, formula and description."""
    rows = ["<table class='neurogebra-catalog'>",
            "<tr><th>name</th><th>category</th><th>formula</th><th>description</th></tr>"]
    for entry in forge._index.entries():
        expression = entry.prototype()
        description = first_sentence(expression.metadata.get("description"))
        rows.append(f"<tr><td>{html.escape(entry.name)}</td><td>{html.escape(entry.category)}"
                    f"</td><td>{_math(expression.latex)}</td><td>{html.escape(description)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)
