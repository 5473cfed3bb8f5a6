"""`mason sl export`: each saved query's `exports` built as a table or view in the warehouse.

An export is built the way a model is (the same materializations), so it is atomic: a failed export leaves
the relation it would have replaced as it was. Its name is the export's `alias` (else its name), in the
export's `schema` (else the target's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mason import api
from mason.errors import MasonError, UsageError, did_you_mean


@dataclass(frozen=True, slots=True)
class Exported:
    saved_query: str
    export: str
    kind: str  # table | view
    relation: str
    error: str | None = None


def export(session: Any, only: tuple[str, ...] = ()) -> list[Exported]:
    """Build the exports of the saved queries `only` (every saved query's when empty)."""
    from mason.adapters.building import BuildContext
    from mason.adapters.factory import open_adapter
    from mason.adapters.relation import relation_factory
    from mason.adapters.target import SQL_DIALECTS, database_and_schema
    from mason.api.semantic import graph, saved_query
    from mason.execute.materializations import MATERIALIZATIONS
    from mason.nodes.nodes import Node
    from mason.semantic.sql import compile_query

    parsed = api.parse_and_write(session)
    saved = {sq.name: sq for sq in parsed.manifest.saved_queries.values()}
    for name in only:
        if name not in saved:
            raise UsageError(f"saved query {name!r} is not defined",
                             hint=did_you_mean(name, saved) or f"saved queries: {', '.join(sorted(saved)) or 'none'}")
    semantic = graph(parsed)
    target = parsed.loaded.target
    database, default_schema = database_and_schema(target.type, target.credentials)
    make = relation_factory(parsed.manifest.adapter_type, parsed.loaded.project.quoting)
    adapter = open_adapter(target, session, parsed.loaded.project.quoting)
    done: list[Exported] = []
    try:
        for name in only or sorted(saved):
            sq = saved[name]
            for item in sq.data.get("exports") or []:
                config = item.get("config") or {}
                export_name = str(item.get("name") or name)
                kind = str(config.get("export_as") or "table").lower()
                if kind not in ("table", "view"):
                    raise UsageError(f"{sq.original_file_path}: saved query {name}, export {export_name}: "
                                     f"export_as {kind!r} is not table or view")
                alias = str(config.get("alias") or export_name)
                relation = make(database or None, str(config.get("schema") or default_schema), alias)
                try:
                    sql = compile_query(semantic, saved_query(parsed, name), SQL_DIALECTS.get(target.type))
                    node = Node(unique_id=f"export.{sq.package_name}.{name}.{export_name}", resource_type="model",
                                package_name=sq.package_name, name=alias, path=sq.original_file_path,
                                original_file_path=sq.original_file_path, fqn=(sq.package_name, name, export_name),
                                raw_code=sql, checksum="", config={"materialized": kind}, database=relation.database,
                                schema=relation.schema, alias=alias)
                    ctx = BuildContext(adapter, node, sql, relation, False, lambda which, inside: None,
                                       lambda statement: None)
                    MATERIALIZATIONS[kind](ctx)
                    done.append(Exported(name, export_name, kind, relation.render()))
                except MasonError as exc:
                    done.append(Exported(name, export_name, kind, relation.render(), exc.render()))
    finally:
        adapter.close()
    return done
