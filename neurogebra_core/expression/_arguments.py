"""Checking the containers an Expression is given: a mapping where a mapping
is expected, names where names are expected, metadata that can be copied.

A wrong container (``params=5``, ``variables=5``) would otherwise surface as a
``TypeError`` from deep inside Python; a text where a list of names is
expected is read as one name (``wrt="ab"`` is the name ``ab``, not ``a`` and
``b``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ArgumentError

__all__ = ["mapping_argument", "names_argument", "copied_metadata"]


def mapping_argument(value, what: str, owner: str) -> dict:
    """``value`` (None or a mapping) as a dict.

    Raises:
        ArgumentError: ``value`` is not a mapping.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ArgumentError(f"{what} of {owner} must be a mapping of names to values "
                            f"(a dict), got {type(value).__name__}")
    return dict(value)


def names_argument(value, what: str, owner: str) -> tuple[str, ...]:
    """``value`` (one name, or an iterable of names) as a tuple of names.

    Raises:
        ArgumentError: ``value`` is neither text nor an iterable of text.
    """
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ArgumentError(f"{what} of {owner} must be a name or a list of names, "
                            f"got {type(value).__name__}")
    names = tuple(value)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ArgumentError(f"{what} of {owner} must be names (text), got {bad[0]!r}")
    return names


def copied_metadata(value, owner: str) -> dict[str, Any]:
    """An independent copy of ``value`` (None or a mapping of plain data).

    Raises:
        ArgumentError: not a mapping, or holds something that cannot be
            copied (a lock, an open file).
    """
    metadata = mapping_argument(value, "metadata", owner)
    try:
        return copy.deepcopy(metadata)
    except Exception as exc:   # deepcopy reports uncopyable objects in many types
        raise ArgumentError(f"metadata of {owner} must be plain data that can be copied: "
                            f"{exc}") from None
