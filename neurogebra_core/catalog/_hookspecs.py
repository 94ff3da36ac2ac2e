"""The hooks a neurogebra pack may implement.

A pack is any importable module (or object) named by an entry point in the
group ``neurogebra.forge``. It marks its functions with
``@neurogebra.hookimpl``; each hook below takes no arguments and returns a
list, which :class:`~neurogebra.MathForge` merges with every other pack's,
refusing duplicates with a warning. Built-in packs use exactly these hooks.

Hooks, in the order MathForge calls them:

1. :func:`neurogebra_primitives` — new primitive functions for formulas;
2. :func:`neurogebra_definition_files` — YAML files of functions and docs;
3. :func:`neurogebra_expressions` — ready-made Expression objects;
4. :func:`neurogebra_optimizers` — optimisers for :class:`~neurogebra.Trainer`.
"""

from __future__ import annotations

import pluggy

PROJECT = "neurogebra"
ENTRY_POINT_GROUP = "neurogebra.forge"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["hookspec", "hookimpl", "PROJECT", "ENTRY_POINT_GROUP", "HOOK_NAMES"]


@hookspec
def neurogebra_primitives():
    """Return a list of :class:`neurogebra.Primitive` objects.

    Primitives are functions formulas can call (``softplus(x)``) that carry
    their own derivative rules and numerically stable NumPy/float kernels.
    They are registered process-wide before any definition file of any pack
    is parsed, so a pack's YAML formulas may use its own primitives. Each is
    checked first: its rules are called on symbols and its NumPy and scalar
    kernels on float64 inputs; keywords, one-letter names, ``y_pred``,
    ``y_true`` and names SymPy's printers use (``Mul``) are refused. A new
    Primitive object with the same code (built inside the hook) registers
    again quietly; a name already registered with a different definition is
    an error for the pack.
    """


@hookspec
def neurogebra_definition_files():
    """Return a list of YAML definition files: paths (``str`` or
    ``pathlib.Path``) or ``importlib.resources`` traversables (read with
    ``open("rb")``); any other item is reported when the hook returns.

    Files are read lazily, on the first catalog lookup, and validated
    against the schema in ``docs/yaml-format.md``; an invalid file is
    reported in ``MathForge.plugin_errors`` without affecting other packs.
    """


@hookspec
def neurogebra_expressions():
    """Return a list of :class:`neurogebra.Expression` objects to add.

    Use this for functions built in Python (composed, generated). Names are
    catalog names (identifiers, no dots); the Expression's ``metadata``
    supplies its documentation (``description``, ``usage``, ``category``,
    ``aliases``... as in the YAML format, and checked as a file's fields).
    """


@hookspec
def neurogebra_optimizers():
    """Return a list of :class:`neurogebra.Optimizer` subclasses.

    Each class has a unique lower-case ``name`` (how ``Trainer(optimizer=...)``
    finds it), takes ``learning_rate`` and its settings as keyword arguments,
    and implements ``_update(values, gradients) -> new values`` on NumPy
    vectors (``self.steps`` is already advanced). Names of built-in
    optimisers cannot be replaced.
    """


# Every function above marked @hookspec, in the order MathForge calls them.
HOOK_NAMES = tuple(name for name, value in list(globals().items())
                   if callable(value) and hasattr(value, f"{PROJECT}_spec"))
