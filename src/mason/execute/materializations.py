"""Built-in materializations: view, table, incremental (append, delete+insert, merge).

Every build is atomic: the statements run in one transaction (DuckDB and PostgreSQL have transactional DDL),
so a failed build leaves the previous relation exactly as it was.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mason.adapters.base import AdapterResponse, ColumnInfo
from mason.adapters.relation import Relation
from mason.errors import CompileError, DatabaseError, Span
from mason.execute import relation_ops as ops
from mason.execute.outcome import NodeOutcome
from mason.nodes.nodes import Node

_TRAILING = re.compile(r"[\s;]+$")


def clean_sql(sql: str) -> str:
    """The model's SELECT without a trailing semicolon (it is wrapped in DDL)."""
    return _TRAILING.sub("", sql)


@dataclass
class BuildContext:
    """What a materialization needs: the adapter, the node, its SQL and relation, and hook runners."""

    adapter: Any
    node: Node
    sql: str
    relation: Relation
    full_refresh: bool
    run_hooks: Callable[[str, bool], None]  # (which: 'pre'|'post', inside_transaction)
    record_sql: Callable[[str], None]

    def execute(self, sql: str, fetch: bool = False) -> tuple[AdapterResponse, Any]:
        self.record_sql(sql)
        return self.adapter.execute(sql, fetch=fetch)


def _ensure_schema(ctx: BuildContext) -> None:
    rel = ctx.relation
    cache = ctx.adapter.cache
    if cache.schema_exists(rel.database, rel.schema or ""):
        return
    if cache.get_schema(rel.database, rel.schema or "") is None and ctx.adapter.list_relations(
            rel.database, rel.schema or ""):
        cache.schema_created(rel.database, rel.schema or "")
        return
    ctx.adapter.create_schema(rel.database, rel.schema or "")
    cache.schema_created(rel.database, rel.schema or "")


def _has_hooks(ctx: BuildContext) -> bool:
    return bool(ctx.node.config.get("pre-hook") or ctx.node.config.get("post-hook"))


def _in_transaction(ctx: BuildContext, body: Callable[[], AdapterResponse], single: bool = False) -> AdapterResponse:
    """Run `body` atomically. One DDL statement is atomic by itself, so it skips BEGIN/COMMIT (two round
    trips and a commit per model) unless hooks must share its transaction."""
    adapter = ctx.adapter
    if single and not _has_hooks(ctx) and adapter.capabilities.transactional_ddl:
        try:
            return body()
        except BaseException:
            adapter.cache.clear()
            raise
    ctx.run_hooks("pre", False)
    adapter.begin()
    try:
        ctx.run_hooks("pre", True)
        response = body()
        ctx.run_hooks("post", True)
        adapter.commit()
    except BaseException:
        adapter.rollback()
        adapter.cache.clear()
        raise
    ctx.run_hooks("post", False)
    return response


def _existing(ctx: BuildContext) -> Relation | None:
    """The relation as it is now. Adapters whose rebuilds drop dependent views (PostgreSQL's `drop ... cascade`
    of a replaced table) look it up afresh: the cache may still list a view dropped that way."""
    adapter = ctx.adapter
    lookup = getattr(adapter, "lookup_relation", None)
    if lookup is not None:
        return lookup(ctx.relation)  # type: ignore[no-any-return]
    rel = ctx.relation
    return adapter.get_relation(rel.database, rel.schema or "", rel.identifier or "")


def _execute(ctx: BuildContext) -> Callable[[str], tuple[AdapterResponse, Any]]:
    return lambda sql: ctx.execute(sql)


def _build(ctx: BuildContext, old: Relation | None, kind: str) -> AdapterResponse:
    """(Re)build the relation as `kind` from the model's SQL, inside the caller's transaction."""
    adapter = ctx.adapter
    caps = adapter.capabilities
    target = ctx.relation.incorporate(type=kind)
    sql = clean_sql(ctx.sql)
    in_place = caps.create_or_replace_view if kind == "view" else caps.create_or_replace_table
    if in_place:
        if old is not None and old.type != kind:
            ctx.execute(f"drop {ops.ddl_kind(old.type)} if exists {target.render()} cascade")
        response, _ = ctx.execute(ops.create_as(adapter, ctx.node, kind, target, sql, replace=True))
    else:
        response = ops.swap_in(adapter, _execute(ctx), ctx.node, target, old, kind, sql)
    ops.after_build(adapter, _execute(ctx), ctx.node, target, kind, created=True, replaced=True)
    return response


