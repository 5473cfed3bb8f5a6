"""Data tests answered together: one statement for several tests, its rows split per test.

Each test's own query (data_tests.test_query: failures, should_warn, should_error) becomes a branch of a
UNION ALL tagged with the test's position; the warehouse plans and runs the batch in one round trip and
every test then gets its verdict from its own row, exactly as if it had run alone (same statuses, failure
counts, messages, compiled SQL and target/run files: each test still records its own query). Only tests
whose query yields one row are batched (the default `fail_calc`, an aggregate), never a test that stores
its failures (it builds a relation first) and never with --fail-fast (dbt stops at the first failure). If
the batch statement fails, nothing is kept and every test runs alone, reporting its own error.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from mason.execute import data_tests
from mason.nodes.nodes import Node

BATCH_SIZE = 10  # tests per statement: larger batches plan slower on DuckDB (measured: 10-20 is best)


def batchable(runner: Any, node: Any) -> bool:
    """Whether `node` is a data test that may share a statement with others."""
    if not isinstance(node, Node) or node.resource_type != "test" or runner.session.flags.fail_fast:
        return False
    if not getattr(runner.adapter.capabilities, "batch_tests", False):
        return False
    calc = node.config.get("fail_calc")
    if calc is not None and str(calc).strip().lower() != "count(*)":
        return False  # a custom fail_calc may yield several rows: the first one counts, in the warehouse's order
    return not data_tests.should_store_failures(node, runner.session.flags.store_failures)


def batch_query(queries: list[str]) -> str:
    return "\nunion all\n".join(
        f"select {i} as mason_test_index, * from (\n{query}\n) as mason_test_{i}" for i, query in enumerate(queries))


class Answer(NamedTuple):
    """A test's share of a batch statement: its compiled node, its row (None: no row), its own query, the
    seconds spent compiling it and its share of the statement's seconds."""

    compiled: Any
    row: Any
    query: str
    compile_s: float
    execute_s: float


def prefetch(runner: Any, uids: list[str]) -> dict[str, Answer]:
    """Run the tests `uids` as one statement: uid -> its Answer. Empty when fewer than two tests compile
    or the statement fails (each test then runs alone and reports its own error)."""
    entries: list[tuple[str, Any, str, float]] = []
    for uid in uids:
        node = runner.manifest.nodes[uid]
        t0 = time.perf_counter()
        try:
            compiled = runner.compiler.compile_node(node)
            query = data_tests.test_query(node, compiled.compiled_code)
        except Exception:  # reported when the test runs alone
            continue
        entries.append((uid, compiled, query, time.perf_counter() - t0))
    if len(entries) < 2:
        return {}
    runner._set_query_comment(runner.manifest.nodes[entries[0][0]])
    t0 = time.perf_counter()
    try:
        _, table = runner.adapter.execute(batch_query([q for _, _, q, _ in entries]), fetch=True)
    except Exception:
        return {}
    share = (time.perf_counter() - t0) / len(entries)
    rows: dict[int, Any] = {}
    for row in table.rows if table is not None else ():
        rows.setdefault(int(row[0]), tuple(row[1:]))
    return {uid: Answer(compiled, rows.get(i), query, compile_s, share)
            for i, (uid, compiled, query, compile_s) in enumerate(entries)}
