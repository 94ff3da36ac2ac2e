"""MathForge: the catalog of functions that packs and YAML files provide.

``MathForge()`` discovers packs (see :mod:`neurogebra.plugins`), registers
their primitives, and remembers their definition files; the files are read
and formulas parsed only on first use, so creating a forge is cheap.

``get`` hands out fresh Expressions: changing one never touches the catalog.
"""

from __future__ import annotations

import os
import warnings
try:   # Python 3.11+; importlib.abc.Traversable is deprecated there
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable
from pathlib import Path
from typing import Iterable, Mapping

from .catalog import Catalog, Entry
from .definitions import FIELDS, FunctionDefinition, read_definitions
from .describing import explain_text
from .errors import (ArgumentError, DefinitionError, NeurogebraError, PluginError,
                     PluginWarning, RegistrationError, UnknownFunctionError, did_you_mean)
from .expression import Expression, substitute
from .parsing import parse_formula
from .optimizers import BUILTIN_OPTIMIZERS, Optimizer
from .plugins import (Pack, call_hook, load_packs, make_plugin_manager, pack_error,
                      parse_selection, register_objects)
from .primitives import Primitive, primitive_functions, register_primitive

__all__ = ["MathForge", "ENV_PATH"]

ENV_PATH = "NEUROGEBRA_PATH"
_LOCAL = Pack("local", None, None, False)
_USER = Pack("user", None, None, False)