def _single(ctx: BuildContext, old: Relation | None, kind: str) -> bool:
    """Whether the build is one statement (atomic by itself, no transaction needed)."""
    caps = ctx.adapter.capabilities
    in_place = caps.create_or_replace_view if kind == "view" else caps.create_or_replace_table
    extras = caps.grants and ctx.node.config.get("grants") or caps.indexes and ctx.node.config.get("indexes")
    return bool(in_place and not extras and (old is None or old.type == kind))


def _adapter_builder(ctx: BuildContext, kind: str) -> Callable[[BuildContext], NodeOutcome] | None:
    """The adapter's own builder for `kind`, for warehouses whose DDL differs too much to share (Spark)."""
    own = getattr(ctx.adapter, "materializations", None)
    return own.get(kind) if own else None


def materialize_view(ctx: BuildContext) -> NodeOutcome:
    if (own := _adapter_builder(ctx, "view")) is not None:
        return own(ctx)
    _ensure_schema(ctx)
    ops.check_identifier(ctx.adapter, ctx.relation, ctx.node)
    old = _existing(ctx)
    response = _in_transaction(ctx, lambda: _build(ctx, old, "view"), single=_single(ctx, old, "view"))
    ctx.adapter.cache.add(ctx.relation.incorporate(type="view"))
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))


def materialize_table(ctx: BuildContext) -> NodeOutcome:
    if (own := _adapter_builder(ctx, "table")) is not None:
        return own(ctx)
    _ensure_schema(ctx)
    ops.check_identifier(ctx.adapter, ctx.relation, ctx.node)
    old = _existing(ctx)
    response = _in_transaction(ctx, lambda: _build(ctx, old, "table"), single=_single(ctx, old, "table"))
    ctx.adapter.cache.add(ctx.relation.incorporate(type="table"))
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))


# ------------------------------------------------------------------------------------------ incremental
def _unique_keys(node: Node) -> list[str]:
    key = node.config.get("unique_key")
    if key is None or key == "":
        return []
    if isinstance(key, str):
        return [key]
    return [str(k) for k in key]


def _strategy(ctx: BuildContext) -> str:
    configured = ctx.node.config.get("incremental_strategy")
    caps = ctx.adapter.capabilities
    if configured is None:
        return caps.default_incremental_strategy if _unique_keys(ctx.node) else "append"
    strategy = str(configured)
    if strategy not in caps.incremental_strategies:
        raise CompileError(
            f"incremental_strategy {strategy!r} is not supported on {ctx.adapter.type}",
            Span(ctx.node.original_file_path),
            f"use one of: {', '.join(caps.incremental_strategies)}",
        )
    return strategy


def _quote(ctx: BuildContext, name: str) -> str:
    return str(ctx.adapter.quote(name))


@dataclass
class SchemaDiff:
    """How the new rows' columns differ from the target table's (for on_schema_change)."""

    mode: str
    target_cols: list[Any]
    source_cols: list[Any]
    added: list[Any]
    removed: list[Any]
    changed: list[Any]
    have: dict[str, Any]  # the target's columns by lower-cased name

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def schema_diff(ctx: BuildContext, target: Relation, source: Relation,
                type_of: Callable[[Any], str] = lambda c: c.data_type) -> SchemaDiff:
    """Compare columns and, with on_schema_change: fail, raise naming every difference."""
    adapter = ctx.adapter
    mode = str(ctx.node.config.get("on_schema_change") or "ignore")
    target_cols = adapter.get_columns(target)
    source_cols = adapter.get_columns(source)
    have = {c.name.lower(): c for c in target_cols}
    new = {c.name.lower() for c in source_cols}
    diff = SchemaDiff(
        mode, target_cols, source_cols,
        added=[c for c in source_cols if c.name.lower() not in have],
        removed=[c for c in target_cols if c.name.lower() not in new],
        changed=[c for c in source_cols if c.name.lower() in have
                 and type_of(c).lower() != type_of(have[c.name.lower()]).lower()],
        have=have)
    if mode == "fail" and diff.any:
        parts = []
        if diff.added:
            parts.append("new columns " + ", ".join(c.name for c in diff.added))
        if diff.removed:
            parts.append("missing columns " + ", ".join(c.name for c in diff.removed))
        if diff.changed:
            parts.append("changed types " + ", ".join(
                f"{c.name} ({type_of(have[c.name.lower()])} -> {type_of(c)})" for c in diff.changed))
        raise CompileError(
            f"the schema of {ctx.node.unique_id} changed: {'; '.join(parts)}",
            Span(ctx.node.original_file_path),
            "set on_schema_change to append_new_columns or sync_all_columns, or run with --full-refresh",
        )
    return diff


