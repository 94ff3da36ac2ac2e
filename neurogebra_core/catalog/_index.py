"""The catalog index behind MathForge: entries, names, aliases, search.

Each entry belongs to a pack and is reachable by its qualified name
``pack.name``. Bare names and aliases share one claim table: each points to
one entry, the first to claim it (built-in packs load first, then others
sorted by name); a later entry stays reachable by its qualified name and a
warning says so, ``register`` and ``load`` refuse, and only ``overwrite=True``
takes a name or an alias over. Look-ups are case-insensitive where that is
unambiguous.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Callable

from ..errors import RegistrationError, UnknownFunctionError, did_you_mean, shown
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


@dataclass(frozen=True)
class _Claim:
    """A bare name or alias (``key``) and the entry it points to."""

    key: str
    qualified: str
    alias: bool


def _locked(method):
    """Run ``method`` holding the catalog's lock: threads may share one catalog."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class Catalog:
    """Entries by qualified name, with bare-name and alias resolution.

    Bare names and aliases share one claim table, so one conflict rule covers
    both: a key (name or alias) belongs to the first entry that claims it,
    and a later claim is a warning (``"warn"``), an error (``"raise"``) or a
    take-over (``"replace"``) — an alias is never taken over silently.

    Safe to share between threads: every method holds the catalog's lock.
    """

    def __init__(self):
        self._lock = threading.RLock()
        self._entries: dict[str, Entry] = {}
        self._claims: dict[str, _Claim] = {}
        self._folded: dict[str, set[str]] | None = None

    @_locked
    def __len__(self) -> int:
        return sum(not claim.alias for claim in self._claims.values())

    @_locked
    def add(self, entry: Entry, on_conflict: str = "warn") -> list[str]:
        """Add ``entry``; return warnings about names and aliases it could not take.

        ``on_conflict``: ``"warn"`` keeps the existing owner of a name or
        alias, ``"raise"`` refuses with :class:`RegistrationError` (adding
        nothing), ``"replace"`` points the name and aliases at the new entry.
        """
        if entry.qualified in self._entries and on_conflict != "replace":
            raise RegistrationError(f"{entry.qualified!r} is already defined; "
                                    "pass overwrite=True to replace it")
        wanted = [_Claim(entry.name, entry.qualified, False)] + [
            _Claim(alias, entry.qualified, True)
            for alias in dict.fromkeys(entry.aliases) if alias != entry.name]
        taken = [(claim, self._claims[claim.key]) for claim in wanted
                 if claim.key in self._claims
                 and self._claims[claim.key].qualified != entry.qualified]
        if taken and on_conflict == "raise":
            raise RegistrationError("; ".join(self._refusal(mine, owner) for mine, owner in taken))
        self._entries[entry.qualified] = entry
        self._folded = None
        kept = {mine.key for mine, _ in taken} if on_conflict != "replace" else set()
        for claim in wanted:
            if claim.key not in kept:
                self._claims[claim.key] = claim
        return [self._shadowed(mine, owner) for mine, owner in taken if mine.key in kept]

    def _refusal(self, mine: "_Claim", owner: "_Claim") -> str:
        what = f"alias {mine.key!r} of {mine.qualified!r}" if mine.alias else repr(mine.key)
        if not (mine.alias or owner.alias):
            return (f"{what} is already defined by pack {self._entries[owner.qualified].pack!r}"
                    f"; pass overwrite=True to replace it (the original stays reachable as "
                    f"{owner.qualified!r})")
        held = "an alias" if owner.alias else "the name"
        return (f"{what} is already {held} of {owner.qualified!r}; pass overwrite=True to take "
                f"it over ({owner.qualified!r} stays reachable by that qualified name)")

    def _shadowed(self, mine: "_Claim", owner: "_Claim") -> str:
        if mine.alias:
            return f"alias {mine.key!r} of {mine.qualified!r} is already taken by " \
                   f"{owner.qualified!r}"
        by = f"the alias {mine.key!r} of {owner.qualified!r}" if owner.alias else \
            f"pack {self._entries[owner.qualified].pack!r}"
        pack = mine.qualified.rpartition(".")[0]
        return f"{mine.key!r} from pack {pack!r} is shadowed by {by}; use {mine.qualified!r} for it"

    @_locked
    def resolve(self, name: str) -> Entry:
        """The entry for a qualified name, bare name or alias (any case)."""
        if not isinstance(name, str):
            raise UnknownFunctionError(f"a catalog name is text, got {shown(name)}")
        if name in self._entries:
            return self._entries[name]
        if name in self._claims:
            return self._entries[self._claims[name].qualified]
        matches = self._fold().get(name.lower(), set())
        if len(matches) == 1:
            return self._entries[next(iter(matches))]
        if len(matches) > 1:
            raise UnknownFunctionError(f"{shown(name)} is ambiguous: it matches "
                                       f"{', '.join(sorted(matches))}; use the exact name")
        raise UnknownFunctionError(
            f"no function named {shown(name)} in the catalog."
            f"{did_you_mean(name, self.known_names())} "
            "See MathForge().list_all() or search().")

    def _fold(self) -> dict[str, set[str]]:
        if self._folded is None:
            folded: dict[str, set[str]] = {}
            for qualified in self._entries:
                folded.setdefault(qualified.lower(), set()).add(qualified)
            for key, claim in self._claims.items():
                folded.setdefault(key.lower(), set()).add(claim.qualified)
            self._folded = folded
        return self._folded

    @_locked
    def known_names(self) -> list[str]:
        """Every bare name and alias."""
        return list(self._claims)

    @_locked
    def entries(self) -> list[Entry]:
        """The entries bare names point to, sorted by name."""
        return [self._entries[claim.qualified] for _, claim in sorted(self._claims.items())
                if not claim.alias]

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
