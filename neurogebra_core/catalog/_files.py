"""Finding and reading definition files: one rule for every entry point.

``MathForge(paths=...)``, ``forge.load``, ``$NEUROGEBRA_PATH`` and
``neurogebra validate`` all find files with :func:`definition_files` (a file,
or every ``.yaml``/``.yml`` file under a folder, subfolders included, hidden
ones skipped, sorted) and read them with :func:`read_definition_file`.
"""

from __future__ import annotations

import os
from pathlib import Path

try:   # Python 3.11+; importlib.abc.Traversable is deprecated there
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from ..errors import DefinitionError
from ._definitions import FunctionDefinition, read_definitions

__all__ = ["definition_files", "read_definition_file", "environment_paths", "ENV_PATH",
           "SUFFIXES"]

ENV_PATH = "NEUROGEBRA_PATH"
SUFFIXES = (".yaml", ".yml")


def environment_paths() -> list[str]:
    """The paths listed in ``$NEUROGEBRA_PATH`` (separated by ``os.pathsep``)."""
    value = os.environ.get(ENV_PATH, "")
    return [p for p in value.split(os.pathsep) if p.strip()]


def definition_files(path) -> list:
    """The definition files at ``path``: a file, a folder (searched to any
    depth, hidden folders skipped) or an ``importlib.resources`` traversable.

    Raises:
        DefinitionError: the path does not exist.
    """
    if isinstance(path, Traversable) and not isinstance(path, Path):
        return [path]
    path = Path(path).resolve()
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not path.exists():
        raise DefinitionError("no such file or folder", str(path))
    return [path]


def read_definition_file(file) -> tuple[list[FunctionDefinition], list[DefinitionError]]:
    """Read and check one definition file (a path or a traversable).

    Returns:
        The valid definitions, and one error per invalid definition.

    Raises:
        DefinitionError: the file cannot be read or is not a definition file.
    """
    if isinstance(file, (str, os.PathLike)):
        file = Path(file)
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read the file: {exc}", source) from exc
    return read_definitions(text, source)
