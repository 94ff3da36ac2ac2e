"""Definition files checked once: each file's checked definitions kept as JSON on disk.

Reading the built-in definition files with the strict YAML reader and
checking every field against the schema takes about 10 ms, half of a
process's first ``MathForge().get(...)``; the checked definitions written as
JSON read back in about 2.5 ms. An entry is keyed by a hash of this format,
of the checking code's version (given by the caller) and of the file's text,
so an edited file, or a file read by another release, is read and checked
again. Only files whose definitions all pass are kept, so a faulty file is
reported at each read, as before. It is an optimisation only: a cache that
cannot be written (a read-only home) or a damaged entry is passed over and
the text is read as usual.

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
from typing import Any, Callable

__all__ = ["cached", "cache_folder", "ENV_CACHE", "MAX_ENTRIES"]

ENV_CACHE = "NEUROGEBRA_CACHE_DIR"
MAX_ENTRIES = 64       # the oldest entries beyond this are removed when one is written
_FORMAT = "neurogebra definitions cache 2\n"   # change it when the entries' layout changes
_PREFIX = "definitions-"


def cache_folder() -> Path | None:
    """The cache's folder, or None when ``$NEUROGEBRA_CACHE_DIR`` is empty."""
    chosen = os.environ.get(ENV_CACHE)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "neurogebra"


def cached(text: str, version: str, read: Callable[[], Any],
           to_json: Callable[[Any], Any], from_json: Callable[[Any], Any]):
    """``read()``, or what ``from_json`` makes of the entry stored for ``text``.

    Args:
        text: The file's text (the key, with ``version``).
        version: What else the result depends on: the checking code's version.
        read: Reads and checks ``text``; its errors propagate.
        to_json: The JSON data to store for ``read()``'s result, or None to
            store nothing.
        from_json: The result back from that data; a KeyError, TypeError or
            ValueError means a damaged entry (the text is then read again).
    """
    folder = cache_folder()
    if folder is None:
        return read()
    key = (_FORMAT + version + "\n" + text).encode("utf-8", "surrogatepass")
    entry = folder / f"{_PREFIX}{hashlib.sha256(key).hexdigest()}.json"
    try:
        return from_json(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):   # absent or damaged: read the text
        pass
    result = read()
    data = to_json(result)
    if data is not None:
        _store(folder, entry, data)
    return result


def _store(folder: Path, entry: Path, data) -> None:
    """Write ``data`` to ``entry`` whole or not at all (another process may read it)."""
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{_PREFIX}", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, separators=(",", ":"))
        os.replace(temporary, entry)
        temporary = None
        _prune(folder)
    except OSError:   # read-only, full: the next reader reads the text
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob(f"{_PREFIX}*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
