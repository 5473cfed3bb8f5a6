"""The building blocks every warehouse's materializations share: the build context, atomic execution,
the existing relation, unique keys and the incremental strategy, schema comparison. The engine's
materializations (execute/materializations.py) and an adapter's own (adapters/spark/materialize.py) both
build from these."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mason.adapters.base import AdapterResponse
from mason.adapters.relation import Relation
from mason.errors import CompileError, Span
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
    contract: Any = None  # an enforced contract (adapters/contracts.Contract) for table builds, checked already
    referenced: bool = False  # another model's foreign key points at this one

    def execute(self, sql: str, fetch: bool = False) -> tuple[AdapterResponse, Any]:
        self.record_sql(sql)
        return self.adapter.execute(sql, fetch=fetch)


def ensure_schema(ctx: BuildContext) -> None:
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


def has_hooks(ctx: BuildContext) -> bool:
    return bool(ctx.node.config.get("pre-hook") or ctx.node.config.get("post-hook"))


def in_transaction(ctx: BuildContext, body: Callable[[], AdapterResponse], single: bool = False) -> AdapterResponse:
    """Run `body` atomically. One DDL statement is atomic by itself, so it skips BEGIN/COMMIT (two round
    trips and a commit per model) unless hooks must share its transaction."""
    adapter = ctx.adapter
    if single and not has_hooks(ctx) and adapter.capabilities.transactional_ddl:
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


def existing(ctx: BuildContext) -> Relation | None:
    """The relation as it is now. Adapters whose rebuilds drop dependent views (PostgreSQL's `drop ... cascade`
    of a replaced table) look it up afresh: the cache may still list a view dropped that way."""
    adapter = ctx.adapter
    lookup = getattr(adapter, "lookup_relation", None)
    if lookup is not None:
        return lookup(ctx.relation)  # type: ignore[no-any-return]
    rel = ctx.relation
    return adapter.get_relation(rel.database, rel.schema or "", rel.identifier or "")


def unique_keys(node: Node) -> list[str]:
    key = node.config.get("unique_key")
    if key is None or key == "":
        return []
    if isinstance(key, str):
        return [key]
    return [str(k) for k in key]


def strategy_of(ctx: BuildContext) -> str:
    configured = ctx.node.config.get("incremental_strategy")
    caps = ctx.adapter.capabilities
    if configured is None:
        return caps.default_incremental_strategy if unique_keys(ctx.node) else "append"
    strategy = str(configured)
    if strategy not in caps.incremental_strategies:
        raise CompileError(
            f"incremental_strategy {strategy!r} is not supported on {ctx.adapter.type}",
            Span(ctx.node.original_file_path),
            f"use one of: {', '.join(caps.incremental_strategies)}",
        )
    return strategy


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
