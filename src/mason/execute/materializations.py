"""Built-in materializations: view, table, incremental (append, delete+insert, merge).

Every build is atomic: the statements run in one transaction (DuckDB and PostgreSQL have transactional DDL),
so a failed build leaves the previous relation exactly as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mason.adapters import relation_ops as ops
from mason.adapters.base import AdapterResponse, ColumnInfo
from mason.adapters.building import (
    BuildContext,
    clean_sql,
    ensure_schema,
    existing,
    in_transaction,
    schema_diff,
    strategy_of,
    unique_keys,
)
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.errors import CompileError, DatabaseError, Span


def _execute(ctx: BuildContext) -> Callable[[str], tuple[AdapterResponse, Any]]:
    return lambda sql: ctx.execute(sql)


def _build(ctx: BuildContext, old: Relation | None, kind: str) -> AdapterResponse:
    """(Re)build the relation as `kind` from the model's SQL, inside the caller's transaction."""
    adapter = ctx.adapter
    caps = adapter.capabilities
    target = ctx.relation.incorporate(type=kind)
    sql = clean_sql(ctx.sql)
    in_place = caps.create_or_replace_view if kind == "view" else caps.create_or_replace_table
    contract = ctx.contract if kind == "table" else None
    # tables whose foreign keys reference this one, set aside while it is replaced (DuckDB)
    detach = getattr(adapter, "detach_referencing", None) if ctx.referenced and old is not None else None
    restore = detach(target.incorporate(type=old.type), _execute(ctx)) if detach and old is not None else None
    if old is None or in_place:
        # nothing to replace, or replaced in place: one statement under the relation's own name (atomic alone,
        # or in the caller's transaction), not built under a temporary name and renamed
        if old is not None and old.type != kind:
            ctx.execute(f"drop {ops.ddl_kind(old.type)} if exists {target.render()} cascade")
        for statement in ops.create_statements(adapter, ctx.node, kind, target, sql, replace=in_place,
                                               contract=contract):
            response, _ = ctx.execute(statement)
    else:
        response = ops.swap_in(adapter, _execute(ctx), ctx.node, target, old, kind, sql, contract)
    if restore is not None:
        restore()
    ops.after_build(adapter, _execute(ctx), ctx.node, target, kind, created=True, replaced=True)
    return response


def _single(ctx: BuildContext, old: Relation | None, kind: str) -> bool:
    """Whether the build is one statement (atomic by itself, no transaction needed)."""
    caps = ctx.adapter.capabilities
    in_place = caps.create_or_replace_view if kind == "view" else caps.create_or_replace_table
    extras = caps.grants and ctx.node.config.get("grants") or caps.indexes and ctx.node.config.get("indexes")
    return bool((old is None or in_place and old.type == kind) and not extras and ctx.contract is None
                and not ctx.referenced)


def _adapter_builder(ctx: BuildContext, kind: str) -> Callable[[BuildContext], NodeOutcome] | None:
    """The adapter's own builder for `kind`, for warehouses whose DDL differs too much to share (Spark)."""
    own = getattr(ctx.adapter, "materializations", None)
    return own.get(kind) if own else None


def materialize_view(ctx: BuildContext) -> NodeOutcome:
    if (own := _adapter_builder(ctx, "view")) is not None:
        return own(ctx)
    ensure_schema(ctx)
    ops.check_identifier(ctx.adapter, ctx.relation, ctx.node)
    old = existing(ctx)
    response = in_transaction(ctx, lambda: _build(ctx, old, "view"), single=_single(ctx, old, "view"))
    ctx.adapter.cache.add(ctx.relation.incorporate(type="view"))
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))


def materialize_table(ctx: BuildContext) -> NodeOutcome:
    if (own := _adapter_builder(ctx, "table")) is not None:
        return own(ctx)
    ensure_schema(ctx)
    ops.check_identifier(ctx.adapter, ctx.relation, ctx.node)
    old = existing(ctx)
    response = in_transaction(ctx, lambda: _build(ctx, old, "table"), single=_single(ctx, old, "table"))
    ctx.adapter.cache.add(ctx.relation.incorporate(type="table"))
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))


# ------------------------------------------------------------------------------------------ incremental
def _quote(ctx: BuildContext, name: str) -> str:
    return str(ctx.adapter.quote(name))


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
    if not ctx.adapter.capabilities.delete_insert_join:
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
    keys = unique_keys(ctx.node)
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
        by_name = ctx.adapter.capabilities.merge_insert_by_name
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
    ensure_schema(ctx)
    ops.check_identifier(ctx.adapter, ctx.relation, ctx.node)
    old = existing(ctx)
    if old is None or old.type != "table" or ctx.full_refresh:
        response = in_transaction(ctx, lambda: _build(ctx, old, "table"), single=_single(ctx, old, "table"))
        ctx.adapter.cache.add(ctx.relation.incorporate(type="table"))
        return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))
    strategy = strategy_of(ctx)
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

        in_transaction(ctx, body)
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

    in_transaction(ctx, body)
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", rows))


MATERIALIZATIONS: dict[str, Callable[[BuildContext], NodeOutcome]] = {
    "view": materialize_view,
    "table": materialize_table,
    "incremental": materialize_incremental,
    "materialized_view": lambda ctx: _materialized_view(ctx),
}


def _materialized_view(ctx: BuildContext) -> NodeOutcome:
    """Only an adapter that has materialized views builds one (PostgreSQL: adapters/postgres/)."""
    if (own := _adapter_builder(ctx, "materialized_view")) is not None:
        return own(ctx)
    raise CompileError(f"materialization 'materialized_view' is not available on {ctx.adapter.type}",
                       Span(ctx.node.original_file_path), "use table or view on this warehouse")
