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

from ..errors import ArgumentError, shown

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
    """``value`` (None or a mapping of text keys to plain data) copied key by key.

    Raises:
        ArgumentError: not a mapping, a key that is not text, or a value that
            cannot be copied (a lock, an open file); the key is named.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ArgumentError(f"metadata of {owner} maps text keys (description, category...) "
                            f"to values, got {type(value).__name__} {shown(value)}")
    copied = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ArgumentError(f"metadata of {owner} has a key that is not text: "
                                f"{type(key).__name__} {shown(key)}")
        try:
            copied[key] = copy.deepcopy(item)
        except Exception as exc:   # whatever the value's own copying raises
            raise ArgumentError(f"metadata {key!r} of {owner} cannot be copied "
                                f"({type(exc).__name__}: {exc}); metadata is documentation: "
                                "text, numbers, lists and mappings") from None
    return copied
