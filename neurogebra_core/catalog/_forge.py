"""MathForge: the catalog of functions that packs and definition files provide.

``MathForge()`` discovers packs (``_packs``), registers their primitives and
optimisers, and queues their definition files and Expressions, each checked
as its hook returns it; files are read and formulas parsed only on first
use, so creating a forge is cheap. Pack code runs only at the guarded
boundary of ``_packs.call_pack``, so a broken pack is a PluginError in
``plugin_errors``, never a crash of ``get()``. ``get`` hands out fresh
Expressions: changing one never touches the catalog.
"""

from __future__ import annotations

import collections
import threading
import warnings
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .. import render
from ..errors import (ArgumentError, DefinitionError, PluginError, PluginWarning,
                      RegistrationError, UnknownFunctionError, did_you_mean, shown)
from ..expression import Expression, formula_over_names
from ..optim import optimizer_problem
from ._definitions import (build_expression, checked_metadata, definition_from_fields,
                           expression_from_definition)
from ._files import (Traversable, as_path, definition_files, environment_paths,
                     paths_argument, read_definition_file)
from ._index import Catalog, Entry
from ._pack_primitives import register_pack_primitives
from ._packs import (Pack, call_hook, call_pack, load_packs, make_plugin_manager, pack_error,
                     pack_name_problem, parse_selection, register_objects)
from ._schema import FIELDS_BY_NAME

__all__ = ["MathForge"]

_LOCAL = Pack("local", None, None, False)
_USER = Pack("user", None, None, False)


