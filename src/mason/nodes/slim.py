"""A node with only what selection, `ls` and a partial re-parse read: the index of the partial-parse cache.

`mason ls -s ...` on an unchanged 10,000-model project has to load the nodes to select from; unpickling
full nodes (code, columns, docs) took most of its time. The index keeps these fields on a plain slotted
class, which unpickles in C without a Python call per node.
"""

from __future__ import annotations

from typing import Any

from mason.nodes.nodes import Node

SLIM_FIELDS = ("unique_id", "resource_type", "package_name", "name", "path", "original_file_path", "fqn",
               "config", "tags", "version", "latest_version", "access", "group", "patch_path", "test_metadata",
               "depends_on_nodes", "database", "schema", "alias")


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
