"""A node with only what selection, `ls` and a partial re-parse read: the index of the partial-parse cache.

`mason ls -s ...` on an unchanged 10,000-model project has to load the nodes to select from; unpickling
full nodes (code, columns, docs) took most of its time. The index keeps these fields on a plain slotted
class, which unpickles in C without a Python call per node.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mason.nodes.nodes import Node

SLIM_FIELDS = ("unique_id", "resource_type", "package_name", "name", "path", "original_file_path", "fqn",
               "config", "tags", "version", "latest_version", "access", "group", "patch_path", "test_metadata",
               "depends_on_nodes", "database", "schema", "alias", "deprecation_date")


class SlimNode:
    __slots__ = SLIM_FIELDS

    unique_id: str
    resource_type: str
    package_name: str
    name: str
    path: str
    original_file_path: str
    fqn: tuple[str, ...]
    config: dict[str, Any]
    tags: tuple[str, ...]
    version: Any
    latest_version: Any
    access: Any
    group: Any
    patch_path: Any
    test_metadata: Any
    depends_on_nodes: tuple[str, ...]
    database: str | None
    schema: str | None
    alias: str | None
    deprecation_date: Any

    @classmethod
    def of(cls, node: Node) -> SlimNode:
        slim = cls()
        for name in SLIM_FIELDS:
            setattr(slim, name, getattr(node, name))
        return slim

    @property
    def search_name(self) -> str:
        return self.name if self.version is None else f"{self.name}.v{self.version}"

    @property
    def materialized(self) -> str:
        return str(self.config.get("materialized", ""))

    @property
    def is_ephemeral(self) -> bool:
        return self.resource_type == "model" and self.config.get("materialized") == "ephemeral"

    @property
    def is_external(self) -> bool:
        return not self.original_file_path and not self.path and self.resource_type == "model"


class LazyNodes(Mapping[str, Any]):
    """The slim nodes of a re-parse after an edit, with the tests left pickled until something reads one.

    Tests are two thirds of a large project's nodes and a re-parse of edited models never reads them:
    references resolve to models, seeds and snapshots, and manifest.json is patched around them. Keys
    keep the manifest's order. `overlay` gives the re-parse a copy whose models it can replace."""

    __slots__ = ("_order", "_eager", "_blob", "_rest", "_ids", "groups")

    def __init__(self, order: list[str], eager: dict[str, Any], blob: bytes, groups: dict[str, str]) -> None:
        self._order = order
        self._eager = eager
        self._blob: bytes | None = blob
        self._rest: dict[str, Any] | None = None
        self._ids: frozenset[str] | None = None
        self.groups = groups  # unique_id -> group, for the nodes that have one

    def _load(self) -> dict[str, Any]:
        if self._rest is None:
            import pickle

            self._rest = pickle.loads(self._blob) if self._blob else {}
            self._blob = None
        return self._rest

    def __getitem__(self, key: str) -> Any:
        found = self._eager.get(key)
        if found is not None:
            return found
        return self._load()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self:
            raise KeyError(f"{key} is not a node of this manifest")
        if key in self._eager:
            self._eager[key] = value
        else:
            self._load()[key] = value

    def __contains__(self, key: object) -> bool:
        if key in self._eager:
            return True
        if self._ids is None:
            self._ids = frozenset(self._order)
        return key in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def refable(self) -> Iterator[Any]:
        """Models, seeds and snapshots (what ref() can name), without loading the tests."""
        return iter(self._eager.values())

    def overlay(self, replaced: dict[str, Any]) -> LazyNodes:
        """A copy with these (existing, non-test) nodes replaced; the pickled tests are shared."""
        copy = LazyNodes(self._order, {**self._eager, **replaced}, self._blob or b"", self.groups)
        copy._rest, copy._ids = self._rest, self._ids
        return copy

    def materialize(self) -> dict[str, Any]:
        rest = self._load()
        eager = self._eager
        return {uid: eager[uid] if uid in eager else rest[uid] for uid in self._order}
