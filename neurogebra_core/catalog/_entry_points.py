"""Finding the entry points of one group without reading every distribution.

``importlib.metadata.entry_points(group=...)`` builds a distribution object
for everything installed, reads and parses each one's ``entry_points.txt``
through pathlib and then keeps one group: 10-15 ms in an environment of 120
distributions, half of what ``MathForge()`` costs. :func:`entry_points`
finds the same entry points by listing the directories of ``sys.path``
itself and letting importlib.metadata parse only the files that mention the
group (2-4 ms). It follows importlib.metadata's rules: a distribution is a
``*.dist-info`` or ``*.egg-info`` directory of a ``sys.path`` entry, named by
its normalised project name (PEP 503, dashes as underscores), and the first
of a name along ``sys.path`` hides the later ones. Where importlib.metadata
would also look elsewhere (a zip file or an egg on ``sys.path``, another
finder of distributions on ``sys.meta_path``), it is asked instead.
:func:`distribution_of` reads a pack's distribution name and version from
its metadata's headers alone.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import os
import pathlib
import re
import sys

__all__ = ["entry_points", "distribution_of"]

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def entry_points(group: str) -> list:
    """The installed entry points of ``group``, as importlib.metadata finds them."""
    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    paths = _distributions_mentioning(group) if finders == [importlib.machinery.PathFinder] \
        else None
    if paths is None:
        return list(importlib.metadata.entry_points(group=group))
    found = []
    for path in paths:
        found.extend(importlib.metadata.PathDistribution(path).entry_points.select(group=group))
    return found


def _distributions_mentioning(group: str) -> list[pathlib.Path] | None:
    """The metadata directories, the first of each project along ``sys.path``,
    whose ``entry_points.txt`` contains ``group`` anywhere; None where
    importlib.metadata would read the entries otherwise: a zip file or an egg
    on ``sys.path``, or a folder whose name does not give its project (an
    upper-case suffix, nothing before the version: its METADATA names it)."""
    seen, found = set(), []
    needle = group.encode()
    for entry in sys.path:
        if not isinstance(entry, str) or os.path.basename(entry).lower().endswith(".egg"):
            return None
        try:
            children = os.listdir(entry or ".")
        except OSError:
            if os.path.exists(entry):     # a zip file
                return None
            continue
        for child in children:
            low = child.lower()
            if not low.endswith(_METADATA_SUFFIXES):
                continue
            project = _normalized(low.rpartition(".")[0].partition("-")[0])
            if not project or not child.endswith(_METADATA_SUFFIXES):
                return None
            if project in seen:
                continue
            seen.add(project)
            path = pathlib.Path(entry, child)
            try:
                with open(path / "entry_points.txt", "rb") as file:
                    if needle in file.read():
                        found.append(path)
            except OSError:
                continue
    return found


def _normalized(name: str) -> str:
    """A project name as importlib.metadata compares them: PEP 503, dashes as underscores."""
    return re.sub(r"[-_.]+", "_", name).lower()


def distribution_of(entry_point, known: dict) -> tuple[str | None, str | None]:
    """The name and version of the distribution providing ``entry_point``, each
    distribution read once (``known``, by identity: its entry points share it)."""
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return None, None
    if id(dist) not in known:
        known[id(dist)] = _name_and_version(dist)
    return known[id(dist)]


def _name_and_version(dist) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from the metadata's headers. ``dist.metadata``
    parses the whole file, long description included, with the email parser
    (1-2 ms a distribution, twice with ``dist.version``); the headers come
    first and these two are single lines (the core metadata specification)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    fields = {}
    for line in (text or "").replace("\r\n", "\n").split("\n\n", 1)[0].splitlines():
        key, colon, value = line.partition(":")
        if colon and key in ("Name", "Version"):
            fields.setdefault(key, value.strip())
    if len(fields) < 2:   # a distribution without such a file: ask it
        return dist.metadata["Name"], dist.version
    return fields["Name"], fields["Version"]
