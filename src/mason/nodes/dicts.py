"""Each node as dbt's manifest.json writes it (and as `graph` shows it in Jinja): plain dicts, shared by
the artifacts writer and the Jinja context, so they live beside the node classes."""

from __future__ import annotations

from typing import Any

from mason.nodes.constraints import contract_checksum, normalized, primary_key
from mason.nodes.nodes import Column, Exposure, GenericNode, Macro, Node, SourceDefinition


def _column(col: Column) -> dict[str, Any]:
    # Values are shared with the node, not copied: these dicts are only ever serialized.
    return {
        "name": col.name,
        "description": col.description,
        "meta": col.meta,
        "data_type": col.data_type,
        "constraints": [normalized(c) for c in col.constraints] if col.constraints else col.constraints,
        "quote": col.quote,
        "config": {"meta": col.meta, "tags": col.tags},
        "tags": col.tags,
        "granularity": col.granularity,
        "doc_blocks": col.doc_blocks,
    }


def node_dict(node: Node, relation_name: str | None, compiled: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "database": node.database,
        "schema": node.schema,
        "name": node.name,
        "resource_type": node.resource_type,
        "package_name": node.package_name,
        "path": node.path,
        "original_file_path": node.original_file_path,
        "unique_id": node.unique_id,
        "fqn": node.fqn,
        "alias": node.alias,
        "checksum": {"name": "sha256" if node.checksum else "none", "checksum": node.checksum},
        "config": node.config,
        "tags": node.tags,
        "description": node.description,
        "columns": {name: _column(col) for name, col in node.columns.items()} if node.columns else {},
        "meta": node.meta,
        "group": node.group,
        "docs": node.docs,
        "patch_path": node.patch_path,
        "build_path": None,
        "unrendered_config": node.unrendered_config,
        "created_at": node.created_at,
        "config_call_dict": node.config_call_dict,
        "unrendered_config_call_dict": {},
        "relation_name": relation_name,
        "raw_code": node.raw_code,
        "doc_blocks": node.doc_blocks,
        "language": node.language,
        "refs": [{"name": r.name, "package": r.package, "version": r.version} for r in node.refs],
        "sources": node.sources,
        "metrics": [],
        "functions": [],
        "depends_on": {"macros": node.depends_on_macros, "nodes": node.depends_on_nodes},
        "compiled_path": None,
    }
    if node.resource_type == "seed":
        for key in ("refs", "sources", "metrics", "functions", "compiled_path", "language", "config_call_dict",
                    "unrendered_config_call_dict"):
            out.pop(key, None)
        out["depends_on"] = {"macros": node.depends_on_macros}
        out["root_path"] = node.root_path
        out["raw_code"] = ""
        out["doc_blocks"] = []
    if node.resource_type == "operation":  # an on-run-start/-end hook: its position in the list
        out["index"] = int(node.name.rpartition("-")[2]) if node.name.rpartition("-")[2].isdigit() else None
    if node.resource_type == "model":
        contract = node.config.get("contract") or {}
        enforced = bool(contract.get("enforced"))
        out.update(
            contract={"enforced": enforced, "alias_types": bool(contract.get("alias_types", True)),
                      "checksum": contract_checksum(node.columns.values(), node.constraints, node.materialized)
                      if enforced else None},
            access=node.access or "protected",
            constraints=[normalized(c, True) for c in node.constraints],
            version=_version_value(node.version),
            latest_version=_version_value(node.latest_version),
            deprecation_date=node.deprecation_date,
            primary_key=primary_key(node.columns.values(), node.constraints) if node.constraints or enforced else [],
            time_spine=node.time_spine,
        )
    if node.resource_type in ("test",) and node.test_metadata is not None:
        out["test_metadata"] = {"name": node.test_metadata.name, "kwargs": node.test_metadata.kwargs,
                                "namespace": node.test_metadata.namespace}
        out["column_name"] = node.column_name
        out["file_key_name"] = node.file_key_name
        out["attached_node"] = node.attached_node
    if compiled is not None:
        out.update(compiled)
    return out


