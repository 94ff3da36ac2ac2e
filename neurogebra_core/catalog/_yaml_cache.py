"""Definition files read once: the data of each YAML text kept as JSON on disk.

Reading the built-in definition files with the strict reader (``_yaml``)
takes about 13 ms, most of the first ``MathForge().get(...)``; their data
written as JSON reads back in about 1 ms. The cache is keyed by a hash of
the text and of this format's version, so an edited file is read again, and
only files that read without error are kept. It is an optimisation only:
a cache that cannot be written (a read-only home) or a damaged entry is
passed over and the text is read as usual.

The folder is ``$NEUROGEBRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/neurogebra``,
else ``~/.cache/neurogebra``; setting ``NEUROGEBRA_CACHE_DIR`` to an empty
value turns the cache off. Whoever can write there can change what the
catalog's formulas say (not run code: entries are plain JSON and formulas
still go through the safe parser), as with any file in one's home.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ._yaml import LineMapping, load_yaml

__all__ = ["cached_yaml", "cache_folder", "ENV_CACHE", "MAX_ENTRIES"]

ENV_CACHE = "NEUROGEBRA_CACHE_DIR"
MAX_ENTRIES = 64       # the oldest entries beyond this are removed when one is written
_FORMAT = b"neurogebra yaml cache 1\n"   # change it when the reader's output changes


def cache_folder() -> Path | None:
    """The cache's folder, or None when ``$NEUROGEBRA_CACHE_DIR`` is empty."""
    chosen = os.environ.get(ENV_CACHE)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "neurogebra"


def cached_yaml(text: str, source: str):
    """What :func:`load_yaml` gives for ``text``, from the cache where it holds it.

    Raises:
        DefinitionError: as :func:`load_yaml` does.
    """
    folder = cache_folder()
    if folder is None:
        return load_yaml(text, source)
    digest = hashlib.sha256(_FORMAT + text.encode("utf-8", "surrogatepass")).hexdigest()
    entry = folder / f"yaml-{digest}.json"
    try:
        return json.loads(entry.read_text(encoding="utf-8"), object_hook=_mapping)
    except (OSError, ValueError, KeyError, TypeError):   # absent or damaged: read the text
        pass
    data = load_yaml(text, source)
    _store(folder, entry, data)
    return data


def _store(folder: Path, entry: Path, data) -> None:
    """Write ``data`` to ``entry`` whole or not at all (another process may read it)."""
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".yaml-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(_encoded(data), file, separators=(",", ":"))
        os.replace(temporary, entry)
        temporary = None
        _prune(folder)
    except OSError:   # read-only, full: the next reader reads the text
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("yaml-*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)


def _encoded(value):
    """``value`` with every mapping written as its line and its items with their
    lines (the data nests at most ``MAX_DEPTH`` levels)."""
    if isinstance(value, LineMapping):
        return {"line": value.line, "items": [[key, value.key_lines[key], _encoded(item)]
                                              for key, item in value.items()]}
    if isinstance(value, list):
        return [_encoded(item) for item in value]
    return value


def _mapping(encoded: dict) -> LineMapping:
    mapping = LineMapping()
    mapping.line = encoded["line"]
    mapping.key_lines = {}
    for key, line, item in encoded["items"]:
        mapping[key] = item
        mapping.key_lines[key] = line
    return mapping
