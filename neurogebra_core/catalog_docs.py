"""Markdown reference of the built-in catalog, generated from the YAML files.

``neurogebra catalog --output docs/catalog.md`` rewrites the page; a test
fails when the committed page differs from what this module renders.
"""

from __future__ import annotations

from .forge import MathForge

__all__ = ["render_catalog"]

_HEADER = """# Catalog of built-in functions

Generated from `registry/*.yaml` by `neurogebra catalog --output docs/catalog.md`;
do not edit by hand. Activations take `x`; losses take `y_pred` and `y_true` and
are per element (no reduction). Derivatives are as neurogebra prints them.
"""


def _entry(forge: MathForge, name: str) -> list[str]:
    expression = forge.get(name)
    meta = expression.metadata
    lines = [f"### {name}", "", meta.get("description", ""), ""]
    lines.append(f"- Formula: `{expression.formula}`")
    if meta.get("latex"):
        lines.append(f"- Math: ${meta['latex']}$")
    for variable in expression.variables:
        lines.append(f"- d/d{variable}: `{expression.gradient(variable).formula}`")
    notes = meta.get("param_descriptions", {})
    for param, value in expression.params.items():
        text = f"- Param `{param}` = {value:g}"
        lines.append(text + (f": {notes[param]}" if param in notes else ""))
    if meta.get("aliases"):
        lines.append("- Aliases: " + ", ".join(f"`{a}`" for a in meta["aliases"]))
    for library, target in meta.get("equivalents", {}).items():
        lines.append(f"- {library}: `{target}`")
    if meta.get("usage"):
        lines.append(f"- Use: {meta['usage']}")
    lines += [f"- Pro: {p}" for p in meta.get("pros", [])]
    lines += [f"- Con: {c}" for c in meta.get("cons", [])]
    if meta.get("notes"):
        lines.append(f"- Note: {' '.join(meta['notes'].split())}")
    lines += [f"- Reference: {r}" for r in meta.get("references", [])]
    return lines + [""]


def render_catalog() -> str:
    """The catalog page for neurogebra's built-in packs."""
    forge = MathForge(plugins="builtin")
    lines = [_HEADER]
    for category in forge.categories():
        names = forge.list_all(category=category)
        lines += [f"## {category.capitalize()}s ({len(names)})", ""]
        lines.append(", ".join(f"[{n}](#{n})" for n in names))
        lines.append("")
        for name in names:
            lines += _entry(forge, name)
    return "\n".join(lines).rstrip() + "\n"
