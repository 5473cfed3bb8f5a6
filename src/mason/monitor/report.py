"""Reading the run history back (`mason history`): recent runs, one node's timings over recent runs, and
flaky tests (tests whose status went from pass to fail or warn and back within the recent runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mason.adapters.bulk import bulk_sql

FAILED = frozenset({"fail", "warn", "error"})


@dataclass(frozen=True, slots=True)
class HistoryTables:
    adapter: Any
    database: str | None
    schema: str

    def name(self, table: str) -> str:
        return str(self.adapter.make_relation(self.database, self.schema, table, "table").render())

    def exists(self) -> bool:
        return self.adapter.get_relation(self.database, self.schema, "mason_invocations") is not None

    def has(self, table: str) -> bool:
        return self.adapter.get_relation(self.database, self.schema, table) is not None

    def rows(self, sql: str) -> list[dict[str, Any]]:
        _, table = self.adapter.execute(sql, fetch=True)
        if table is None:
            return []
        names = [str(n).lower() for n in table.column_names]
        return [dict(zip(names, row)) for row in table.rows]

    def text(self, value: str) -> str:
        return bulk_sql(self.adapter).literal("text", value)


def recent_runs(h: HistoryTables, limit: int) -> list[dict[str, Any]]:
    return h.rows(
        "select invocation_id, command, target_name, status, started_at, elapsed_seconds, node_count, "
        "success_count, error_count, warn_count, skip_count, git_sha, git_branch\n"
        f"from {h.name('mason_invocations')}\norder by started_at desc\nlimit {int(limit)}")


def node_trend(h: HistoryTables, name: str, limit: int) -> list[dict[str, Any]]:
    """The node's results, newest first: `name` is a node name (`fct_orders`) or a unique id."""
    value = h.text(name)
    return h.rows(
        "select n.unique_id, n.resource_type, n.status, n.compile_seconds, n.execute_seconds, n.total_seconds, "
        "n.rows_affected, n.failures, i.invocation_id, i.command, i.started_at\n"
        f"from {h.name('mason_node_results')} n\n"
        f"join {h.name('mason_invocations')} i on i.invocation_id = n.invocation_id\n"
        f"where n.name = {value} or n.unique_id = {value}\n"
        f"order by i.started_at desc\nlimit {int(limit)}")


def flaky_tests(h: HistoryTables, runs: int, min_flips: int) -> list[dict[str, Any]]:
    """Tests of the last `runs` runs that ran tests whose status changed between pass and fail/warn/error at
    least `min_flips` times, most flips first; each with its statuses, oldest first."""
    if not h.has("mason_test_results"):
        return []
    found = h.rows(
        "select t.unique_id, t.name, t.status, i.started_at\n"
        f"from {h.name('mason_test_results')} t\n"
        "join (\n"
        f"    select invocation_id, started_at from {h.name('mason_invocations')}\n"
        f"    where invocation_id in (select invocation_id from {h.name('mason_test_results')})\n"
        f"    order by started_at desc\n    limit {int(runs)}\n"
        ") i on i.invocation_id = t.invocation_id\n"
        "order by t.unique_id, i.started_at")
    return flips(found, min_flips)


def flips(rows: list[dict[str, Any]], min_flips: int) -> list[dict[str, Any]]:
    """From (unique_id, name, status, started_at) rows in time order: the tests that flipped often enough."""
    series: dict[str, dict[str, Any]] = {}
    for row in rows:
        status = str(row["status"])
        if status not in FAILED and status != "pass":
            continue  # skipped: says nothing about the test
        entry = series.setdefault(row["unique_id"], {"unique_id": row["unique_id"], "name": row["name"],
                                                     "statuses": [], "last_run": None})
        entry["statuses"].append(status)
        entry["last_run"] = row["started_at"]
    out = []
    for entry in series.values():
        outcome = ["pass" if s == "pass" else "fail" for s in entry["statuses"]]
        entry["flips"] = sum(1 for a, b in zip(outcome, outcome[1:]) if a != b)
        entry["failed_runs"] = sum(1 for s in outcome if s == "fail")
        entry["runs"] = len(outcome)
        if entry["flips"] >= min_flips:
            out.append(entry)
    return sorted(out, key=lambda e: (-e["flips"], e["unique_id"]))
