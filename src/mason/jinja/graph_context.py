"""`graph` in Jinja: the project's resources as plain dicts, built once per invocation on first use."""

from __future__ import annotations

from typing import Any

from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Column, Node, SourceDefinition


def _columns(cols: dict[str, Column]) -> dict[str, Any]:
    return {k: {"name": c.name, "description": c.description, "data_type": c.data_type, "meta": dict(c.meta),
                "tags": list(c.tags), "quote": c.quote} for k, c in cols.items()}


def _node(n: Node) -> dict[str, Any]:
    out = {
        "unique_id": n.unique_id, "name": n.name, "resource_type": n.resource_type, "package_name": n.package_name,
        "path": n.path, "original_file_path": n.original_file_path, "fqn": list(n.fqn), "alias": n.alias,
        "database": n.database, "schema": n.schema, "config": dict(n.config), "tags": list(n.tags),
        "meta": dict(n.meta), "description": n.description, "columns": _columns(n.columns), "raw_code": n.raw_code,
        "depends_on": {"nodes": list(n.depends_on_nodes), "macros": list(n.depends_on_macros)},
        "refs": [{"name": r.name, "package": r.package, "version": r.version} for r in n.refs],
        "sources": [list(s) for s in n.sources], "version": n.version, "latest_version": n.latest_version,
        "access": n.access, "group": n.group, "language": n.language,
    }
    if n.test_metadata is not None:
        out["test_metadata"] = {"name": n.test_metadata.name, "kwargs": dict(n.test_metadata.kwargs),
                                "namespace": n.test_metadata.namespace}
        out["column_name"] = n.column_name
        out["attached_node"] = n.attached_node
    return out


def _source(s: SourceDefinition) -> dict[str, Any]:
    return {
        "unique_id": s.unique_id, "name": s.name, "resource_type": "source", "package_name": s.package_name,
        "source_name": s.source_name, "identifier": s.identifier, "database": s.database, "schema": s.schema,
        "fqn": list(s.fqn), "config": dict(s.config), "tags": list(s.tags), "meta": dict(s.meta),
        "description": s.description, "columns": _columns(s.columns), "loaded_at_field": s.loaded_at_field,
        "relation_name": s.relation_name, "original_file_path": s.original_file_path,
    }


def graph_dict(manifest: Manifest) -> dict[str, Any]:
    def generic(items: dict[str, Any]) -> dict[str, Any]:
        return {uid: {"unique_id": uid, "name": g.name, "resource_type": g.resource_type,
                      "package_name": g.package_name, "fqn": list(g.fqn), **dict(getattr(g, "data", {}) or {})}
                for uid, g in items.items()}

    return {
        "nodes": {uid: _node(n) for uid, n in manifest.nodes.items()},
        "sources": {uid: _source(s) for uid, s in manifest.sources.items()},
        "exposures": {uid: {"unique_id": uid, "name": e.name, "resource_type": "exposure", "type": e.type,
                            "package_name": e.package_name, "owner": dict(e.owner), "tags": list(e.tags),
                            "depends_on": {"nodes": list(e.depends_on_nodes)}, "meta": dict(e.meta)}
                      for uid, e in manifest.exposures.items()},
        "groups": {uid: {"unique_id": uid, "name": g.name, "owner": dict(g.owner)} for uid, g in manifest.groups.items()},
        "metrics": generic(manifest.metrics),
        "semantic_models": generic(manifest.semantic_models),
        "saved_queries": generic(manifest.saved_queries),
        "unit_tests": generic(manifest.unit_tests),
        "macros": {uid: {"unique_id": uid, "name": m.name, "package_name": m.package_name}
                   for uid, m in manifest.macros.items()},
    }
