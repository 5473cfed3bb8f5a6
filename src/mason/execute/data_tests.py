"""Data tests (generic and singular): count failing rows, compare with warn_if / error_if, store failures."""

from __future__ import annotations

from typing import Any

from mason.adapters.base import AdapterResponse
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation_ops import swap_in
from mason.errors import CompileError, Span
from mason.execute.materializations import clean_sql
from mason.nodes.nodes import Node


def _condition(value: Any, node: Node, key: str) -> str:
    text = str(value).strip()
    if not text or any(bad in text for bad in (";", "--")):
        raise CompileError(f"{node.unique_id}: invalid {key} {value!r}", Span(node.original_file_path),
                           "use a comparison such as '>10' or '!= 0'")
    return text


def test_query(node: Node, sql: str) -> str:
    config = node.config
    fail_calc = str(config.get("fail_calc") or "count(*)")
    warn_if = _condition(config.get("warn_if") or "!= 0", node, "warn_if")
    error_if = _condition(config.get("error_if") or "!= 0", node, "error_if")
    limit = config.get("limit")
    inner = clean_sql(sql)
    if limit is not None:
        inner = f"{inner}\nlimit {int(limit)}"
    return (
        f"select\n    {fail_calc} as failures,\n    {fail_calc} {warn_if} as should_warn,\n"
        f"    {fail_calc} {error_if} as should_error\nfrom (\n{inner}\n) dbt_internal_test"
    )


def should_store_failures(node: Node, flag: bool) -> bool:
    configured = node.config.get("store_failures")
    if configured is not None:
        return bool(configured)
    return flag or node.config.get("store_failures_as") in ("table", "view")


def _store_failures(adapter: Any, node: Node, sql: str, audit_relation: Any, record_sql: Any) -> None:
    """Replace the audit relation with the test's failing rows."""
    kind = "view" if node.config.get("store_failures_as") == "view" else "table"
    adapter.create_schema(audit_relation.database, audit_relation.schema or "")
    caps = adapter.capabilities
    if caps.create_or_replace_view if kind == "view" else caps.create_or_replace_table:
        stmt = f"create or replace {kind} {audit_relation.render()} as (\n{clean_sql(sql)}\n)"
        if record_sql:
            record_sql(stmt)
        adapter.execute(stmt)
        return

    def execute(stmt: str) -> Any:
        if record_sql:
            record_sql(stmt)
        return adapter.execute(stmt)

    target = audit_relation.incorporate(type=kind)
    adapter.begin()
    try:
        old = adapter.get_relation(target.database, target.schema or "", target.identifier or "")
        swap_in(adapter, execute, node, target, old, kind, clean_sql(sql))
        adapter.commit()
    except BaseException:
        adapter.rollback()
        adapter.cache.clear()
        raise


def run_test(adapter: Any, node: Node, sql: str, *, store_failures: bool, audit_relation: Any = None,
             record_sql: Any = None) -> NodeOutcome:
    if store_failures and audit_relation is not None:
        _store_failures(adapter, node, sql, audit_relation, record_sql)
        sql = f"select * from {audit_relation.render()}"
    query = test_query(node, sql)
    if record_sql:
        record_sql(query)
    _, table = adapter.execute(query, fetch=True)
    return verdict(node, table.rows[0] if table is not None and table.rows else None)


def verdict(node: Node, row: Any) -> NodeOutcome:
    """The test's outcome from the first row of its query (failures, should_warn, should_error), or None
    when it returned no row."""
    if row is None:
        failures, warn, error = 0, False, False
    else:
        failures = int(row[0] or 0)
        warn, error = bool(row[1]), bool(row[2])
    severity = str(node.config.get("severity") or "error").lower()
    response = AdapterResponse("OK", "OK", -1)
    if severity == "error" and error:
        cond = node.config.get("error_if") or "!= 0"
        return NodeOutcome("fail", f"Got {failures} result{'s' if failures != 1 else ''}, configured to fail if {cond}",
                           response, failures)
    if warn:
        cond = node.config.get("warn_if") or "!= 0"
        return NodeOutcome("warn", f"Got {failures} result{'s' if failures != 1 else ''}, configured to warn if {cond}",
                           response, failures)
    return NodeOutcome("pass", None, response, 0)  # dbt reports no failures on a pass, whatever the count