class MathForge:
    """The catalog: activations, losses and whatever installed packs add.

    A pack that fails to import or misbehaves (whatever its code raises,
    ``SystemExit`` included, or whatever its hooks return) is skipped and
    reported in :attr:`plugin_errors` and as a :class:`PluginWarning`; the
    rest of the catalog works.

    Args:
        plugins: Which installed packs to load: ``"all"``, ``"builtin"``,
            ``"none"`` or pack names, comma-separated or as a list (default:
            ``$NEUROGEBRA_PLUGINS``, else all).
        paths: Extra definition files or folders (one path, or a list), read
            after the packs, as are those in ``$NEUROGEBRA_PATH`` (separated
            by ``os.pathsep``).
        packs: Packs given directly as ``{name: module or object with hook
            implementations}``, e.g. to try one before publishing it.
        trace: A function receiving pluggy's trace of every hook call (for
            example ``print``), to see what each pack contributes.

    Raises:
        ArgumentError: an argument is not of the kind above, or the selection
            names no pack (``plugins=[]``, ``NEUROGEBRA_PLUGINS=",,,"``).
    """

    def __init__(self, plugins=None, paths: Iterable[str | Path] | str | Path | None = None,
                 packs: Mapping[str, object] | None = None,
                 trace: Callable[[str], object] | None = None):
        selection = parse_selection(plugins)
        paths = paths_argument(paths, "paths=")
        packs = _packs_argument(packs)
        if trace is not None and not callable(trace):
            raise ArgumentError(f"trace= takes a function such as print, got "
                                f"{type(trace).__name__}")
        self._manager = make_plugin_manager()
        if trace is not None:
            self._manager.trace.root.setwriter(trace)
            self._manager.enable_tracing()
        self._catalog = Catalog()
        self._loading = threading.RLock()
        self._errors: list[PluginError] = []
        self._pending: collections.deque[tuple[Pack, str, object]] = collections.deque()
        found = load_packs(self._manager, selection)
        found += register_objects(self._manager, packs)
        self._report(p.error for p in found if not p.loaded)
        self._packs = [p for p in found if p.loaded]
        self._report(register_pack_primitives(self._manager, self._packs))
        self._optimizers = self._collect_optimizers()
        self._collect("neurogebra_definition_files", "file", _checked_file)
        self._collect("neurogebra_expressions", "expression", _checked_expression)
        self._queue_paths([*paths, *environment_paths()])

    # -- loading -----------------------------------------------------------
    def _report(self, errors: Iterable[PluginError]) -> None:
        for error in errors:
            self._errors.append(error)
            warnings.warn(str(error), PluginWarning, stacklevel=4)

    def _queue_paths(self, paths: list) -> None:
        """Queue the definition files of ``paths`` (each file once) as pack ``local``."""
        seen = set()
        for path in paths:
            try:
                files = [f for f in definition_files(path) if str(f) not in seen]
            except DefinitionError as exc:
                self._report([_pack_error(_LOCAL, f"cannot use a path: {exc}", exc)])
                continue
            seen.update(map(str, files))
            self._pending.extend((_LOCAL, "file", file) for file in files)

    def _collect_optimizers(self) -> dict:
        found = {}
        for result in call_hook(self._manager, "neurogebra_optimizers", self._packs):
            if result.error is not None:
                self._report([result.error])
                continue
            for cls in result.items:
                problem = call_pack(result.pack.name, result.pack.distribution,
                                    "has a bad optimizer", optimizer_problem, cls, taken=found)
                if problem is None:
                    found[cls.name] = cls
                else:
                    self._report([_pack_error(result.pack, problem, None)])
        return found

    def _collect(self, hook: str, kind: str, check: Callable) -> None:
        """Queue what each pack's ``hook`` returns, each item checked now by ``check``."""
        for result in call_hook(self._manager, hook, self._packs):
            if result.error is not None:
                self._report([result.error])
                continue
            pack = result.pack
            for item in result.items:
                try:
                    checked = call_pack(pack.name, pack.distribution,
                                        f"returned a bad {kind} from {hook}()", check, item)
                except PluginError as exc:
                    self._report([exc])
                    continue
                self._pending.append((pack, kind, checked))

    def _load_pending(self) -> None:
        """Read the queued files and Expressions (callers hold ``self._loading``).

        One item at a time, each at the guarded boundary; an item leaves the
        queue only once it is in the catalog (or reported), so a thread that
        finds the queue empty finds every function, and a bad item never
        takes the others with it."""
        while self._pending:
            pack, kind, item = self._pending[0]
            add = self._add_file if kind == "file" else self._add_expression
            try:
                call_pack(pack.name, pack.distribution, f"has a bad {kind}", add, pack, item)
                error = None
            except PluginError as exc:
                error = exc
            self._pending.popleft()
            if error is not None:
                self._report([error])

    def _add_file(self, pack: Pack, file) -> None:
        definitions, errors = read_definition_file(file)
        self._report(_pack_error(pack, f"has an invalid definition: {e}", e) for e in errors)
        for definition in definitions:
            self._add(Entry(definition.name, pack.name, definition=definition,
                            build=_build_from_definition), pack)

    def _add_expression(self, pack: Pack, expression: Expression) -> None:
        self._add(Entry(expression.name, pack.name, expression=expression), pack)

    def _add(self, entry: Entry, pack: Pack) -> None:
        try:
            messages = self._catalog.add(entry)
        except RegistrationError as exc:
            self._report([_pack_error(pack, f"defines a name twice: {exc}", exc)])
            return
        for message in messages:
            warnings.warn(message, PluginWarning, stacklevel=5)

    def _index(self) -> Catalog:
        """The catalog, with any definition files still pending read first."""
        if self._pending:
            with self._loading:   # other threads wait until every file is in
                if self._pending:
                    self._load_pending()
        return self._catalog

    # -- information about packs --------------------------------------------------
    @property
    def plugin_manager(self):
        """The pluggy ``PluginManager`` of this forge (for tracing and inspection)."""
        return self._manager

    @property
    def plugin_errors(self) -> list[PluginError]:
        """Every problem met while loading packs and their files (a copy)."""
        self._index()
        return list(self._errors)

    @property
    def optimizers(self) -> dict:
        """Optimisers that packs add, by name (the built-in ones are always there)."""
        return dict(self._optimizers)

    @property
    def packs(self) -> list[dict]:
        """Loaded packs with distribution, version and number of functions."""
        counts: dict[str, int] = {}
        for entry in self._index().all_entries():
            counts[entry.pack] = counts.get(entry.pack, 0) + 1
        rows = [{"name": p.name, "distribution": p.distribution, "version": p.version,
                 "builtin": p.builtin, "functions": counts.get(p.name, 0)}
                for p in self._packs]
        for extra in (_LOCAL.name, _USER.name):
            if extra in counts:
                rows.append({"name": extra, "distribution": None, "version": None,
                             "builtin": False, "functions": counts[extra]})
        return rows

    # -- the catalog ------------------------------------------------------------
    def __contains__(self, name) -> bool:
        try:
            self._index().resolve(name)
        except UnknownFunctionError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._index())

    def get(self, name: str, params: Mapping[str, float] | None = None,
            trainable: bool | Iterable[str] | None = None) -> Expression:
        """A fresh Expression for catalog function ``name``.

        Args:
            name: A catalog name, an alias, or ``pack.name``; any case.
            params: Values replacing the defaults.
            trainable: ``None`` (default) keeps the params the definition
                declares ``trainable:``; ``True`` makes those (or, if it names
                none, all params) trainable; a list names them; ``False``
                leaves none trainable.

        Raises:
            UnknownFunctionError: no function has that name (with suggestions).
            ArgumentError: ``params`` is not a mapping, or ``trainable`` not
                one of the above.
            ParameterError: ``params`` names a param the function lacks.
        """
        if params is not None and not isinstance(params, Mapping):
            raise ArgumentError(f"params= takes a mapping of param names to values, got "
                                f"{type(params).__name__} {shown(params)}")
        entry = self._index().resolve(name)
        prototype = entry.prototype()
        chosen = _trainable(prototype, trainable)
        expression = Expression(prototype.name, prototype, trainable_params=chosen,
                                variables=prototype.variables)
        for key, value in dict(params or {}).items():
            expression.params[key] = value
        return expression

    def list_all(self, category: str | None = None) -> list[str]:
        """Catalog names, sorted.

        Args:
            category: Only the functions of this category (any case).

        Raises:
            ArgumentError: ``category`` is not text.
            UnknownFunctionError: no function has that category.
        """
        if category is not None and not isinstance(category, str):
            raise ArgumentError(f"category= is text such as 'loss', got "
                                f"{type(category).__name__} {shown(category)}")
        entries = self._index().entries()
        if category is None:
            return [e.name for e in entries]
        known = self.categories()
        if category.lower() not in known:
            raise UnknownFunctionError(f"no category {shown(category)}."
                                       f"{did_you_mean(category.lower(), known)} "
                                       f"Categories: {', '.join(known)}")
        return [e.name for e in entries if e.category.lower() == category.lower()]

    def categories(self) -> list[str]:
        """The categories present, sorted."""
        return sorted({e.category.lower() for e in self._index().entries()})

    def search(self, query: str) -> list[str]:
        """Names matching a text, best first.

        Args:
            query: Words looked for in names, aliases, descriptions and usage.
        """
        if not isinstance(query, str) or not query.strip():
            raise ArgumentError("search() needs a non-empty text query")
        return [name for _, name in self._index().search(query)]

    def explain(self, name: str, derivatives: bool = False) -> str:
        """A plain-language explanation of ``name`` built from its documentation.

        Args:
            name: A catalog name, alias or ``pack.name``.
            derivatives: Also print the first derivative for each variable.
        """
        if not isinstance(derivatives, bool):
            raise ArgumentError(f"derivatives= is True or False, got {shown(derivatives)}")
        entry = self._index().resolve(name)
        return render.as_text(render.document(entry.prototype(), entry.pack, derivatives))

    def qualified_name(self, name: str) -> str:
        """``pack.name`` of the function a name resolves to.

        Args:
            name: A catalog name, alias or qualified name.
        """
        return self._index().resolve(name).qualified

    # -- extending ---------------------------------------------------------------
    def register(self, expression: Expression | str, formula: str | None = None, *,
                 overwrite: bool = False, **fields) -> Expression:
        """Add a function under pack ``user``; never silently replaces one.

        Either ``register(expression)`` or ``register(name, formula, **fields)``.

        Args:
            expression: An Expression, or the name of a new function.
            formula: The formula, when ``expression`` is a name.
            overwrite: Point the name at this function even if it is taken (the
                old one stays reachable by its qualified name).
            **fields: Fields of the definition format (``params``,
                ``description``...), when ``expression`` is a name.

        Raises:
            ArgumentError: a field is unknown or not of its kind in the
                definition format (``pros=5``), the metadata of ``expression``
                likewise, or the name is not an identifier.
            RegistrationError: the name, or one of the aliases, is taken
                (and ``overwrite`` is false); nothing is added then.
        """
        if not isinstance(overwrite, bool):
            raise ArgumentError(f"overwrite= is True or False, got {shown(overwrite)}")
        if isinstance(expression, str):
            expression = _expression_from_fields(expression, formula, fields)
        elif fields or formula is not None:
            raise ArgumentError("register(expression) takes no formula or fields; "
                                "put documentation in the Expression's metadata")
        if not isinstance(expression, Expression):
            raise ArgumentError(f"register() takes an Expression or a name, "
                                f"got {type(expression).__name__}")
        try:
            checked = _checked_expression(expression)
        except (DefinitionError, RegistrationError) as exc:
            raise ArgumentError(f"register(): {exc}") from None
        entry = Entry(checked.name, _USER.name, expression=checked)
        self._index().add(entry, on_conflict="replace" if overwrite else "raise")
        return expression

    def load(self, path: str | Path) -> list[str]:
        """Read definition files from a file or folder; return the names added.

        Names and aliases already taken are refused (nothing of that
        function is added); the other functions are added.

        Args:
            path: A file, or a folder searched to any depth.

        Raises:
            ArgumentError: ``path`` is not text or a Path.
            DefinitionError: listing every problem, one per line.
        """
        added, problems = [], []
        for file in definition_files(path):
            try:
                definitions, errors = read_definition_file(file)
            except DefinitionError as exc:
                problems.append(exc)
                continue
            problems += errors
            for definition in definitions:
                entry = Entry(definition.name, _LOCAL.name, definition=definition,
                              build=_build_from_definition)
                try:
                    self._index().add(entry, on_conflict="raise")
                    added.append(definition.name)
                except RegistrationError as exc:
                    problems.append(definition.error(str(exc), "name"))
        if problems:
            raise DefinitionError("\n".join(str(p) for p in problems))
        return added

    def compose(self, formula: str, name: str | None = None) -> Expression:
        """Combine catalog functions with a formula, e.g. ``"mse + 0.1*mae"``.

        Args:
            formula: Catalog names, variables of those functions, numbers and
                the formula language.
            name: The result's name (default: the formula).

        Raises:
            ArgumentError: ``formula`` or ``name`` is not text.
            UnknownFunctionError: a name is neither.
            ParameterError: two functions give one param different values.
        """
        if not isinstance(formula, str) or not (name is None or isinstance(name, str)):
            raise ArgumentError(f"compose() takes a formula and a name as text, got "
                                f"{type(formula).__name__} and {type(name).__name__}")

        def check_free(free, parts):
            variables = {v for part in parts for v in part.variables}
            unresolved = [n for n in free if n not in variables]
            if unresolved:
                raise UnknownFunctionError(
                    f"compose(): {', '.join(map(shown, unresolved))} is not a catalog function."
                    f"{did_you_mean(unresolved[0], self._index().known_names())}")
            if not parts:
                raise ArgumentError(f"compose() needs at least one catalog name in {formula!r}")
        return formula_over_names(formula, self._lookup, name, check_free)

    def _lookup(self, name: str) -> Expression | None:
        """A fresh Expression for ``name``, or None when the catalog has none."""
        try:
            return self.get(name)
        except UnknownFunctionError:
            return None

    def _repr_html_(self) -> str:
        """Notebook display: the catalog as a table."""
        return render.catalog_html(self.get(name) for name in self.list_all())

    def __repr__(self) -> str:
        return f"MathForge({len(self)} functions from {len(self._packs)} packs)"


