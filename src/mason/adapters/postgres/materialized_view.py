"""The materialized_view materialization (PostgreSQL), as dbt-postgres runs it.

* no relation yet: create the materialized view (with its indexes and grants);
* a relation of another kind, or a full refresh: build a new one and swap it in (one transaction);
* an existing materialized view: compare its indexes with the `indexes` config. `on_configuration_change`
  decides what a difference does: `apply` (default) drops and creates indexes, `continue` leaves them and
  warns, `fail` stops the build. Then the view is refreshed.

Like dbt, a change to the model's SQL alone is not detected: it takes effect with `--full-refresh`.
"""

from __future__ import annotations

from typing import Any

from mason.adapters import relation_ops as ops
from mason.adapters.base import AdapterResponse
from mason.adapters.building import BuildContext, clean_sql, ensure_schema, existing, in_transaction
from mason.adapters.outcome import NodeOutcome
from mason.errors import CompileError, Span

_MODES = ("apply", "continue", "fail")


def _signature(index: dict[str, Any]) -> tuple[tuple[str, ...], bool, str]:
    return (tuple(c.strip().lower() for c in index["columns"]), bool(index["unique"]),
            str(index.get("type") or "btree").lower())


def materialize_materialized_view(ctx: BuildContext) -> NodeOutcome:
    adapter = ctx.adapter
    node = ctx.node
    if not adapter.capabilities.materialized_views:
        raise CompileError(f"materialization 'materialized_view' is not available on {adapter.type}",
                           Span(node.original_file_path), "use table or view on this warehouse")
    mode = str(node.config.get("on_configuration_change") or "apply").lower()
    if mode not in _MODES:
        raise CompileError(f"{node.unique_id}: unknown on_configuration_change {mode!r}",
                           Span(node.original_file_path), f"use one of {', '.join(_MODES)}")
    ensure_schema(ctx)
    ops.check_identifier(adapter, ctx.relation, node)
    old = existing(ctx)
    target = ctx.relation.incorporate(type="materialized_view")
    run = ctx.execute
    message = "OK"

    def create() -> AdapterResponse:
        if old is None:
            response, _ = run(ops.create_as(adapter, node, "materialized_view", target, clean_sql(ctx.sql)))
            adapter.cache.add(target)
        else:
            response = ops.swap_in(adapter, run, node, target, old, "materialized_view", clean_sql(ctx.sql))
        ops.after_build(adapter, run, node, target, "materialized_view", created=True, replaced=True)
        return response

    def refresh() -> AdapterResponse:
        nonlocal message
        wanted = {_signature(i): i for i in ops.index_configs(node)}
        current = {_signature(i): i for i in adapter.list_indexes(target)}
        if set(wanted) != set(current):
            if mode == "fail":
                raise CompileError(
                    f"{node.unique_id}: the indexes of materialized view {target.render()} differ from its "
                    "config and on_configuration_change is 'fail'", Span(node.original_file_path),
                    "run with --full-refresh, or set on_configuration_change: apply")
            if mode == "apply":
                for sig, index in current.items():
                    if sig not in wanted:
                        run(f"drop index if exists {adapter.quote(target.schema or '')}."
                            f"{adapter.quote(index['name'])}")
                import uuid

                salt = uuid.uuid4().hex
                for sig, index in wanted.items():
                    if sig not in current:
                        run(ops.create_index_sql(target, index, adapter.quote, salt))
            else:
                message = "OK (configuration changes not applied: on_configuration_change is 'continue')"
        response, _ = run(f"refresh materialized view {target.render()}")
        ops.apply_grants(adapter, run, node, target, replaced=False)
        return response

    rebuild = old is None or ctx.full_refresh or old.type != "materialized_view"
    response = in_transaction(ctx, create if rebuild else refresh)
    adapter.cache.add(target)
    return NodeOutcome("success", message, AdapterResponse("OK", "OK", response.rows_affected))