def _schema_changes(ctx: BuildContext, target: Relation, tmp: Relation) -> list[ColumnInfo]:
    """Apply on_schema_change; return the destination columns to write."""
    adapter = ctx.adapter
    diff = schema_diff(ctx, target, tmp)
    if diff.mode == "ignore" or not diff.any:
        return diff.target_cols
    mode, added, removed, changed = diff.mode, diff.added, diff.removed, diff.changed
    rendered = target.render()
    for col in added:
        ctx.execute(f"alter table {rendered} add column {_quote(ctx, col.name)} {col.data_type}")
    if mode == "sync_all_columns":
        for col in removed:
            ctx.execute(f"alter table {rendered} drop column {_quote(ctx, col.name)}")
        for col in changed:
            _retype_column(ctx, rendered, col)
    adapter.cache.clear()
    return adapter.get_columns(target)


def _retype_column(ctx: BuildContext, rendered: str, col: ColumnInfo) -> None:
    """Change a column's type as dbt does: copy it into a new column of the new type, drop the old one and
    rename the copy, so the retyped column moves to the end of the table (as in dbt's results)."""
    name, tmp = _quote(ctx, col.name), _quote(ctx, f"{col.name}__dbt_alter")
    ctx.execute(f"alter table {rendered} add column {tmp} {col.data_type}")
    ctx.execute(f"update {rendered} set {tmp} = {name}")
    ctx.execute(f"alter table {rendered} drop column {name}")
    ctx.execute(f"alter table {rendered} rename column {tmp} to {name}")


def _delete_sql(ctx: BuildContext, keys: list[str], predicates: list[str], t: str, s: str) -> str:
    """delete+insert's delete, spelled as dbt's adapter spells it, so incremental_predicates written for dbt
    find the same names: on DuckDB the target is DBT_INCREMENTAL_TARGET (composite keys, joined with the new
    rows' table) or unaliased (one key); elsewhere it is DBT_INTERNAL_DEST."""
    extra = "".join(f" and ({p})" for p in predicates)
    if ctx.adapter.type != "duckdb":
        key_list = ", ".join(keys)
        return (f"delete from {t} as DBT_INTERNAL_DEST where ({key_list}) in "
                f"(select distinct {key_list} from {s} as DBT_INTERNAL_SOURCE){extra}")
    if len(keys) == 1:
        return f"delete from {t} where ({keys[0]}) in (select ({keys[0]}) from {s}){extra}"
    match = " and ".join(f"{s}.{k} = DBT_INCREMENTAL_TARGET.{k}" for k in keys)
    return f"delete from {t} as DBT_INCREMENTAL_TARGET using {s} where ({match}){extra}"


def _incremental_sql(ctx: BuildContext, strategy: str, target: Relation, tmp: Relation,
                     columns: list[ColumnInfo]) -> list[str]:
    names = [_quote(ctx, c.name) for c in columns]
    col_list = ", ".join(names)
    keys = _unique_keys(ctx.node)
    predicates = ctx.node.config.get("incremental_predicates") or []
    if isinstance(predicates, str):
        predicates = [predicates]
    t, s = target.render(), tmp.render()
    if strategy == "append" or (strategy == "delete+insert" and not keys):
        return [f"insert into {t} ({col_list}) select {col_list} from {s}"]
    if strategy == "delete+insert":
        return [_delete_sql(ctx, keys, predicates, t, s), f"insert into {t} ({col_list}) select {col_list} from {s}"]
    if strategy == "merge" and not ctx.adapter.capabilities.merge:
        # no native MERGE (PostgreSQL before 15): replace the matching rows instead
        return _incremental_sql(ctx, "delete+insert", target, tmp, columns)
    if strategy == "merge":
        # dbt-duckdb writes the new rows' own columns by name (a column the model lost keeps its values or
        # gets NULL, one the table lacks fails); other adapters write the table's columns
        by_name = ctx.adapter.type == "duckdb"
        if by_name:
            insert = "when not matched then insert by name"
        else:
            insert = (f"when not matched then insert ({col_list}) values "
                      f"({', '.join('DBT_INTERNAL_SOURCE.' + n for n in names)})")
        if not keys:
            if by_name:
                return [f"insert into {t} by name select * from {s}"]
            return [f"insert into {t} ({col_list}) select {col_list} from {s}"]
        on = " and ".join([f"DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k}" for k in keys] + [f"({p})" for p in predicates])
        update_cols = ctx.node.config.get("merge_update_columns")
        exclude = {str(c).lower() for c in ctx.node.config.get("merge_exclude_columns") or []}
        if update_cols and exclude:
            raise CompileError(f"{ctx.node.unique_id} sets both merge_update_columns and merge_exclude_columns",
                               Span(ctx.node.original_file_path), "keep one of them")
        if update_cols:
            targets = [str(c) for c in update_cols]
        else:
            targets = [c.name for c in columns if c.name.lower() not in exclude]
        sets = ", ".join(f"{_quote(ctx, c)} = DBT_INTERNAL_SOURCE.{_quote(ctx, c)}" for c in targets)
        update = f"when matched then update set {sets} " if sets else ""
        if by_name and not update_cols and not exclude:
            update = "when matched then update by name "
        return [f"merge into {t} as DBT_INTERNAL_DEST using {s} as DBT_INTERNAL_SOURCE on ({on}) {update}{insert}"]
    raise CompileError(f"incremental_strategy {strategy!r} is not implemented yet", Span(ctx.node.original_file_path))