def _version_value(v: str | None) -> Any:
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def source_dict(src: SourceDefinition) -> dict[str, Any]:
    return {
        "database": src.database,
        "schema": src.schema,
        "name": src.name,
        "resource_type": "source",
        "package_name": src.package_name,
        "path": src.path,
        "original_file_path": src.original_file_path,
        "unique_id": src.unique_id,
        "fqn": list(src.fqn),
        "source_name": src.source_name,
        "source_description": src.source_description,
        "loader": src.loader,
        "identifier": src.identifier,
        "quoting": {"database": None, "schema": None, "identifier": None, "column": None, **src.quoting},
        "loaded_at_field": src.loaded_at_field,
        "loaded_at_query": src.loaded_at_query,
        "freshness": _freshness(src.freshness),
        "external": src.external,
        "description": src.description,
        "columns": {name: _column(col) for name, col in src.columns.items()},
        "meta": dict(src.meta),
        "source_meta": dict(src.source_meta),
        "tags": list(src.tags),
        "config": dict(src.config),
        "patch_path": None,
        "unrendered_config": {},
        "relation_name": src.relation_name,
        "created_at": src.created_at,
        "unrendered_database": src.unrendered_database,
        "unrendered_schema": src.unrendered_schema,
        "doc_blocks": src.doc_blocks,
    }


def _freshness(f: dict[str, Any] | None) -> dict[str, Any] | None:
    if f is None:
        return {"warn_after": {"count": None, "period": None}, "error_after": {"count": None, "period": None},
                "filter": None}
    def after(v: Any) -> dict[str, Any]:
        v = v or {}
        return {"count": v.get("count"), "period": v.get("period")}

    return {"warn_after": after(f.get("warn_after")), "error_after": after(f.get("error_after")),
            "filter": f.get("filter")}


def macro_dict(m: Macro) -> dict[str, Any]:
    return {
        "name": m.name,
        "resource_type": "macro",
        "package_name": m.package_name,
        "path": m.path,
        "original_file_path": m.original_file_path,
        "unique_id": m.unique_id,
        "macro_sql": m.macro_sql,
        "depends_on": {"macros": list(m.depends_on_macros)},
        "description": m.description,
        "meta": dict(m.meta),
        "docs": {"show": True, "node_color": None},
        "patch_path": m.patch_path,
        "arguments": [dict(a) for a in m.arguments],
        "created_at": m.created_at,
        "supported_languages": None,
    }


def exposure_dict(e: Exposure) -> dict[str, Any]:
    return {
        "name": e.name,
        "resource_type": "exposure",
        "package_name": e.package_name,
        "path": e.path,
        "original_file_path": e.original_file_path,
        "unique_id": e.unique_id,
        "fqn": list(e.fqn),
        "type": e.type,
        "owner": {"email": e.owner.get("email"), "name": e.owner.get("name")},
        "description": e.description,
        "label": e.label,
        "maturity": e.maturity,
        "meta": dict(e.meta),
        "tags": list(e.tags),
        "config": {"enabled": True, "tags": list(e.tags), "meta": dict(e.meta)},
        "unrendered_config": {},
        "url": e.url,
        "depends_on": {"macros": [], "nodes": list(e.depends_on_nodes)},
        "refs": [{"name": r.name, "package": r.package, "version": r.version} for r in e.refs],
        "sources": [list(s) for s in e.sources],
        "metrics": [list(m) for m in e.metrics],
        "created_at": e.created_at,
    }


def generic_dict(g: GenericNode) -> dict[str, Any]:
    data = dict(g.data)
    base: dict[str, Any] = {
        "name": g.name,
        "resource_type": g.resource_type,
        "package_name": g.package_name,
        "path": g.path,
        "original_file_path": g.original_file_path,
        "unique_id": g.unique_id,
        "fqn": list(g.fqn),
        "description": g.description,
    }
    if g.resource_type == "unit_test":
        base.update(
            model=data.get("model"),
            given=[{"input": gv.get("input"), "rows": gv.get("rows"), "format": gv.get("format", "dict"),
                    "fixture": gv.get("fixture")} for gv in data.get("given") or []],
            expect={"rows": (data.get("expect") or {}).get("rows"), "format": (data.get("expect") or {}).get("format", "dict"),
                    "fixture": (data.get("expect") or {}).get("fixture")},
            overrides=data.get("overrides"),
            depends_on={"macros": [], "nodes": list(g.depends_on_nodes)},
            config={"tags": list(g.tags), "meta": {}, "enabled": True},
            checksum=None,
            schema=None,
            created_at=g.created_at,
            versions=None,
            version=None,
        )
    return base
