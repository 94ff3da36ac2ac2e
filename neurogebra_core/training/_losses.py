"""The Trainer's loss: a catalog name, a formula over catalog names and
penalties, or an Expression in ``y_pred`` and ``y_true``."""

from __future__ import annotations

import re

from ..errors import ArgumentError, ParameterError, UnknownFunctionError, VariableError, \
    did_you_mean
from ..expression import Expression, formula_over_names
from ..symbolic import ShapedSymbol, shape_of, vsum

__all__ = ["loss_expression", "REGULARIZERS", "LOSS_VARIABLES"]

LOSS_VARIABLES = ("y_pred", "y_true")
REGULARIZERS = {
    "l2": "sum of squares of the trainable params",
    "l1_penalty": "sum of absolute values of the trainable params",
}


def loss_expression(loss, model: Expression, forge) -> Expression:
    """The per-sample loss over ``y_pred``, ``y_true`` and (for penalties) the model's params.

    Raises:
        UnknownFunctionError: a name is neither a catalog loss, a penalty nor a
            param of the model.
        VariableError: the loss needs inputs other than y_pred, y_true and params.
        ParameterError: the loss and the model share a param name.
    """
    if isinstance(loss, Expression):
        unknown = set(loss.variables) - set(LOSS_VARIABLES)
        if unknown:
            raise VariableError(f"a loss takes the variables y_pred and y_true; "
                                f"{loss.name!r} also has {', '.join(sorted(unknown))}")
        _check_no_clash(loss, model)
        return loss
    if not isinstance(loss, str):
        raise ArgumentError(f"loss must be a catalog name, a formula or an Expression, "
                            f"got {type(loss).__name__}")
    for name in set(REGULARIZERS) & set(model.params):
        if re.search(rf"\b{name}\b", loss):
            raise ArgumentError(f"loss {loss!r}: {name!r} is both the penalty {name} and a "
                                "param of the model; rename the param")

    def resolve(name: str) -> Expression | None:
        if name in REGULARIZERS:
            return _penalty(name, model)
        if name in model.params or name in LOSS_VARIABLES:
            return None
        if name not in forge:
            known = forge.list_all(category="loss") + list(REGULARIZERS) + list(model.params)
            raise UnknownFunctionError(
                f"loss {loss!r}: {name!r} is neither a catalog loss, a penalty "
                f"({', '.join(REGULARIZERS)}) nor a param of the model."
                f"{did_you_mean(name, known)}")
        return forge.get(name)

    result = formula_over_names(loss, resolve, symbols=_output_symbols(model))
    extra = set(result.variables) - set(LOSS_VARIABLES) - set(model.params)
    if extra:
        raise VariableError(f"loss {loss!r} needs variables {', '.join(sorted(extra))}; a loss "
                            "may use y_pred, y_true and the model's params")
    _check_no_clash(result, model)
    variables = LOSS_VARIABLES + tuple(v for v in result.variables if v not in LOSS_VARIABLES)
    return Expression(result.name, result.symbolic_expr, params=result.params,
                      metadata=result.metadata, variables=variables)


def _penalty(name: str, model: Expression) -> Expression:
    """The regulariser ``name`` over the model's trainable params, as an Expression
    of them (a vector or matrix param counts with all its entries); built only
    when a loss names it."""
    trainable = model.trainable_params
    term = _PENALTY_TERMS[name]
    return Expression(name, sum(_total(term(model.symbol(p))) for p in trainable),
                      variables=trainable)


_PENALTY_TERMS = {"l2": lambda s: s ** 2, "l1_penalty": abs}   # one per REGULARIZERS entry


def _total(entries):
    """The sum of every entry of a vector or matrix (a scalar as it is)."""
    while shape_of(entries):
        entries = vsum(entries)
    return entries


def _output_symbols(model: Expression) -> dict | None:
    """``y_pred`` and ``y_true`` of the model's output shape, for a model with a vector
    output (so a loss formula such as ``-dot(y_true, log(y_pred))`` reads them as vectors)."""
    shape = shape_of(model.symbolic_expr) if model.shapes else ()
    if not shape:
        return None
    return {name: ShapedSymbol(name, shape) for name in LOSS_VARIABLES}


def _check_no_clash(loss: Expression, model: Expression) -> None:
    clash = set(loss.params) & set(model.params)
    if clash:
        raise ParameterError(f"the loss and the model both have params named "
                             f"{', '.join(sorted(clash))}; rename one")
