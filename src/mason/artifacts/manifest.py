"""manifest.json, schema v12 (dbt-core 1.8 and later), and semantic_manifest.json."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mason import DBT_COMPAT_VERSION
from mason.nodes import semantic_dicts as sem
from mason.nodes.dicts import exposure_dict, macro_dict, node_dict, source_dict
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node

SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def metadata(schema: str, invocation_id: str, started_at: datetime, env: dict[str, str]) -> dict[str, Any]:
    return {
        "dbt_schema_version": schema,
        "dbt_version": DBT_COMPAT_VERSION,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "invocation_id": invocation_id,
        "invocation_started_at": started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "env": {k[len("DBT_ENV_CUSTOM_ENV_"):]: v for k, v in env.items() if k.startswith("DBT_ENV_CUSTOM_ENV_")},
    }


def semantic_manifest(manifest: Manifest) -> dict[str, Any]:
    return {
        "semantic_models": [dict(g.data) for g in manifest.semantic_models.values()],
        "metrics": [dict(g.data) for g in manifest.metrics.values()],
        "project_configuration": {
            "time_spine_table_configurations": [],
            "metadata": None,
            "dsi_package_version": {},
            "time_spines": [],
        },
        "saved_queries": [dict(g.data) for g in manifest.saved_queries.values()],
    }


def manifest_dict(manifest: Manifest, relation_names: dict[str, str | None], invocation_id: str,
                  started_at: datetime, env: dict[str, str], compiled: dict[str, dict[str, Any]] | None = None,
                  target: dict[str, Any] | None = None, only: frozenset[str] | None = None) -> dict[str, Any]:
    """The manifest as a dict; with `only`, "nodes" holds just those nodes (for `patch_manifest`)."""
    meta = metadata(SCHEMA, invocation_id, started_at, env)
    meta.update(
        project_name=manifest.project_name,
        project_id=hashlib.md5(manifest.project_name.encode("utf-8")).hexdigest(),
        user_id=None,
        send_anonymous_usage_stats=False,
        adapter_type=manifest.adapter_type,
        quoting={"database": True, "schema": True, "identifier": True, "column": None, **manifest.quoting},
        run_started_at=started_at.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
    )
    compiled = compiled or {}
    disabled: dict[str, list[Any]] = {}
    for uid, items in manifest.disabled.items():
        disabled[uid] = [node_dict(n, None) for n in items if isinstance(n, Node)]
    return {
        "metadata": meta,
        "nodes": (_NodeDicts(manifest.nodes, relation_names, compiled)
                  if only is None else
                  {uid: node_dict(manifest.nodes[uid], relation_names.get(uid), compiled.get(uid))
                   for uid in manifest.nodes if uid in only}),
        "sources": {uid: source_dict(s) for uid, s in manifest.sources.items()},
        "macros": {uid: macro_dict(m) for uid, m in manifest.macros.items()},
        "docs": {uid: {"name": d.name, "resource_type": "doc", "package_name": d.package_name, "path": d.path,
                       "original_file_path": d.original_file_path, "unique_id": d.unique_id,
                       "block_contents": d.block_contents} for uid, d in manifest.docs.items()},
        "exposures": {uid: exposure_dict(e) for uid, e in manifest.exposures.items()},
        "metrics": {uid: sem.metric_dict(g, list(g.depends_on_nodes)) for uid, g in manifest.metrics.items()},
        "groups": {uid: {"name": g.name, "resource_type": "group", "package_name": g.package_name, "path": g.path,
                         "original_file_path": g.original_file_path, "unique_id": g.unique_id,
                         "owner": {"email": g.owner.get("email"), "name": g.owner.get("name")},
                         "description": g.description, "config": {"meta": {}}}
                   for uid, g in manifest.groups.items()},
        "selectors": {name: {k: v for k, v in entry.items()} for name, entry in manifest.selectors.items()},
        "disabled": disabled,
        "parent_map": manifest.parent_map,
        "child_map": manifest.child_map,
        "group_map": _group_map(manifest),
        "saved_queries": {uid: sem.saved_query_dict(g, list(g.depends_on_nodes), target or {})
                          for uid, g in manifest.saved_queries.items()},
        "semantic_models": {uid: sem.semantic_model_dict(g, list(g.depends_on_nodes),
                                                         _node_relation(manifest, g.depends_on_nodes, relation_names))
                            for uid, g in manifest.semantic_models.items()},
        "unit_tests": {uid: sem.unit_test_dict(g, list(g.depends_on_nodes), _schema_of(manifest, g.depends_on_nodes), None)
                       for uid, g in manifest.unit_tests.items()},
        "functions": {},
    }


class _NodeDicts(Mapping[str, dict[str, Any]]):
    """The manifest's "nodes" section, each entry built when read: write_manifest encodes and writes them one
    after another, so the dicts of all nodes never exist at once (about 100 MB at 10,000 models)."""

    __slots__ = ("_compiled", "_nodes", "_relation_names")

    def __init__(self, nodes: Any, relation_names: dict[str, str | None], compiled: dict[str, dict[str, Any]]) -> None:
        self._nodes, self._relation_names, self._compiled = nodes, relation_names, compiled

    def __getitem__(self, uid: str) -> dict[str, Any]:
        return node_dict(self._nodes[uid], self._relation_names.get(uid), self._compiled.get(uid))

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def _node_relation(manifest: Manifest, deps: tuple[str, ...], names: dict[str, str | None]) -> dict[str, Any] | None:
    node = next((manifest.nodes[d] for d in deps if d in manifest.nodes), None)
    if node is None:
        return None
    return {"alias": node.alias, "schema_name": node.schema, "database": node.database,
            "relation_name": names.get(node.unique_id)}


def _schema_of(manifest: Manifest, deps: tuple[str, ...]) -> str | None:
    node = next((manifest.nodes[d] for d in deps if d in manifest.nodes), None)
    return node.schema if node else None


def _group_map(manifest: Manifest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    groups = getattr(manifest.nodes, "groups", None)  # LazyNodes know them without loading the tests
    if groups is not None:
        for uid in manifest.nodes:
            if uid in groups:
                out.setdefault(groups[uid], []).append(uid)
        return out
    for node in manifest.nodes.values():
        if node.group:
            out.setdefault(node.group, []).append(node.unique_id)
    return out


def write_manifest(path: Path, manifest_data: dict[str, Any], compiled: bool = False) -> None:
    """Write manifest.json, and beside it where each node's entry lies in the file (see `patch_manifest`).
    `compiled`: some entries carry compiled code (a patch, which writes parsed nodes, must not keep them)."""
    from mason.artifacts import splice

    splice.write_indexed(path, manifest_data, "nodes", "compiled" if compiled else "parsed")


def patch_manifest(path: Path, manifest_data: dict[str, Any], order: list[str]) -> bool:
    """Rewrite manifest.json with the nodes in `manifest_data` (a few re-parsed ones) replaced and every
    other section re-encoded, copying the unchanged node entries from the file as it is. `order` is the
    manifest's node ids in order. False (nothing written) when the file on disk is not the one indexed:
    write it whole. After a partial re-parse of a 10,000-model project this avoids re-encoding 70 MB."""
    from mason.artifacts import splice

    return splice.patch_indexed(path, manifest_data, "nodes", order, "parsed")