def _packs_argument(packs) -> dict[str, object]:
    """``packs=`` as a dict of pack name -> plugin object, names checked."""
    if packs is None:
        return {}
    if not isinstance(packs, Mapping):
        raise ArgumentError(f"packs= takes a mapping of pack names to modules or objects, "
                            f"got {type(packs).__name__} {shown(packs)}")
    packs = dict(packs)
    for name in packs:
        problem = pack_name_problem(name)
        if problem is not None:
            raise ArgumentError(f"packs=: {problem}")
    return packs


def _checked_file(item):
    """A definition file a hook returned, checked now so that it cannot break
    a later ``get()``: text, a Path or an importlib.resources traversable."""
    if isinstance(item, Traversable) and not isinstance(item, Path):
        return item
    return as_path(item, "a definition file")


def _checked_expression(expression) -> Expression:
    """A copy of ``expression`` fit for the catalog: its name a catalog name,
    its documentation checked (and normalised) by the definition format."""
    if not isinstance(expression, Expression):
        raise RegistrationError(f"got {type(expression).__name__}, not an Expression")
    FIELDS_BY_NAME["name"].kind.read(expression.name, "name",
                                     lambda message: RegistrationError(f"catalog {message}"))
    copy = expression.clone()
    copy.metadata.update(checked_metadata(expression.metadata,
                                          f"metadata of {expression.name!r}"))
    return copy