def materialize_incremental(ctx: BuildContext) -> NodeOutcome:
    if (own := _adapter_builder(ctx, "incremental")) is not None:
        return own(ctx)
    _ensure_schema(ctx)
    ops.check_identifier(ctx.adapter, ctx.relation, ctx.node)
    old = _existing(ctx)
    if old is None or old.type != "table" or ctx.full_refresh:
        response = _in_transaction(ctx, lambda: _build(ctx, old, "table"), single=_single(ctx, old, "table"))
        ctx.adapter.cache.add(ctx.relation.incorporate(type="table"))
        return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))
    strategy = _strategy(ctx)
    target = ctx.relation.incorporate(type="table")
    if _direct(ctx, strategy):
        return _incremental_direct(ctx, strategy, target)
    suffix = f"__dbt_tmp_{uuid.uuid4().hex[:8]}"
    tmp_name = ops.intermediate_name(ctx.relation.identifier or "", suffix,
                                     ctx.adapter.capabilities.max_identifier_length)
    tmp = ctx.adapter.make_relation(None, None, tmp_name, "table")
    ctx.execute(f"create temporary table {tmp.render()} as (\n{clean_sql(ctx.sql)}\n)")
    rows = -1
    try:
        def body() -> AdapterResponse:
            nonlocal rows
            columns = _schema_changes(ctx, target, tmp)
            response = AdapterResponse()
            for stmt in _incremental_sql(ctx, strategy, target, tmp, columns):
                response, _ = ctx.execute(stmt)
            rows = response.rows_affected
            ops.after_build(ctx.adapter, _execute(ctx), ctx.node, target, "table", created=False, replaced=False)
            return response

        _in_transaction(ctx, body)
    finally:
        try:
            ctx.adapter.execute(f"drop table if exists {tmp.render()}")
        except DatabaseError:
            pass
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", rows))


class _Subquery:
    """The model's query in place of a temporary table, for statements that read it once."""

    def __init__(self, sql: str) -> None:
        self.sql = sql

    def render(self) -> str:
        return f"(\n{self.sql}\n)"


def _direct(ctx: BuildContext, strategy: str) -> bool:
    """Whether the new rows can be inserted straight from the model's query (append, with
    on_schema_change: ignore, needs nothing else of them), saving a temporary table. Not for merge:
    DuckDB's MERGE is faster from a table than from a subquery (measured: 1.35 s against 1.8 s for 200k
    rows into 2M, the temporary table included)."""
    mode = str(ctx.node.config.get("on_schema_change") or "ignore")
    return mode == "ignore" and strategy == "append"


def _incremental_direct(ctx: BuildContext, strategy: str, target: Relation) -> NodeOutcome:
    sql = clean_sql(ctx.sql)
    # every column of the table, as dbt writes them: a column the model no longer returns fails the insert
    columns = ctx.adapter.get_columns(target)
    rows = -1

    def body() -> AdapterResponse:
        nonlocal rows
        response = AdapterResponse()
        if strategy == "append":
            col_list = ", ".join(_quote(ctx, c.name) for c in columns)
            statements = [f"insert into {target.render()} ({col_list}) select {col_list} from (\n{sql}\n) "
                          f"as dbt_new_rows"]
        else:
            statements = _incremental_sql(ctx, strategy, target, _Subquery(sql), columns)  # type: ignore[arg-type]
        for stmt in statements:
            response, _ = ctx.execute(stmt)
        rows = response.rows_affected
        ops.after_build(ctx.adapter, _execute(ctx), ctx.node, target, "table", created=False, replaced=False)
        return response

    _in_transaction(ctx, body)
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", rows))


MATERIALIZATIONS: dict[str, Callable[[BuildContext], NodeOutcome]] = {
    "view": materialize_view,
    "table": materialize_table,
    "incremental": materialize_incremental,
    "materialized_view": lambda ctx: _materialized_view(ctx),
}


def _materialized_view(ctx: BuildContext) -> NodeOutcome:
    from mason.execute.materialized_view import materialize_materialized_view

    return materialize_materialized_view(ctx)
