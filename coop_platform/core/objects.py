"""Names for objects that lower layers only know by type and id (the audit trail names a
document by its public id). Each domain registers how to name its objects for a reader; a
reader only ever gets names of what it may see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Describer = Callable[[object, list[str]], dict[str, tuple[str, str]]]
_describers: dict[str, Describer] = {}


def register(object_type: str, describer: Describer) -> None:
    """`describer(reader, ids)` returns {id: (name, url)} for the ids the reader may see."""
    _describers[object_type] = describer


def describe(reader: Any, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """{(type, id): (name, url)} for every reference the reader may see; others are left out."""
    wanted: dict[str, set[str]] = {}
    for object_type, object_id in refs:
        if object_type in _describers and object_id:
            wanted.setdefault(object_type, set()).add(object_id)
    names = {}
    for object_type, ids in wanted.items():
        for object_id, described in _describers[object_type](reader, sorted(ids)).items():
            names[(object_type, object_id)] = described
    return names
