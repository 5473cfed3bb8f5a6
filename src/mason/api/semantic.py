"""`mason sl ...` and `mason.api.semantic.query(...)`: metric queries over the parsed project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mason import api
from mason.semantic.graph import SemanticGraph, build_graph
from mason.semantic.sql import Query, compile_query


@dataclass(frozen=True, slots=True)
class Result:
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def graph(parsed: api.Parsed) -> SemanticGraph:
    names = api.relation_names(parsed)
    return build_graph(parsed.manifest, lambda node: names.get(node.unique_id) or node.name)


def query(session: Any, query: Query, explain: bool = False, parsed: api.Parsed | None = None) -> Result:
    """Compile the query against the project's semantic graph and, unless `explain`, run it."""
    from mason.adapters.factory import open_adapter
    from mason.adapters.target import SQL_DIALECTS

    parsed = parsed or api.parse_and_write(session)
    sql = compile_query(graph(parsed), query, SQL_DIALECTS.get(parsed.loaded.target.type))
    if explain:
        return Result(sql, (), ())
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    try:
        _, table = adapter.execute(sql, fetch=True)
    finally:
        adapter.close()
    assert table is not None
    return Result(sql, tuple(table.column_names), tuple(tuple(r) for r in table.rows))


def listing(session: Any, what: str) -> list[dict[str, Any]]:
    """`mason sl list metrics|dimensions|entities`."""
    g = graph(api.parse_and_write(session))
    if what == "metrics":
        return [{"name": m.name, "type": m.type, "label": m.label, "description": m.description}
                for m in sorted(g.metrics.values(), key=lambda m: m.name)]
    if what == "dimensions":
        return sorted(({"name": f"{(model.primary.name + '__') if model.primary else ''}{d.name}",
                        "type": d.type, "semantic_model": model.name}
                       for model in g.models.values() for d in model.dimensions), key=lambda d: d["name"])
    if what == "entities":
        return sorted(({"name": e.name, "type": e.type, "semantic_model": model.name}
                       for model in g.models.values() for e in model.entities), key=lambda e: e["name"])
    raise ValueError(what)
