"""Finding and reading definition files: one rule for every entry point.

``MathForge(paths=...)``, ``forge.load``, ``$NEUROGEBRA_PATH``, pack files,
``neurogebra validate`` and ``neurogebra.load`` all find files with
:func:`definition_files` (a file, or every ``.yaml``/``.yml`` file under a
folder, subfolders included, hidden ones skipped, sorted) and read them with
:func:`read_definition_file`.

Reading is bounded, whatever the path points to: only a regular file is
read (a FIFO would block forever, ``/dev/zero`` never ends), its size is
checked before reading and at most ``MAX_FILE_BYTES + 1`` bytes are read (a
file may grow meanwhile); a folder search looks at no more than
``MAX_FOLDER_ENTRIES`` entries and never follows a symlinked folder. Every
failure, from the operating system or from decoding, is a DefinitionError
naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

try:   # Python 3.11+; importlib.abc.Traversable is deprecated there
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from ..errors import ArgumentError, DefinitionError, shown
from ._definitions import FunctionDefinition, read_definitions
from ._yaml import MAX_FILE_BYTES

__all__ = ["definition_files", "read_definition_file", "environment_paths", "as_path",
           "paths_argument",
           "ENV_PATH", "SUFFIXES", "MAX_FOLDER_ENTRIES"]

ENV_PATH = "NEUROGEBRA_PATH"
SUFFIXES = (".yaml", ".yml")
MAX_FOLDER_ENTRIES = 100_000
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
               | getattr(os, "O_CLOEXEC", 0))
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def environment_paths() -> list[str]:
    """The paths listed in ``$NEUROGEBRA_PATH`` (separated by ``os.pathsep``)."""
    value = os.environ.get(ENV_PATH, "")
    return [p for p in value.split(os.pathsep) if p.strip()]


def as_path(value, what: str = "a path") -> Path:
    """``value`` as a Path, if it is text or an ``os.PathLike`` giving text.

    Raises:
        ArgumentError: anything else (bytes, None, a number...), named.
    """
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str):
            return Path(text)
    raise ArgumentError(f"{what} is text or a pathlib.Path, got {type(value).__name__} "
                        f"{shown(value)}")


def paths_argument(paths, what: str) -> list[Path]:
    """An argument naming paths as a list: one path (text or Path, never read
    letter by letter) or an iterable of them; ``None`` is none.

    Raises:
        ArgumentError: anything else, or an item that is not a path.
    """
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [as_path(paths, what)]
    if isinstance(paths, (bytes, bytearray)) or not isinstance(paths, Iterable):
        raise ArgumentError(f"{what} takes a path or a list of paths, got "
                            f"{type(paths).__name__} {shown(paths)}")
    return [as_path(path, f"each of {what}") for path in paths]


def definition_files(path) -> list:
    """The definition files at ``path``: a file, a folder (searched to any
    depth, hidden folders skipped) or an ``importlib.resources`` traversable.

    Raises:
        ArgumentError: ``path`` is not text, a Path or a traversable.
        DefinitionError: the path does not exist, cannot be used or names a
            folder too large to search.
    """
    if isinstance(path, Traversable) and not isinstance(path, Path):
        return [path]
    path = as_path(path)
    source = str(path) if "\0" not in str(path) else repr(str(path))
    try:
        path = path.resolve()
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, ValueError, RuntimeError) as exc:   # RuntimeError: a symlink loop
        raise DefinitionError(f"cannot use this path: {exc}", source) from None
    if is_dir:
        return _folder_files(path)
    if not exists:   # a missing path, or a link to one
        raise DefinitionError("no such file or folder", source)
    return [path]


def _folder_files(root: Path) -> list[Path]:
    """Regular ``.yaml``/``.yml`` files under ``root``, hidden entries skipped."""
    found, seen = [], 0
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        seen += len(subfolders) + len(names)
        if seen > MAX_FOLDER_ENTRIES:
            raise DefinitionError(f"more than {MAX_FOLDER_ENTRIES} entries under this folder; "
                                  "point at the folder that holds the definition files",
                                  str(root))
        for name in names:
            file = Path(folder, name)
            if file.suffix in SUFFIXES and not name.startswith(".") and file.is_file():
                found.append(file)
    return sorted(found)


def read_definition_file(file) -> tuple[list[FunctionDefinition], list[DefinitionError]]:
    """Read and check one definition file (a path or a traversable), boundedly.

    Returns:
        The valid definitions, and one error per invalid definition.

    Raises:
        ArgumentError: ``file`` is not text, a Path or a traversable.
        DefinitionError: the file cannot be read (not a regular file, too
            large, not UTF-8, an OS error) or is not a definition file.
    """
    traversable = isinstance(file, Traversable) and not isinstance(file, Path)
    file = file if traversable else as_path(file)
    source = str(file)
    try:
        data = _read_traversable(file) if traversable else _read_regular_file(file, source)
        if not isinstance(data, bytes):
            raise DefinitionError(f"reading gave {type(data).__name__}, not bytes", source)
        if len(data) > MAX_FILE_BYTES:
            raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes; split it", source)
        text = data.decode("utf-8-sig")
    except DefinitionError:
        raise
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                              f"{exc.start}); save it as UTF-8", source) from None
    except (OSError, ValueError) as exc:   # ValueError: a NUL in the path, a closed archive
        raise DefinitionError(f"cannot read the file: {exc}", source) from None
    return read_definitions(text, source)


def _read_regular_file(path: Path, source: str) -> bytes:
    """At most ``MAX_FILE_BYTES + 1`` bytes of a regular file; nothing else is read."""
    descriptor = os.open(path, _OPEN_FLAGS)   # non-blocking: opening a FIFO returns at once
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise DefinitionError(f"is {kind}, not a regular file; definition files are "
                                  "plain files", source)
        if info.st_size > MAX_FILE_BYTES:
            raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes "
                                  f"({info.st_size}); split it", source)
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(descriptor, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _read_traversable(file) -> bytes:
    """At most ``MAX_FILE_BYTES + 1`` bytes of a pack's resource."""
    with file.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)
