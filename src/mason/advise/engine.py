"""`mason advise`: gather what the rules need (each model's compiled SQL and its shape, its run time over the
recent runs, the sizes and columns of the relations in the warehouse, and where the adapter offers them its
indexes, column statistics, plans and table layout configs), run the rules, order the advice by cost."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mason.advise import rules
from mason.advise.rules import Advice, Model, Settings
from mason.advise.sqlshape import analyse


def timings_from_history(tables: Any, runs: int = 10) -> dict[str, float]:
    """Median seconds of each model's successful runs within the last `runs` invocations that ran models."""
    results = tables.name("mason_node_results")
    ids = tables.rows(
        f"select i.invocation_id, i.started_at from {tables.name('mason_invocations')} i\n"
        f"where i.invocation_id in (select invocation_id from {results} where resource_type = 'model')\n"
        f"order by i.started_at desc\nlimit {int(runs)}")
    if not ids:
        return {}
    listed = ", ".join(tables.text(str(r["invocation_id"])) for r in ids)
    rows = tables.rows(f"select unique_id, total_seconds from {results}\n"
                       f"where status = 'success' and invocation_id in ({listed})")
    seconds: dict[str, list[float]] = {}
    for r in rows:
        if r["total_seconds"] is not None:
            seconds.setdefault(str(r["unique_id"]), []).append(float(r["total_seconds"]))
    return {uid: statistics.median(v) for uid, v in seconds.items()}


def timings_from_artifacts(target_dir: Path) -> dict[str, float]:
    try:
        data = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(r.get("unique_id")): float(r.get("execution_time") or 0.0) for r in data.get("results") or []
            if r.get("status") == "success"}


def _key(schema: str | None, identifier: str | None) -> str:
    return f"{schema or ''}.{identifier or ''}".lower()


def advise(manifest: Any, adapter: Any, compiled: dict[str, str], timings: dict[str, float], dialect: str | None,
           selected: set[str], settings: Settings, catalog: Callable[[str, str], dict[str, dict[str, Any]]],
           warn: Callable[[str], None]) -> list[Advice]:
    """The advice for the `selected` models, costliest first. `catalog(database, schema)` lists the relations of
    a schema with their columns (docs generate's catalog rows)."""
    models: dict[str, Model] = {}
    names: dict[str, str] = {}  # relation key -> a node's name
    schemas: set[tuple[str, str]] = set()
    for uid, node in manifest.nodes.items():
        if node.resource_type not in ("model", "seed", "snapshot") or node.is_ephemeral:
            continue
        key = _key(node.schema, node.alias or node.name)
        names[key] = node.name
        schemas.add((node.database or "", node.schema or ""))
        models[uid] = Model(uid, node.name, node.original_file_path, node.raw_code or "", compiled.get(uid, ""),
                            node.resource_type if node.resource_type != "model" else
                            str(node.config.get("materialized") or "view"), dict(node.config), key,
                            timings.get(uid, 0.0))
    for src in manifest.sources.values():
        names[_key(src.schema, src.identifier)] = f"{src.source_name}.{src.name}"
        schemas.add((src.database or "", src.schema or ""))
    sizes: dict[str, int | None] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    stats_of = getattr(adapter, "relation_stats", None)
    for database, schema in sorted(schemas):
        try:
            if stats_of is not None:
                for ident, stat in stats_of(database or None, schema).items():
                    sizes[_key(schema, ident)] = stat.get("rows")
            for ident, found in catalog(database, schema).items():
                columns[_key(schema, ident)] = [(str(c), str(t)) for c, t, _ in found["columns"]]
        except Exception as exc:
            _rollback(adapter)
            warn(f"advise: no statistics for schema {schema}: {str(exc).splitlines()[0] if str(exc) else exc}")
    for m in models.values():
        m.rows = sizes.get(m.key)
        m.columns = columns.get(m.key, [])
        if m.compiled:
            m.shape = analyse(m.compiled, dialect)
    for uid in models:
        for parent in manifest.nodes[uid].depends_on_nodes:
            if parent in models:
                models[parent].children.append(uid)
    out: list[Advice] = []
    layout = tuple(getattr(adapter, "layout_configs", ()) or ())
    for uid in sorted(selected):
        model = models.get(uid)
        if model is None or manifest.nodes[uid].resource_type != "model":
            continue
        out += rules.cte_chain(model, settings)
        out += rules.incremental(model, settings)
        out += rules.joins(model, settings, sizes, names)
        out += rules.layout(model, settings, layout)
    if getattr(adapter.capabilities, "indexes", False) and hasattr(adapter, "list_indexes"):
        out += _index_advice(adapter, models, selected, settings, warn)
    return sorted(out, key=lambda a: (-a.cost, -(a.rows or 0), a.location))


def _index_advice(adapter: Any, models: dict[str, Model], selected: set[str], settings: Settings,
                  warn: Callable[[str], None]) -> list[Advice]:
    out: list[Advice] = []
    for t in models.values():
        readers = [models[c] for c in t.children if c in selected and models[c].shape is not None]
        if not readers or t.rows is None or t.rows < settings.min_rows:
            continue
        schema, _, ident = t.key.partition(".")
        try:
            relation = adapter.get_relation(None, schema, ident)
            existing = adapter.list_indexes(relation) if relation is not None else []
            distinct = adapter.column_stats(None, schema, ident) if hasattr(adapter, "column_stats") else {}
            plans = {}
            if hasattr(adapter, "explain"):
                for r in readers:
                    try:
                        plans[r.uid] = adapter.explain(r.compiled)
                    except Exception:
                        _rollback(adapter)
        except Exception as exc:
            _rollback(adapter)
            warn(f"advise: could not read the indexes of {t.name}: {str(exc).splitlines()[0] if str(exc) else exc}")
            continue
        out += rules.indexes(t, settings, readers, existing, distinct, plans)
    return out


def _rollback(adapter: Any) -> None:
    try:
        adapter.rollback()
    except Exception:
        pass
