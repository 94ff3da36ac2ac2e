"""The catalog index behind MathForge: entries, names, aliases, search.

Each entry belongs to a pack and is reachable by its qualified name
``pack.name``. The bare name (and each alias) points to one entry: the first
pack to define it keeps it (built-in packs load first, then others sorted by
name); a later pack's entry stays reachable by its qualified name and a
warning says so. Look-ups are case-insensitive where that is unambiguous.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Callable

from ..errors import RegistrationError, UnknownFunctionError, did_you_mean
from ..expression import Expression
from ._definitions import FunctionDefinition

__all__ = ["Entry", "Catalog"]

@dataclass
class Entry:
    """One catalog function: its definition or ready Expression, and its pack."""

    name: str
    pack: str
    definition: FunctionDefinition | None = None
    expression: Expression | None = None
    build: Callable[["Entry"], Expression] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def qualified(self) -> str:
        return f"{self.pack}.{self.name}"

    def doc(self, key: str, default=""):
        """A documentation field, from the YAML definition or the metadata."""
        if self.definition is not None:
            value = getattr(self.definition, key, default)
        else:
            value = self.expression.metadata.get(key, default)
        return default if value in (None, "", (), []) else value

    @property
    def category(self) -> str:
        return str(self.doc("category", "other"))

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(self.doc("aliases", ()))

    def prototype(self) -> Expression:
        """The catalog's own Expression (built on first use; never handed out)."""
        if self.expression is None:
            with self._lock:   # built once, even when threads ask at the same time
                if self.expression is None:
                    self.expression = self.build(self)
        return self.expression


def _locked(method):
    """Run ``method`` holding the catalog's lock: threads may share one catalog."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class Catalog:
    """Entries by qualified name, with bare-name and alias resolution.

    Safe to share between threads: every method holds the catalog's lock.
    """

    def __init__(self):
        self._lock = threading.RLock()
        self._entries: dict[str, Entry] = {}
        self._names: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._folded: dict[str, set[str]] | None = None

    @_locked
    def __len__(self) -> int:
        return len(self._names)

    @_locked
    def add(self, entry: Entry, on_conflict: str = "warn") -> list[str]:
        """Add ``entry``; return warnings about names it could not take.

        ``on_conflict``: ``"warn"`` keeps the existing owner of a bare name,
        ``"raise"`` refuses with :class:`RegistrationError`, ``"replace"``
        points the bare name at the new entry.
        """
        if entry.qualified in self._entries and on_conflict != "replace":
            raise RegistrationError(f"{entry.qualified!r} is already defined; "
                                    "pass overwrite=True to replace it")
        owner = self._names.get(entry.name)
        if owner is not None and owner != entry.qualified and on_conflict == "raise":
            raise RegistrationError(f"{entry.name!r} is already defined by pack "
                                    f"{self._entries[owner].pack!r}; pass overwrite=True "
                                    "to replace it (the original stays reachable as "
                                    f"{owner!r})")
        self._entries[entry.qualified] = entry
        self._folded = None
        messages = []
        if owner is None or on_conflict == "replace":
            self._names[entry.name] = entry.qualified
            self._aliases.pop(entry.name, None)
        elif owner != entry.qualified:
            messages.append(f"{entry.name!r} from pack {entry.pack!r} is shadowed by pack "
                            f"{self._entries[owner].pack!r}; use {entry.qualified!r} for it")
        for alias in entry.aliases:
            taken = self._names.get(alias) or self._aliases.get(alias)
            if taken is None or on_conflict == "replace":
                if alias not in self._names:
                    self._aliases[alias] = entry.qualified
            elif taken != entry.qualified:
                messages.append(f"alias {alias!r} of {entry.qualified!r} is already taken by "
                                f"{taken!r}")
        return messages

    @_locked
    def resolve(self, name: str) -> Entry:
        """The entry for a qualified name, bare name or alias (any case)."""
        if not isinstance(name, str):
            raise UnknownFunctionError(f"a catalog name is text, got {name!r}")
        for table in (self._entries, self._names, self._aliases):
            if name in table:
                return self._entries[table[name]] if table is not self._entries else table[name]
        matches = self._fold().get(name.lower(), set())
        if len(matches) == 1:
            return self._entries[next(iter(matches))]
        if len(matches) > 1:
            raise UnknownFunctionError(f"{name!r} is ambiguous: it matches "
                                       f"{', '.join(sorted(matches))}; use the exact name")
        raise UnknownFunctionError(
            f"no function named {name!r} in the catalog."
            f"{did_you_mean(name, self.known_names())} "
            "See MathForge().list_all() or search().")

    def _fold(self) -> dict[str, set[str]]:
        if self._folded is None:
            folded: dict[str, set[str]] = {}
            for table in (self._entries, self._names, self._aliases):
                for key, qualified in table.items():
                    target = qualified if table is not self._entries else key
                    folded.setdefault(key.lower(), set()).add(target)
            self._folded = folded
        return self._folded

    @_locked
    def known_names(self) -> list[str]:
        return list(self._names) + list(self._aliases)

    @_locked
    def entries(self) -> list[Entry]:
        """The entries bare names point to, sorted by name."""
        return [self._entries[q] for _, q in sorted(self._names.items())]

    @_locked
    def all_entries(self) -> list[Entry]:
        return list(self._entries.values())

    @_locked
    def search(self, query: str) -> list[tuple[int, str]]:
        """``(score, name)`` pairs for entries matching ``query``, best first."""
        words = query.lower().split()
        phrase = " ".join(words)
        scored = []
        for entry in self.entries():
            score = _score(entry, phrase, words)
            if score:
                scored.append((score, entry.name))
        return sorted(scored, key=lambda item: (-item[0], item[1]))


def _score(entry: Entry, phrase: str, words: list[str]) -> int:
    name = entry.name.lower()
    aliases = [a.lower() for a in entry.aliases]
    score = 0
    if phrase == name:
        score += 100
    elif phrase in aliases:
        score += 90
    elif name.startswith(phrase):
        score += 60
    elif phrase in name:
        score += 40
    elif any(phrase in a for a in aliases):
        score += 35
    description = str(entry.doc("description")).lower()
    usage = str(entry.doc("usage")).lower()
    category = entry.category.lower()
    for word in words:
        score += 15 * (word == category) + 10 * (word in description) + 5 * (word in usage)
    return score
