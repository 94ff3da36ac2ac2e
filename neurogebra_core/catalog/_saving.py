"""Saving an Expression as a YAML definition file, and loading it back.

The format users share is the format neurogebra saves: a definition file of
the catalog schema (``_schema``) holding one function, whose formula is the
Expression's, whose param defaults are its *current* values (so a trained
model saves its trained params), with its variables, trainable params and
documentation. Loading reads the file as the catalog does and builds the
same Expression: equal formula, params, values and derivatives.

``Expression.to_yaml()`` and ``Expression.save(path)`` call
:func:`definition_yaml`, which the catalog registers with the expression
layer (that layer cannot import this one); ``neurogebra.load`` is
:func:`load_expression`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import sympy
import yaml

from .._version import __version__
from ..errors import ArgumentError, DefinitionError, NeurogebraError, shown
from ..expression import Expression, declaration_of, plain_shape
from ..symbolic import formula_text, parse_formula
from ._definitions import expression_from_definition
from ._files import read_definition_file
from ._pack_primitives import load_installed_primitives
from ._schema import FIELDS, SCHEMA_VERSIONS

__all__ = ["definition_yaml", "load_expression"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DOCUMENTATION = [f.name for f in FIELDS if f.documentation]


def definition_yaml(expression: Expression, name: str | None = None) -> str:
    """``expression`` as the text of a definition file with one function.

    Args:
        expression: What to save; its current param values become the defaults.
        name: The catalog name to save it under (default: its own name).

    Raises:
        DefinitionError: the name is not a catalog name, or the formula
            cannot be written as formula text that reads back the same.
    """
    name = expression.name if name is None else name
    if not isinstance(name, str) or not _NAME.match(name):
        raise DefinitionError(f"{shown(name)} is not a catalog name (letters, digits and _, "
                              "starting with a letter); pass one with name=...")
    function = {"name": name, "formula": _exact_formula(expression),
                "variables": _variables(expression)}
    if expression.params:
        function["params"] = _params(expression)
    if expression.trainable_params:
        function["trainable"] = list(expression.trainable_params)
    function.update(_documentation(expression))
    header = (f"# {name}, saved by neurogebra {__version__}: load it with "
              f"neurogebra.load(path) or MathForge().load(path)\n")
    schema = SCHEMA_VERSIONS[-1] if _declared(expression) else SCHEMA_VERSIONS[0]
    body = yaml.safe_dump({"schema": schema, "functions": [function]},
                          sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=None)
    return header + body


def load_expression(path: str | Path, name: str | None = None) -> Expression:
    """The Expression a definition file describes (as :meth:`Expression.save` wrote it).

    Args:
        path: A YAML definition file.
        name: Which function, when the file defines several.

    Raises:
        ArgumentError: ``path`` is not text or a Path, or ``name`` not text.
        DefinitionError: the file is invalid, or ``name`` is missing or needed.
    """
    if name is not None and not isinstance(name, str):
        raise ArgumentError(f"name= is the name of a function in the file, got "
                            f"{type(name).__name__} {shown(name)}")
    load_installed_primitives()   # a saved formula may call a pack's primitive
    definitions, errors = read_definition_file(path)
    if errors:
        raise DefinitionError("\n".join(str(e) for e in errors))
    names = [d.name for d in definitions]
    if name is None and len(definitions) != 1:
        raise DefinitionError(f"{path} defines {len(definitions)} functions "
                              f"({', '.join(names) or 'none'}); choose one with name=...")
    chosen = definitions[0] if name is None else \
        next((d for d in definitions if d.name == name), None)
    if chosen is None:
        raise DefinitionError(f"{path} defines no function {shown(name)}; "
                              f"it has {', '.join(names)}")
    return expression_from_definition(chosen)


def _exact_formula(expression: Expression) -> str:
    """Formula text that parses back to the same function, or an error: the
    author's own text while the formula is unchanged, else the printed one."""
    symbols = {n: expression.symbol(n) for n in _declared(expression)}
    written = expression.written_formula
    if written is not None and parse_formula(written, symbols=symbols or None) \
            == expression.symbolic_expr:
        return written
    text = formula_text(expression.symbolic_expr)
    try:
        again = parse_formula(text, symbols=symbols or None)
    except NeurogebraError as exc:
        raise DefinitionError(f"{expression.name!r} cannot be saved as formula text: {exc}") \
            from None
    if again != expression.symbolic_expr and sympy.expand(again - expression.symbolic_expr) != 0:
        raise DefinitionError(f"{expression.name!r} cannot be saved as formula text: {text!r} "
                              "reads back as a different function")
    return text


def _declared(expression: Expression) -> dict:
    """Variables and params declared as vectors, matrices or class indices: their declarations."""
    names = (*expression.variables, *expression.params)
    return {n: d for n in names if (d := declaration_of(expression.symbol(n))) is not None}


def _variables(expression: Expression):
    """The variable list, or for vectors and matrices a mapping to their declarations."""
    declared = _declared(expression)
    if not declared:
        return list(expression.variables)
    return {v: declared.get(v) for v in expression.variables}


def _params(expression: Expression) -> dict:
    descriptions = expression.metadata.get("param_descriptions", {})
    saved = {}
    declared = _declared(expression)
    for p, value in expression.params.items():
        spec = {"default": np.asarray(value).tolist() if np.ndim(value) else value}
        if p in declared:   # a vector or matrix: its shape, and every entry once trained
            spec["shape"] = list(plain_shape(expression.symbol(p)))
        if descriptions.get(p):
            spec["description"] = descriptions[p]
        saved[p] = spec if len(spec) > 1 else value
    return saved


def _documentation(expression: Expression) -> dict:
    """The metadata fields the schema documents; examples recomputed with the
    current params, so the saved file validates."""
    meta = expression.metadata
    fields = {}
    for key in _DOCUMENTATION:
        value = meta.get(key)
        if value in (None, "", (), [], {}):
            continue
        fields[key] = _examples(expression, value) if key == "examples" else \
            (list(value) if isinstance(value, tuple) else value)
    if not fields.get("examples"):
        fields.pop("examples", None)
    return fields


def _examples(expression: Expression, examples) -> list[dict]:
    names = set(expression.variables) | set(expression.params)
    kept = []
    for example in examples:
        inputs = {k: v for k, v in example.items() if k not in ("value", "tolerance")}
        if not set(inputs) <= names or not set(expression.variables) <= set(inputs):
            continue
        value = expression.eval(**inputs)
        if np.all(np.isfinite(value)):   # a vector function's value is a list
            tolerance = {"tolerance": example["tolerance"]} if "tolerance" in example else {}
            given = value.tolist() if isinstance(value, np.ndarray) else value
            kept.append({**inputs, "value": given, **tolerance})
    return kept
