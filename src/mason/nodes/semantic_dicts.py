"""Semantic models, metrics, saved queries and unit tests in manifest v12 shape (MetricFlow's spec)."""

from __future__ import annotations

from typing import Any

from mason.nodes.nodes import GenericNode


def _base(g: GenericNode) -> dict[str, Any]:
    return {
        "name": g.name,
        "resource_type": g.resource_type,
        "package_name": g.package_name,
        "path": g.path,
        "original_file_path": g.original_file_path,
        "unique_id": g.unique_id,
        "fqn": list(g.fqn),
        "description": g.description,
    }


def _cfg(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    cfg = dict(data.get("config") or {})
    return {"enabled": bool(cfg.get("enabled", True)), "group": cfg.get("group"), "meta": dict(cfg.get("meta") or {}),
            **extra}


def _measure_input(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    return {"name": value.get("name"), "filter": _filter(value.get("filter")), "alias": value.get("alias"),
            "join_to_timespine": bool(value.get("join_to_timespine", False)),
            "fill_nulls_with": value.get("fill_nulls_with")}


def _metric_input(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    return {"name": value.get("name"), "filter": _filter(value.get("filter")), "alias": value.get("alias"),
            "offset_window": value.get("offset_window"), "offset_to_grain": value.get("offset_to_grain")}


def _filter(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return {"where_filters": [{"where_sql_template": str(v)} for v in items]}


def _window(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    count, _, granularity = str(value).partition(" ")
    return {"count": int(count), "granularity": granularity.rstrip("s")}


def metric_dict(g: GenericNode, depends_on: list[str]) -> dict[str, Any]:
    data = g.data
    params = dict(data.get("type_params") or {})
    mtype = str(data.get("type") or "simple")
    measure = _measure_input(params.get("measure"))
    input_measures = [measure] if measure else []
    conv = params.get("conversion_type_params")
    cumulative = params.get("cumulative_type_params")
    out = _base(g)
    out.update(
        label=str(data.get("label") or g.name),
        type=mtype,
        type_params={
            "measure": measure,
            "input_measures": input_measures,
            "numerator": _metric_input(params.get("numerator")),
            "denominator": _metric_input(params.get("denominator")),
            "expr": params.get("expr"),
            "window": _window(params.get("window")),
            "grain_to_date": params.get("grain_to_date"),
            "metrics": [_metric_input(m) for m in params.get("metrics") or []],
            "conversion_type_params": conv,
            "cumulative_type_params": cumulative,
            "metric_aggregation_params": None,
        },
        filter=_filter(data.get("filter")),
        metadata=None,
        time_granularity=data.get("time_granularity"),
        meta=dict((data.get("config") or {}).get("meta") or data.get("meta") or {}),
        tags=list(g.tags),
        config=_cfg(data),
        unrendered_config={},
        sources=[],
        depends_on={"macros": [], "nodes": depends_on},
        refs=[],
        metrics=[],
        created_at=g.created_at,
        group=(data.get("config") or {}).get("group"),
    )
    return out


def _entity(e: dict[str, Any]) -> dict[str, Any]:
    return {"name": e.get("name"), "type": e.get("type"), "description": e.get("description"),
            "label": e.get("label"), "role": e.get("role"), "expr": e.get("expr"),
            "config": {"meta": dict((e.get("config") or {}).get("meta") or {})}}


def _dimension(d: dict[str, Any]) -> dict[str, Any]:
    params = d.get("type_params")
    if params is not None:
        params = {"time_granularity": params.get("time_granularity"), "validity_params": params.get("validity_params")}
    return {"name": d.get("name"), "type": d.get("type"), "description": d.get("description"),
            "label": d.get("label"), "is_partition": bool(d.get("is_partition", False)), "type_params": params,
            "expr": d.get("expr"), "metadata": None, "config": {"meta": dict((d.get("config") or {}).get("meta") or {})}}


def _measure(m: dict[str, Any]) -> dict[str, Any]:
    return {"name": m.get("name"), "agg": m.get("agg"), "description": m.get("description"), "label": m.get("label"),
            "create_metric": bool(m.get("create_metric", False)),
            "expr": None if m.get("expr") is None else str(m.get("expr")), "agg_params": m.get("agg_params"),
            "non_additive_dimension": m.get("non_additive_dimension"),
            "agg_time_dimension": m.get("agg_time_dimension"),
            "config": {"meta": dict((m.get("config") or {}).get("meta") or {})}}


def semantic_model_dict(g: GenericNode, depends_on: list[str], relation: dict[str, Any] | None) -> dict[str, Any]:
    data = g.data
    out = _base(g)
    out.update(
        model=str(data.get("model") or ""),
        node_relation=relation,
        label=data.get("label"),
        defaults=data.get("defaults"),
        entities=[_entity(e) for e in data.get("entities") or []],
        measures=[_measure(m) for m in data.get("measures") or []],
        dimensions=[_dimension(d) for d in data.get("dimensions") or []],
        metadata=None,
        depends_on={"macros": [], "nodes": depends_on},
        refs=[{"name": r.name, "package": r.package, "version": r.version} for r in g.refs],
        created_at=g.created_at,
        config=_cfg(data),
        unrendered_config={},
        primary_entity=data.get("primary_entity"),
        group=(data.get("config") or {}).get("group"),
    )
    return out


def saved_query_dict(g: GenericNode, depends_on: list[str], target: dict[str, Any]) -> dict[str, Any]:
    data = g.data
    qp = data.get("query_params") or {}
    where = qp.get("where")
    exports = []
    for exp in data.get("exports") or []:
        cfg = dict(exp.get("config") or {})
        exports.append({
            "name": exp.get("name"),
            "config": {"export_as": cfg.get("export_as", "table"),
                       "schema_name": cfg.get("schema") or target.get("schema"),
                       "alias": cfg.get("alias") or exp.get("name"), "database": target.get("database")},
            "unrendered_config": cfg,
        })
    out = _base(g)
    cfg = dict(data.get("config") or {})
    out.update(
        query_params={"metrics": list(qp.get("metrics") or []), "group_by": list(qp.get("group_by") or []),
                      "where": _filter(where), "order_by": list(qp.get("order_by") or []), "limit": qp.get("limit")},
        exports=exports,
        label=data.get("label"),
        metadata=None,
        config=_cfg(data, export_as=cfg.get("export_as"), schema=cfg.get("schema"),
                    cache={"enabled": bool((cfg.get("cache") or {}).get("enabled", False))}),
        unrendered_config={},
        group=cfg.get("group"),
        depends_on={"macros": [], "nodes": depends_on},
        created_at=g.created_at,
        refs=[],
        tags=list(g.tags),
    )
    return out


def unit_test_dict(g: GenericNode, depends_on: list[str], schema: str | None, checksum: str | None) -> dict[str, Any]:
    data = g.data
    expect = data.get("expect") or {}
    out = _base(g)
    out.update(
        model=data.get("model"),
        given=[{"input": gv.get("input"), "rows": gv.get("rows"), "format": gv.get("format", "dict"),
                "fixture": gv.get("fixture")} for gv in data.get("given") or []],
        expect={"rows": expect.get("rows"), "format": expect.get("format", "dict"), "fixture": expect.get("fixture")},
        overrides=data.get("overrides"),
        depends_on={"macros": [], "nodes": depends_on},
        config={"tags": list(g.tags), "meta": dict((data.get("config") or {}).get("meta") or {}),
                "enabled": True, "static_analysis": None},
        checksum=checksum,
        schema=schema,
        created_at=g.created_at,
        versions=data.get("versions"),
        version=data.get("version"),
    )
    return out
