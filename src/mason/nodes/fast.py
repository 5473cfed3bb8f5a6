"""A faster `dataclasses.replace` for the frozen, slotted node classes on the parse hot path."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")
_FIELDS: dict[type, tuple[str, ...]] = {}


def evolve(obj: T, **changes: Any) -> T:
    """Like dataclasses.replace, without re-running __init__ (nodes have no __post_init__ validation)."""
    cls = type(obj)
    index = getattr(cls, "_fast_index", None)
    if index is not None:  # a fast_pickle class: copy its state tuple, patch it, set it in one go
        state = list(cls.__getstate__(obj))  # type: ignore[attr-defined, call-overload]
        for name, value in changes.items():
            state[index[name]] = value
        new = object.__new__(cls)
        new.__setstate__(state)  # type: ignore[attr-defined]
        return new
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(obj))  # type: ignore[arg-type]
        _FIELDS[cls] = names
    new = object.__new__(cls)
    setter = object.__setattr__
    for name in names:
        setter(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


def fast_pickle(cls: type[T]) -> type[T]:
    """Replace a frozen slotted dataclass's pickling (which calls dataclasses.fields() per object) with
    generated straight-line code: the parse cache loads tens of thousands of nodes."""
    import operator

    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    getter = operator.attrgetter(*names)
    lines = ["def __setstate__(self, state):", "    set_ = _setattr"]
    lines += [f"    set_(self, {name!r}, state[{i}])" for i, name in enumerate(names)]
    namespace: dict[str, Any] = {"_setattr": object.__setattr__}
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the class's own field names
    cls.__getstate__ = lambda self: getter(self)  # type: ignore[attr-defined, method-assign]
    cls.__setstate__ = namespace["__setstate__"]  # type: ignore[attr-defined]
    cls._fast_index = {name: i for i, name in enumerate(names)}  # type: ignore[attr-defined]
    return cls
