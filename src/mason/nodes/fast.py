"""A faster `dataclasses.replace` for the frozen, slotted node classes on the parse hot path."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")
_FIELDS: dict[type, tuple[str, ...]] = {}


def evolve(obj: T, **changes: Any) -> T:
    """Like dataclasses.replace, without re-running __init__ (nodes have no __post_init__ validation)."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(obj))  # type: ignore[arg-type]
        _FIELDS[cls] = names
    new = object.__new__(cls)
    setter = object.__setattr__
    for name in names:
        setter(new, name, changes[name] if name in changes else getattr(obj, name))
    return new