class MathForge:
    """The catalog: activations, losses and whatever installed packs add.

    ``plugins`` selects installed packs (``"all"``, ``"builtin"``, ``"none"``
    or names; default: ``$NEUROGEBRA_PLUGINS`` or all). ``packs`` adds packs
    given directly as ``{name: module or object with hook implementations}``,
    e.g. to try one before publishing it. ``paths`` are extra YAML files or
    folders, read after the packs, as are those in ``$NEUROGEBRA_PATH`` (a
    list separated by ``os.pathsep``).
    """

    def __init__(self, plugins=None, paths: Iterable[str | Path] | None = None,
                 packs: Mapping[str, object] | None = None):
        self._manager = make_plugin_manager()
        self._catalog = Catalog()
        self._errors: list[PluginError] = []
        self._pending: list[tuple[Pack, str, object]] = []
        self._packs, errors = load_packs(self._manager, parse_selection(plugins))
        self._report(errors)
        given, errors = register_objects(self._manager, dict(packs or {}))
        self._packs += given
        self._report(errors)
        self._register_primitives()
        self._optimizers = self._collect_optimizers()
        self._collect("neurogebra_definition_files", "file")
        self._collect("neurogebra_expressions", "expression")
        self._queue_paths([*(paths or ()), *_env_paths()])

    # -- loading -----------------------------------------------------------
    def _queue_paths(self, paths: list) -> None:
        """Queue the YAML files of ``paths`` (each file once) as pack ``local``."""
        seen = set()
        for path in paths:
            try:
                files = [f for f in _yaml_files(path) if str(f) not in seen]
            except DefinitionError as exc:
                self._report([_pack_error(_LOCAL, f"cannot use a path: {exc}", exc)])
                continue
            seen.update(map(str, files))
            self._pending.extend((_LOCAL, "file", file) for file in files)

    def _report(self, errors: Iterable[PluginError]) -> None:
        for error in errors:
            self._errors.append(error)
            warnings.warn(str(error), PluginWarning, stacklevel=4)

    def _register_primitives(self) -> None:
        results, errors = call_hook(self._manager, "neurogebra_primitives", self._packs)
        self._report(errors)
        for pack, primitives in results:
            for primitive in primitives:
                try:
                    if not isinstance(primitive, Primitive):
                        raise RegistrationError(
                            f"neurogebra_primitives() returned {type(primitive).__name__}, "
                            "not a neurogebra.Primitive")
                    register_primitive(primitive)
                except RegistrationError as exc:
                    self._report([_pack_error(pack, f"has a bad primitive: {exc}", exc)])

    def _collect_optimizers(self) -> dict:
        results, errors = call_hook(self._manager, "neurogebra_optimizers", self._packs)
        self._report(errors)
        found = {}
        for pack, classes in results:
            for cls in classes:
                name = getattr(cls, "name", None)
                if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
                    problem = f"returned {cls!r}, not a neurogebra.Optimizer subclass"
                elif not isinstance(name, str) or name in BUILTIN_OPTIMIZERS or name in found:
                    problem = f"has an optimizer whose name {name!r} is missing or taken"
                else:
                    found[name] = cls
                    continue
                self._report([_pack_error(pack, problem, None)])
        return found

    @property
    def optimizers(self) -> dict:
        """Optimisers that packs add, by name (the built-in ones are always there)."""
        return dict(self._optimizers)

    def _collect(self, hook: str, kind: str) -> None:
        results, errors = call_hook(self._manager, hook, self._packs)
        self._report(errors)
        for pack, items in results:
            self._pending.extend((pack, kind, item) for item in items)

    def _load_pending(self) -> None:
        pending, self._pending = self._pending, []
        for pack, kind, item in pending:
            try:
                if kind == "file":
                    self._add_file(pack, item)
                else:
                    self._add_expression(pack, item)
            except NeurogebraError as exc:
                self._report([_pack_error(pack, f"has a bad {kind}: {exc}", exc)])

    def _add_file(self, pack: Pack, file) -> None:
        if isinstance(file, (str, os.PathLike)):
            file = Path(file)
        source = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError(f"cannot read the file: {exc}", source) from exc
        definitions, errors = read_definitions(text, source)
        self._report(_pack_error(pack, f"has an invalid definition: {e}", e) for e in errors)
        for definition in definitions:
            self._add(Entry(definition.name, pack.name, definition=definition,
                            build=_build_from_definition), pack)

    def _add_expression(self, pack: Pack, expression) -> None:
        if not isinstance(expression, Expression):
            raise RegistrationError(f"neurogebra_expressions() returned "
                                    f"{type(expression).__name__}, not an Expression")
        self._add(Entry(expression.name, pack.name, expression=expression.clone()), pack)

    def _add(self, entry: Entry, pack: Pack) -> None:
        try:
            messages = self._catalog.add(entry)
        except RegistrationError as exc:
            self._report([_pack_error(pack, f"defines a name twice: {exc}", exc)])
            return
        for message in messages:
            warnings.warn(message, PluginWarning, stacklevel=5)

    @property
    def _index(self) -> Catalog:
        """The catalog, with any definition files still pending read first."""
        if self._pending:
            self._load_pending()
        return self._catalog

    # -- information about packs --------------------------------------------------
    @property
    def plugin_errors(self) -> list[PluginError]:
        """Every problem met while loading packs and their files (a copy)."""
        if self._pending:
            self._load_pending()
        return list(self._errors)

    @property
    def packs(self) -> list[dict]:
        """Loaded packs with distribution, version and number of functions."""
        counts: dict[str, int] = {}
        for entry in self._index.all_entries():
            counts[entry.pack] = counts.get(entry.pack, 0) + 1
        rows = [{"name": p.name, "distribution": p.distribution, "version": p.version,
                 "builtin": p.builtin, "functions": counts.get(p.name, 0)}
                for p in self._packs]
        for extra in ("local", "user"):
            if extra in counts:
                rows.append({"name": extra, "distribution": None, "version": None,
                             "builtin": False, "functions": counts[extra]})
        return rows

    # -- the catalog ------------------------------------------------------------
    def __contains__(self, name) -> bool:
        try:
            self._index.resolve(name)
        except UnknownFunctionError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._index)

    def get(self, name: str, params: Mapping[str, float] | None = None,
            trainable: bool | Iterable[str] = False) -> Expression:
        """A fresh Expression for catalog function ``name``.

        ``params`` overrides defaults; ``trainable=True`` makes the
        definition's trainable params (or, if it names none, all params)
        trainable, a list names them, ``False`` leaves none trainable.
        """
        entry = self._index.resolve(name)
        prototype = entry.prototype()
        chosen = self._trainable(prototype, entry, trainable)
        expression = Expression(prototype.name, prototype, trainable_params=chosen,
                                variables=prototype.variables)
        for key, value in dict(params or {}).items():
            expression.params[key] = value
        return expression

    @staticmethod
    def _trainable(prototype: Expression, entry: Entry, trainable) -> tuple[str, ...]:
        if trainable is False or trainable is None:
            return ()
        if trainable is True:
            declared = entry.definition.trainable if entry.definition else \
                prototype.trainable_params
            return tuple(declared) or tuple(prototype.params)
        if isinstance(trainable, str):
            return (trainable,)
        return tuple(trainable)

    def list_all(self, category: str | None = None) -> list[str]:
        """Catalog names, sorted; only those of ``category`` if given."""
        entries = self._index.entries()
        if category is None:
            return [e.name for e in entries]
        known = self.categories()
        if category.lower() not in known:
            raise UnknownFunctionError(f"no category {category!r}."
                                       f"{did_you_mean(category.lower(), known)} "
                                       f"Categories: {', '.join(known)}")
        return [e.name for e in entries if e.category.lower() == category.lower()]

    def categories(self) -> list[str]:
        """The categories present, sorted."""
        return sorted({e.category.lower() for e in self._index.entries()})

    def search(self, query: str) -> list[str]:
        """Names matching ``query``, best first (name, aliases, description, usage)."""
        if not isinstance(query, str) or not query.strip():
            raise ArgumentError("search() needs a non-empty text query")
        return [name for _, name in self._index.search(query)]

    def explain(self, name: str) -> str:
        """A plain-language explanation of ``name`` built from its documentation."""
        entry = self._index.resolve(name)
        return explain_text(entry.prototype(), entry.pack)

    def qualified_name(self, name: str) -> str:
        """``pack.name`` of the function ``name`` resolves to."""
        return self._index.resolve(name).qualified

    # -- extending ---------------------------------------------------------------
    def register(self, expression: Expression | str, formula: str | None = None, *,
                 overwrite: bool = False, **fields) -> Expression:
        """Add a function under pack ``user``; never silently replaces one.

        Either ``register(expression)`` or ``register(name, formula, **fields)``
        where fields are those of the YAML format (params, description...).
        """
        if isinstance(expression, str):
            expression = _expression_from_fields(expression, formula, fields)
        elif fields or formula is not None:
            raise ArgumentError("register(expression) takes no formula or fields; "
                                "put documentation in the Expression's metadata")
        if not isinstance(expression, Expression):
            raise ArgumentError(f"register() takes an Expression or a name, "
                                f"got {type(expression).__name__}")
        if not expression.name.isidentifier():
            raise RegistrationError(f"catalog names are identifiers, got {expression.name!r}")
        entry = Entry(expression.name, _USER.name, expression=expression.clone())
        self._index.add(entry, on_conflict="replace" if overwrite else "raise")
        return expression

    def load(self, path: str | Path) -> list[str]:
        """Read YAML definitions from a file or folder; return the names added.

        Errors raise :class:`DefinitionError` (all of them, one per line).
        """
        added, problems = [], []
        for file in _yaml_files(path):
            definitions, errors = read_definitions(file.read_text(encoding="utf-8"), str(file))
            problems += errors
            for definition in definitions:
                entry = Entry(definition.name, _LOCAL.name, definition=definition,
                              build=_build_from_definition)
                try:
                    self._index.add(entry, on_conflict="raise")
                    added.append(definition.name)
                except RegistrationError as exc:
                    problems.append(definition.error(str(exc), "name"))
        if problems:
            raise DefinitionError("\n".join(str(p) for p in problems))
        return added

    def compose(self, formula: str, name: str | None = None) -> Expression:
        """Combine catalog functions with a formula, e.g. ``"mse + 0.1*mae"``.

        Every name must be a catalog function or a variable of one of them;
        params are merged (equal names must have equal values).
        """
        template = parse_formula(formula, primitive_functions(), bare_function_names=True)
        parts, unknown = {}, []
        for sym in sorted(template.free_symbols, key=lambda s: s.name):
            try:
                parts[sym] = self.get(sym.name)
            except UnknownFunctionError:
                unknown.append(sym.name)
        variables = {v for part in parts.values() for v in part.variables}
        unresolved = [u for u in unknown if u not in variables]
        if unresolved:
            names = self._index.known_names()
            raise UnknownFunctionError(
                f"compose(): {', '.join(map(repr, unresolved))} is not a catalog function."
                f"{did_you_mean(unresolved[0], names)}")
        if not parts:
            raise ArgumentError(f"compose() needs at least one catalog name in {formula!r}")
        return substitute(name or formula, template, parts)

    def _repr_html_(self) -> str:
        """Notebook display: the catalog as a table."""
        from .display import catalog_html
        return catalog_html(self)

    def __repr__(self) -> str:
        return f"MathForge({len(self)} functions from {len(self._packs)} packs)"


