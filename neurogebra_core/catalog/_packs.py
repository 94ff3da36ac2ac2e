"""Finding, loading and calling packs, one at a time.

Packs are discovered through the entry point group ``neurogebra.forge``.
Pack code runs only through one guarded boundary, :func:`call_pack`: its
import, the listing and reading of its attributes, its registration and every
hook call. Whatever pack code raises there, ``SystemExit`` and
``GeneratorExit`` included, becomes a :class:`PluginError` naming the pack,
its distribution and the chained cause; that pack is skipped and every other
pack still loads. Only ``KeyboardInterrupt`` (the user's Ctrl-C) goes
through. Nothing is loaded at import time; :func:`make_plugin_manager` gives
a fresh manager each time. Two installed packs with one name are an error
for the second, never a silent skip.

Which packs load is chosen by the ``NEUROGEBRA_PLUGINS`` environment variable
or the ``plugins=`` argument of MathForge: ``"all"`` (default), ``"builtin"``
(only neurogebra's own), ``"none"``, or a comma-separated list (or any
iterable) of pack names; a selection that names nothing (``",,,"``) is an
error.
"""

from __future__ import annotations

import os
import re
import types
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import pluggy

from ..errors import ArgumentError, NeurogebraError, PluginError, did_you_mean, shown
from . import _hookspecs as hookspecs
from ._entry_points import distribution_of, entry_points as find_entry_points

__all__ = ["Pack", "HookResult", "make_plugin_manager", "load_packs", "register_objects",
           "call_hook", "call_pack", "parse_selection", "pack_error", "hook_problems",
           "pack_name_problem", "ENV_SELECTION", "BUILTIN_DISTRIBUTION", "RESERVED_PACKS"]

ENV_SELECTION = "NEUROGEBRA_PLUGINS"
BUILTIN_DISTRIBUTION = "neurogebra"
RESERVED_PACKS = ("local", "user")   # the packs of files from paths= and of register()
_ORIGINS = {"local": "files from paths= or $NEUROGEBRA_PATH", "user": "register()"}
_PACK_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class Pack:
    """One discovered pack: its entry point name, distribution and version,
    and either the loaded plugin object or the error that stopped it."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    plugin: Any = None
    error: PluginError | None = None

    @property
    def loaded(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class HookResult:
    """What one pack's hook gave: a list of items, or the error it caused."""

    pack: Pack
    items: tuple = ()
    error: PluginError | None = None


