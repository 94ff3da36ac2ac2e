"""Finding, loading and calling packs, one at a time.

Packs are discovered through the entry point group ``neurogebra.forge``.
Each entry point is loaded and registered inside its own ``try``: a pack that
fails to import, misspells a hook, or raises inside a hook is reported as a
:class:`PluginError` (naming the pack, its distribution and the chained
cause) and skipped, and every other pack still loads. Nothing is loaded at
import time; :func:`make_plugin_manager` gives a fresh manager each time.

Which packs load is chosen by the ``NEUROGEBRA_PLUGINS`` environment variable
or the ``plugins=`` argument of MathForge: ``"all"`` (default), ``"builtin"``
(only neurogebra's own), ``"none"``, or a comma-separated list of pack names.
"""

from __future__ import annotations

import importlib.metadata
import os
import types
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import pluggy

from ..errors import ArgumentError, PluginError, did_you_mean
from . import _hookspecs as hookspecs

__all__ = ["Pack", "HookResult", "make_plugin_manager", "load_packs", "register_objects",
           "call_hook", "parse_selection", "pack_error", "hook_problems",
           "ENV_SELECTION", "BUILTIN_DISTRIBUTION"]

ENV_SELECTION = "NEUROGEBRA_PLUGINS"
BUILTIN_DISTRIBUTION = "neurogebra"


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
    """Normalise a pack selection: 'all', 'builtin', 'none' or a set of names."""
    if selection is None:
        selection = os.environ.get(ENV_SELECTION, "all")
    if isinstance(selection, str):
        word = selection.strip().lower()
        if word in ("all", "builtin", "none", ""):
            return word or "all"
        selection = selection.split(",")
    if isinstance(selection, Iterable):
        names = frozenset(s.strip() for s in selection if s.strip())
        return names
    raise ArgumentError(f"plugins must be 'all', 'builtin', 'none' or pack names, "
                        f"got {selection!r}")


def _distribution(entry_point) -> tuple[str | None, str | None]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


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
    in ``selection`` that is not installed is a failed result too.
    """
    entry_points = importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP)
    found = []
    for ep in entry_points:
        dist, version = _distribution(ep)
        found.append((dist != BUILTIN_DISTRIBUTION, ep.name, ep, dist, version))
    packs = []
    for not_builtin, name, ep, dist, version in sorted(found, key=lambda f: f[:2]):
        if not _wanted(name, not not_builtin, selection) or manager.has_plugin(name):
            continue
        try:
            plugin = _register(manager, name, _load(ep, dist), dist)
        except PluginError as exc:
            packs.append(Pack(name, dist, version, not not_builtin, error=exc))
            continue
        packs.append(Pack(name, dist, version, not not_builtin, plugin))
    if isinstance(selection, frozenset):
        known = [ep.name for ep in entry_points]
        for name in sorted(selection - {p.name for p in packs}):
            error = PluginError(f"no pack named {name!r} is installed."
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
            plugin = _register(manager, name, plugin, None)
        except PluginError as exc:
            packs.append(Pack(name, None, None, False, error=exc))
            continue
        packs.append(Pack(name, None, None, False, plugin))
    return packs


def pack_error(pack: str, dist: str | None, what: str, cause: BaseException | None
               ) -> PluginError:
    """A PluginError naming the pack and its distribution, with the cause chained."""
    error = PluginError(f"pack {pack!r} (distribution {dist or 'unknown'}) {what}", pack, dist)
    error.__cause__ = cause
    return error


def _register(manager: pluggy.PluginManager, name: str, plugin, dist: str | None):
    """Check a pack's hooks and register it; return the object registered.

    Raises:
        PluginError: the hooks are invalid or pluggy refuses the pack.
    """
    problems = hook_problems(plugin)
    if problems:
        raise pack_error(name, dist, "has invalid hooks: " + "; ".join(problems), None)
    plugin = _hashable(plugin, name)
    try:
        manager.register(plugin, name=name)
    except Exception as exc:  # pluggy validation, or anything odd
        raise pack_error(name, dist, f"could not be registered: {exc}", exc) from exc
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
    try:
        plugin = entry_point.load()
    except Exception as exc:
        raise pack_error(entry_point.name, dist,
                         f"failed to import {entry_point.value!r}: "
                         f"{type(exc).__name__}: {exc}", exc) from exc
    return plugin


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
            returned = caller()
        except Exception as exc:
            results.append(HookResult(pack, error=pack_error(
                pack.name, pack.distribution,
                f"raised in {hook_name}(): {type(exc).__name__}: {exc}", exc)))
            continue
        value = returned[0] if returned else []
        if not isinstance(value, (list, tuple)):
            results.append(HookResult(pack, error=pack_error(
                pack.name, pack.distribution,
                f"returned {type(value).__name__} from {hook_name}(); a hook returns a list",
                None)))
            continue
        results.append(HookResult(pack, tuple(value)))
    return results