def _pack_error(pack: Pack, what: str, cause: BaseException | None) -> PluginError:
    return pack_error(pack.name, pack.distribution, what, cause)


def _build_from_definition(entry: Entry) -> Expression:
    return expression_from_definition(entry.definition)


def expression_from_definition(definition: FunctionDefinition) -> Expression:
    """Build (and check) the Expression a YAML definition describes."""
    try:
        return Expression(definition.name, definition.formula,
                          params={k: p.default for k, p in definition.params.items()},
                          metadata=definition.metadata(), variables=definition.variables)
    except NeurogebraError as exc:
        raise definition.error(str(exc), "formula") from exc


def _expression_from_fields(name: str, formula: str | None, fields: dict) -> Expression:
    if formula is None:
        raise ArgumentError("register(name, formula, ...) needs a formula")
    for key in fields:
        if key not in FIELDS:
            raise ArgumentError(f"register() got an unknown field {key!r}."
                                f"{did_you_mean(key, FIELDS)}")
    params = fields.pop("params", None)
    trainable = fields.pop("trainable", None)
    variables = fields.pop("variables", None)
    return Expression(name, formula, params=params, trainable_params=trainable,
                      metadata=fields, variables=variables)


def _env_paths() -> list[str]:
    value = os.environ.get(ENV_PATH, "")
    return [p for p in value.split(os.pathsep) if p.strip()]


def _yaml_files(path) -> list:
    """The YAML files at ``path`` (a file, a folder, or a resources traversable)."""
    if isinstance(path, Traversable) and not isinstance(path, Path):
        return [path]
    path = Path(path).resolve()
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    if not path.exists():
        raise DefinitionError("no such file or folder", str(path))
    return [path]