def _trainable(prototype: Expression, trainable) -> tuple[str, ...]:
    if trainable is None:
        return prototype.trainable_params
    if trainable is False:
        return ()
    if trainable is True:
        return prototype.trainable_params or tuple(prototype.params)
    if isinstance(trainable, str):
        return (trainable,)
    if isinstance(trainable, Iterable) and not isinstance(trainable, (bytes, Mapping)):
        names = tuple(trainable)
        if all(isinstance(name, str) for name in names):
            return names
    raise ArgumentError(f"trainable= is None, True, False, a param name or a list of them, "
                        f"got {shown(trainable)}")


def _pack_error(pack: Pack, what: str, cause: BaseException | None) -> PluginError:
    return pack_error(pack.name, pack.distribution, what, cause)


def _build_from_definition(entry: Entry) -> Expression:
    return expression_from_definition(entry.definition)


def _expression_from_fields(name: str, formula, fields: dict) -> Expression:
    """register(name, formula, **fields): the fields checked as a file's would be."""
    if formula is None:
        raise ArgumentError("register(name, formula, ...) needs a formula")
    try:
        definition = definition_from_fields({"name": name, "formula": formula, **fields},
                                            "register()")
    except DefinitionError as exc:
        raise ArgumentError(str(exc)) from None
    return build_expression(definition)