def make_plugin_manager() -> pluggy.PluginManager:
    """A new plugin manager that knows neurogebra's hooks (and nothing else)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def parse_selection(selection) -> str | frozenset[str]:
    """Normalise a pack selection: 'all', 'builtin', 'none' or a set of names.

    Raises:
        ArgumentError: the selection is not text or names, names nothing
            (``",,,"``, ``[]``), mixes a word such as 'builtin' with names, or
            holds text that cannot name a pack (``"activations;losses"``); the
            message says where it came from.
    """
    where = "plugins="
    if selection is None:
        selection, where = os.environ.get(ENV_SELECTION, "all"), f"${ENV_SELECTION}="
    given = selection
    if isinstance(selection, str):
        word = selection.strip().lower()
        if word in ("all", "builtin", "none", ""):
            return word or "all"
        selection = selection.split(",")
    elif isinstance(selection, (bytes, bytearray)) or not isinstance(selection, Iterable):
        raise ArgumentError(f"{where} takes 'all', 'builtin', 'none' or pack names, "
                            f"got {type(selection).__name__} {shown(selection)}")
    selection = list(selection)
    bad = [name for name in selection if not isinstance(name, str)]
    if bad:
        raise ArgumentError(f"{where} lists pack names as text, got {type(bad[0]).__name__} "
                            f"{shown(bad[0])}")
    names = frozenset(name.strip() for name in selection if name.strip())
    if not names:
        raise ArgumentError(f"{where}{shown(given)} names no pack; use 'none' to load no "
                            "packs, 'builtin' or 'all'")
    for name in sorted(names):
        if name.lower() in ("all", "builtin", "none"):
            raise ArgumentError(f"{where}{shown(given)}: {name!r} chooses packs by itself; "
                                f"give {where}{name.lower()!r} alone, or pack names")
        if pack_name_problem(name) and name not in RESERVED_PACKS:
            raise ArgumentError(f"{where}{shown(given)}: {shown(name)} is not a pack name "
                                "(letters, digits, '_' and '-'); separate pack names with commas")
    return names


def pack_name_problem(name) -> str | None:
    """Why ``name`` cannot name a pack, or None.

    A pack name starts qualified names (``pack.function``), so it is text
    without dots; ``local`` and ``user`` are the packs of files and of
    ``register()``.
    """
    if not isinstance(name, str) or not _PACK_NAME.match(name):
        return (f"a pack name is letters, digits, '_' and '-' (starting with a letter), "
                f"got {shown(name)}")
    if name in RESERVED_PACKS:
        return f"the pack name {name!r} is reserved (local: files from paths=, user: register())"
    return None


def _wanted(name: str, builtin: bool, selection) -> bool:
    if selection == "all":
        return True
    if selection == "none":
        return False
    if selection == "builtin":
        return builtin
    return name in selection


def load_packs(manager: pluggy.PluginManager, selection="all") -> list[Pack]:
    """Load and register the selected packs: one result each, loaded or failed.

    Built-in packs come first, then the others sorted by name. A pack named
    in ``selection`` that is not installed is a failed result too, and so is
    an entry point whose name another distribution's pack already uses.
    """
    entry_points = find_entry_points(hookspecs.ENTRY_POINT_GROUP)
    found, known = [], {}
    for ep in entry_points:
        dist, version = distribution_of(ep, known)
        found.append((dist != BUILTIN_DISTRIBUTION, ep.name, ep, dist, version))
    packs, owners = [], {}
    for not_builtin, name, ep, dist, version in sorted(found, key=lambda f: f[:2]):
        if not _wanted(name, not not_builtin, selection):
            continue
        try:
            problem = pack_name_problem(name)
            if name in owners:
                problem = (f"is skipped: the pack name {name!r} is already used by distribution "
                           f"{owners[name] or 'unknown'}; two installed packs cannot share a "
                           "name (uninstall one, or rename its entry point)")
            if problem is not None:
                raise pack_error(name, dist, problem, None)
            owners[name] = dist
            plugin = _register(manager, name, _load(ep, dist), dist)
        except PluginError as exc:
            packs.append(Pack(name, dist, version, not not_builtin, error=exc))
            continue
        packs.append(Pack(name, dist, version, not not_builtin, plugin))
    if isinstance(selection, frozenset):
        known = [ep.name for ep in entry_points]
        for name in sorted(selection - {p.name for p in packs}):
            error = PluginError(f"no pack named {shown(name)} is installed."
                                f"{did_you_mean(name, known)}", name)
            packs.append(Pack(name, None, None, False, error=error))
    return packs


def register_objects(manager: pluggy.PluginManager, objects: Mapping[str, Any]
                     ) -> list[Pack]:
    """Register plugin objects given directly (``name -> module or object``).

    They go through the same checks as installed packs; this is how a pack is
    tried out before it is published.
    """
    packs = []
    for name, plugin in objects.items():
        try:
            problem = pack_name_problem(name)
            if problem is not None:
                raise pack_error(name, None, problem, None)
            plugin = _register(manager, name, plugin, None)
        except PluginError as exc:
            packs.append(Pack(name, None, None, False, error=exc))
            continue
        packs.append(Pack(name, None, None, False, plugin))
    return packs


def pack_error(pack: str, dist: str | None, what: str, cause: BaseException | None
               ) -> PluginError:
    """A PluginError naming the pack and its distribution, with the cause chained."""
    origin = _ORIGINS.get(pack, "distribution unknown") if dist is None else f"distribution {dist}"
    error = PluginError(f"pack {pack!r} ({origin}) {what}", pack, dist)
    error.__cause__ = cause
    return error


def call_pack(pack: str, dist: str | None, what: str, function, *args, **kwargs):
    """Run pack code, ``function(*args, **kwargs)``, at the one guarded boundary.

    Returns:
        What ``function`` returns.

    Raises:
        PluginError: ``function`` raised anything but KeyboardInterrupt
            (SystemExit and GeneratorExit included); the message is ``pack
            ... (distribution ...) {what}: {the problem}`` and the original
            exception is chained as ``__cause__``.
        KeyboardInterrupt: the user pressed Ctrl-C.
    """
    try:
        return function(*args, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:   # a pack must not end the process or break another
        raise pack_error(pack, dist, f"{what}: {_describe(exc)}", exc)


def _describe(exc: BaseException) -> str:
    """One bounded line about an exception, even one whose ``str()`` raises."""
    try:
        text = str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:   # pack code again, which may raise anything
        text = "(its message cannot be shown)"
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    if isinstance(exc, NeurogebraError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _register(manager: pluggy.PluginManager, name: str, plugin, dist: str | None):
    """Check a pack's hooks and register it; return the object registered.

    Raises:
        PluginError: the hooks are invalid, or the pack's code raises while
            its attributes are read, or pluggy refuses it.
    """
    problems = call_pack(name, dist, "could not be inspected", hook_problems, plugin)
    if problems:
        raise pack_error(name, dist, "has invalid hooks: " + "; ".join(problems), None)
    plugin = call_pack(name, dist, "could not be registered", _hashable, plugin, name)
    call_pack(name, dist, "could not be registered", manager.register, plugin, name=name)
    return plugin


def _hashable(plugin, name: str):
    """``plugin``, or a module holding its hooks if it cannot be hashed.

    pluggy keeps plugins in sets when calling a hook for some of them; a
    ``types.SimpleNamespace`` of hook functions (a handy way to try a pack)
    is unhashable, so its hooks are registered on a module instead.
    """
    try:
        hash(plugin)
        return plugin
    except TypeError:
        module = types.ModuleType(f"neurogebra_pack_{name}")
        for attribute in dir(plugin):
            if attribute.startswith("neurogebra_"):
                setattr(module, attribute, getattr(plugin, attribute))
        return module


def _load(entry_point, dist):
    return call_pack(entry_point.name, dist, f"failed to import {entry_point.value!r}",
                     entry_point.load)


def hook_problems(plugin) -> list[str]:
    """Misspelled or unmarked ``neurogebra_*`` functions of a plugin object.

    This is pluggy's ``check_pending()`` done per pack, before registering
    it: a misspelled hook fails only its own pack, and a function marked for
    another project (which pluggy would silently ignore) is reported too.
    """
    problems = []
    for attribute in dir(plugin):
        if not attribute.startswith("neurogebra_"):
            continue
        function = getattr(plugin, attribute)
        if not callable(function):
            continue
        marked = hasattr(function, f"{hookspecs.PROJECT}_impl")
        if attribute not in hookspecs.HOOK_NAMES:
            if marked:
                problems.append(f"{attribute} is not a neurogebra hook."
                                f"{did_you_mean(attribute, hookspecs.HOOK_NAMES)}")
        elif not marked:
            problems.append(f"{attribute} is not marked with @neurogebra.hookimpl "
                            "(a marker of another project registers nothing)")
    return problems


def call_hook(manager: pluggy.PluginManager, hook_name: str, packs: list[Pack]
              ) -> list[HookResult]:
    """Call ``hook_name`` on each loaded pack separately, in load order.

    Each call goes through pluggy's hook caller (restricted to that pack), so
    ``add_hookcall_monitoring`` and tracing see it; a pack whose hook raises
    or returns something other than a list gets a result with an error, and
    the others are unaffected.
    """
    plugins = {p.name: p.plugin for p in packs if p.loaded}
    implementers = {impl.plugin_name for impl in getattr(manager.hook, hook_name).get_hookimpls()}
    results = []
    for pack in packs:
        if not pack.loaded or pack.name not in implementers:
            continue
        others = [plugin for name, plugin in plugins.items() if name != pack.name]
        caller = manager.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            returned = call_pack(pack.name, pack.distribution, f"raised in {hook_name}()", caller)
            value = returned[0] if returned else []
            if not isinstance(value, (list, tuple)):
                raise pack_error(pack.name, pack.distribution,
                                 f"returned {type(value).__name__} from {hook_name}(); a hook "
                                 "returns a list", None)
            items = call_pack(pack.name, pack.distribution,
                              f"returned a list from {hook_name}() that cannot be read", tuple,
                              value)
        except PluginError as exc:
            results.append(HookResult(pack, error=exc))
            continue
        results.append(HookResult(pack, items))
    return results
