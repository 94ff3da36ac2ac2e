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
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import pluggy

from . import hookspecs
from .errors import ArgumentError, PluginError, did_you_mean

__all__ = ["Pack", "make_plugin_manager", "load_packs", "register_objects", "call_hook",
           "parse_selection", "pack_error",
           "ENV_SELECTION", "BUILTIN_DISTRIBUTION"]

ENV_SELECTION = "NEUROGEBRA_PLUGINS"
BUILTIN_DISTRIBUTION = "neurogebra"


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its entry point name, distribution and version."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    plugin: Any = None


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


def load_packs(manager: pluggy.PluginManager, selection="all"
               ) -> tuple[list[Pack], list[PluginError]]:
    """Load and register the selected packs; return them and the failures."""
    entry_points = importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP)
    found = []
    for ep in entry_points:
        dist, version = _distribution(ep)
        found.append((dist != BUILTIN_DISTRIBUTION, ep.name, ep, dist, version))
    packs, errors = [], []
    for not_builtin, name, ep, dist, version in sorted(found, key=lambda f: f[:2]):
        if not _wanted(name, not not_builtin, selection) or manager.has_plugin(name):
            continue
        try:
            plugin = _load(ep, dist)
            _register(manager, name, plugin, dist)
        except PluginError as exc:
            errors.append(exc)
            continue
        packs.append(Pack(name, dist, version, not not_builtin, plugin))
    if isinstance(selection, frozenset):
        missing = selection - {p.name for p in packs} - {e.pack for e in errors}
        for name in sorted(missing):
            known = [ep.name for ep in entry_points]
            errors.append(PluginError(f"no pack named {name!r} is installed."
                                      f"{did_you_mean(name, known)}", name))
    return packs, errors


def register_objects(manager: pluggy.PluginManager, objects: Mapping[str, Any]
                     ) -> tuple[list[Pack], list[PluginError]]:
    """Register plugin objects given directly (``name -> module or object``).

    They go through the same checks as installed packs; this is how a pack is
    tried out before it is published.
    """
    packs, errors = [], []
    for name, plugin in objects.items():
        try:
            _register(manager, name, plugin, None)
        except PluginError as exc:
            errors.append(exc)
            continue
        packs.append(Pack(name, None, None, False, plugin))
    return packs, errors


def pack_error(pack: str, dist: str | None, what: str, cause: BaseException | None
               ) -> PluginError:
    """A PluginError naming the pack and its distribution, with the cause chained."""
    error = PluginError(f"pack {pack!r} (distribution {dist or 'unknown'}) {what}", pack, dist)
    error.__cause__ = cause
    return error


def _register(manager: pluggy.PluginManager, name: str, plugin, dist: str | None) -> None:
    """Check a pack's hooks and register it; failures raise a PluginError."""
    problems = hook_problems(plugin)
    if problems:
        raise pack_error(name, dist, "has invalid hooks: " + "; ".join(problems), None)
    try:
        manager.register(plugin, name=name)
    except Exception as exc:  # pluggy validation, or anything odd
        raise pack_error(name, dist, f"could not be registered: {exc}", exc) from exc


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
              ) -> tuple[list[tuple[Pack, list]], list[PluginError]]:
    """Call ``hook_name`` on each pack separately, in load order.

    A pack whose hook raises or returns something other than a list is
    reported and contributes nothing.
    """
    by_name = {p.name: p for p in packs}
    caller = getattr(manager.hook, hook_name)
    implementations = {impl.plugin_name: impl for impl in caller.get_hookimpls()}
    results, errors = [], []
    for pack in packs:
        impl = implementations.get(pack.name)
        if impl is None or by_name.get(impl.plugin_name) is None:
            continue
        try:
            value = impl.function()
        except Exception as exc:
            errors.append(pack_error(pack.name, pack.distribution,
                                   f"raised in {hook_name}(): {type(exc).__name__}: {exc}", exc))
            continue
        if value is None:
            value = []
        if not isinstance(value, (list, tuple)):
            errors.append(pack_error(pack.name, pack.distribution,
                                   f"returned {type(value).__name__} from {hook_name}(); "
                                   "a hook returns a list", None))
            continue
        results.append((pack, list(value)))
    return results, errors
