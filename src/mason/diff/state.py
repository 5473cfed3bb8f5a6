"""What a diff reads about each side: the state's manifest.json (production's artifacts, written by Mason or
dbt-core) and the current parse, each model's relation and the hints that name its primary key."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mason.errors import UsageError

RELATION_TYPES = ("model", "seed", "snapshot")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$|^\"[^\"]+\"$|^`[^`]+`$")


@dataclass(frozen=True, slots=True)
class Place:
    """Where one side of a model lives: database.schema.identifier (None: the model has no relation)."""

    database: str | None
    schema: str | None
    identifier: str | None
    materialized: str | None = None

    @property
    def has_relation(self) -> bool:
        return bool(self.identifier) and self.materialized != "ephemeral"


@dataclass(frozen=True, slots=True)
class KeyHints:
    """What a model's properties say about its primary key, in the order they are tried."""

    resource_type: str = "model"
    unique_key: Any = None
    constraints: tuple[Mapping[str, Any], ...] = ()  # model-level constraints
    column_constraints: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    tests: tuple[tuple[str, str | None, Mapping[str, Any]], ...] = ()  # (test name, column, kwargs)

    def candidates(self) -> list[tuple[str, tuple[str, ...]]]:
        """(where the key comes from, its columns), most explicit first; the caller takes the first whose
        columns both relations have."""
        out: list[tuple[str, tuple[str, ...]]] = []
        if self.resource_type == "snapshot":
            out.append(("snapshot", ("dbt_scd_id",)))  # a snapshot keeps several versions of a unique_key
        cols = _column_list(self.unique_key)
        if cols and self.resource_type != "snapshot":
            out.append(("unique_key", cols))
        for c in self.constraints:
            if str(c.get("type", "")).lower() == "primary_key":
                cols = _column_list(c.get("columns"))
                if cols:
                    out.append(("primary_key constraint", cols))
        for name, constraints in self.column_constraints.items():
            if any(str(c.get("type", "")).lower() == "primary_key" for c in constraints):
                out.append(("primary_key constraint", (name,)))
        unique = {col.lower(): col for t, col, _ in self.tests if t == "unique" and col}
        not_null = {col.lower() for t, col, _ in self.tests if t == "not_null" and col}
        for low, col in unique.items():
            if low in not_null and _IDENTIFIER.match(col):
                out.append(("unique and not_null tests", (col.strip('"`'),)))
        for t, _, kwargs in self.tests:
            if t == "unique_combination_of_columns":
                cols = _column_list(kwargs.get("combination_of_columns"))
                if cols:
                    out.append(("unique_combination_of_columns test", cols))
        return out


def _column_list(value: Any) -> tuple[str, ...]:
    """A unique_key / constraint's columns: a name or a list of names (an expression names no column)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        return ()
    cols = tuple(str(v).strip() for v in value)
    return tuple(c.strip('"`') for c in cols) if all(_IDENTIFIER.match(c) for c in cols) else ()


@dataclass(frozen=True, slots=True)
class StateManifest:
    path: Path
    adapter_type: str | None
    nodes: Mapping[str, Mapping[str, Any]]
    tests: Mapping[str, tuple[tuple[str, str | None, Mapping[str, Any]], ...]]  # by the node they test

    def place(self, unique_id: str) -> Place | None:
        node = self.nodes.get(unique_id)
        if node is None:
            return None
        config = node.get("config") or {}
        return Place(node.get("database") or None, node.get("schema") or None,
                     node.get("alias") or node.get("name"), config.get("materialized"))

    def hints(self, unique_id: str) -> KeyHints:
        node = self.nodes.get(unique_id) or {}
        config = node.get("config") or {}
        columns = node.get("columns") or {}
        return KeyHints(
            resource_type=str(node.get("resource_type") or "model"),
            unique_key=config.get("unique_key"),
            constraints=tuple(node.get("constraints") or ()),
            column_constraints={str(c.get("name") or n): tuple(c.get("constraints") or ())
                                for n, c in columns.items() if isinstance(c, dict)},
            tests=self.tests.get(unique_id, ()),
        )


def read_state(state: str | Path | None) -> StateManifest:
    """The state folder's manifest.json, with clear errors for a missing folder or file."""
    if not state:
        raise UsageError("mason diff needs --state: the folder holding production's manifest.json",
                         hint="e.g. --state prod-artifacts/ (a copy of production's target/ folder)")
    folder = Path(state)
    if not folder.is_dir():
        raise UsageError(f"--state folder {str(folder)!r} does not exist",
                         hint="point --state at a folder holding production's target/manifest.json")
    path = folder / "manifest.json"
    if not path.is_file():
        raise UsageError(f"no manifest.json in --state folder {str(folder)!r}",
                         hint="copy production's target/manifest.json there (every mason or dbt build writes it)")
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable manifest: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise UsageError(f"{path} is not a dbt manifest (no nodes)")
    nodes = {uid: n for uid, n in data["nodes"].items() if isinstance(n, dict)}
    tests: dict[str, list[tuple[str, str | None, Mapping[str, Any]]]] = {}
    for node in nodes.values():
        meta = node.get("test_metadata")
        if node.get("resource_type") != "test" or not isinstance(meta, dict):
            continue
        kwargs = meta.get("kwargs") or {}
        column = node.get("column_name") or kwargs.get("column_name")
        for parent in _tested(node):
            tests.setdefault(parent, []).append((str(meta.get("name")), column, kwargs))
    adapter_type = (data.get("metadata") or {}).get("adapter_type")
    return StateManifest(path, adapter_type, nodes, {k: tuple(v) for k, v in tests.items()})


def _tested(node: Mapping[str, Any]) -> Iterable[str]:
    if node.get("attached_node"):
        return (str(node["attached_node"]),)
    parents = (node.get("depends_on") or {}).get("nodes") or []
    return tuple(p for p in parents if str(p).split(".")[0] in RELATION_TYPES)[:1]


def hints_from_manifest(manifest: Any, unique_id: str,
                        tests: Mapping[str, tuple[tuple[str, str | None, Mapping[str, Any]], ...]]) -> KeyHints:
    """KeyHints from the current parse (mason.nodes objects)."""
    node = manifest.nodes[unique_id]
    return KeyHints(
        resource_type=node.resource_type,
        unique_key=node.config.get("unique_key"),
        constraints=tuple(node.constraints),
        column_constraints={c.name: tuple(c.constraints) for c in node.columns.values()},
        tests=tests.get(unique_id, ()),
    )


def tests_by_node(manifest: Any) -> dict[str, tuple[tuple[str, str | None, Mapping[str, Any]], ...]]:
    out: dict[str, list[tuple[str, str | None, Mapping[str, Any]]]] = {}
    for node in manifest.nodes.values():
        meta = node.test_metadata
        if node.resource_type != "test" or meta is None:
            continue
        parent = node.attached_node or next(
            (p for p in node.depends_on_nodes if p.split(".")[0] in RELATION_TYPES), None)
        if parent:
            column = node.column_name or meta.kwargs.get("column_name")
            out.setdefault(parent, []).append((meta.name, column, meta.kwargs))
    return {k: tuple(v) for k, v in out.items()}
