"""The run history in the warehouse (docs/monitoring.md): four tables in the history schema, created once and
appended to in bulk at the end of every run-like command (one INSERT per table), with secrets masked.

    mason_invocations        one row per command
    mason_node_results       one row per node the command ran (models, seeds, snapshots, tests, hooks, ...)
    mason_test_results       one row per data or unit test, with a sample of its failing rows
    mason_source_freshness   one row per source `mason source freshness` checked
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mason.adapters.bulk import BulkColumn, bulk_sql
from mason.observe.masking import scrub

MESSAGE_LIMIT = 4000
ANOMALY_TESTS = frozenset({"volume_anomalies", "freshness_anomalies", "column_anomalies", "dimension_anomalies",
                           "metric_anomalies"})


def _cols(spec: str) -> tuple[BulkColumn, ...]:
    return tuple(BulkColumn(*item.split(":")) for item in spec.split())


TABLES: dict[str, tuple[BulkColumn, ...]] = {
    "mason_invocations": _cols(
        "invocation_id:text project_name:text command:text args:text target_name:text target_type:text "
        "mason_version:text git_sha:text git_branch:text started_at:timestamp finished_at:timestamp "
        "elapsed_seconds:double status:text exit_code:bigint node_count:bigint success_count:bigint "
        "error_count:bigint warn_count:bigint skip_count:bigint"),
    "mason_node_results": _cols(
        "invocation_id:text unique_id:text resource_type:text name:text package_name:text materialized:text "
        "relation_name:text status:text message:text thread_id:text started_at:timestamp completed_at:timestamp "
        "compile_seconds:double execute_seconds:double total_seconds:double rows_affected:bigint "
        "bytes_processed:bigint adapter_code:text failures:bigint"),
    "mason_test_results": _cols(
        "invocation_id:text unique_id:text name:text test_type:text test_namespace:text attached_node:text "
        "column_name:text severity:text status:text failures:bigint message:text is_anomaly_test:boolean "
        "failing_rows:text started_at:timestamp"),
    "mason_source_freshness": _cols(
        "invocation_id:text unique_id:text source_name:text table_name:text status:text max_loaded_at:timestamp "
        "snapshotted_at:timestamp age_seconds:double warn_after_seconds:double error_after_seconds:double "
        "error:text checked_at:timestamp"),
}


@dataclass
class RunRecord:
    """What one command did, as the history and the alerts read it."""

    invocation_id: str
    project_name: str
    command: str
    args: dict[str, Any]
    target_name: str
    target_type: str
    mason_version: str
    started_at: datetime
    finished_at: datetime
    exit_code: int
    git_sha: str | None = None
    git_branch: str | None = None
    results: Sequence[Any] = ()  # NodeResult
    freshness: Sequence[dict[str, Any]] = ()  # sources.json results
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # test id -> failing rows


def node_of(manifest: Any, uid: str) -> Any:
    return manifest.nodes.get(uid) or manifest.sources.get(uid) or manifest.unit_tests.get(uid)


def is_anomaly_test(node: Any) -> bool:
    meta = getattr(node, "test_metadata", None)
    return meta is not None and meta.name in ANOMALY_TESTS


def collect_samples(adapter: Any, manifest: Any, results: Sequence[Any], rows: int, tests: int,
                    threads: int = 4) -> dict[str, list[dict[str, Any]]]:
    """A few failing rows of each failing (or warning) data test, read again with the test's compiled SQL:
    one small query per test, for at most `tests` tests, `threads` at a time. A query that fails leaves its
    test without rows."""
    if rows <= 0:
        return {}
    failing = [r for r in results if r.status in ("fail", "warn") and r.compiled_code
               and r.unique_id.startswith("test.")][:tests]

    def sample(r: Any) -> list[dict[str, Any]] | None:
        sql = r.compiled_code.strip().rstrip(";").rstrip()
        order = " order by bucket_start" if is_anomaly_test(manifest.nodes.get(r.unique_id)) else ""
        try:
            _, table = adapter.execute(f"select * from (\n{sql}\n) mason_failing_rows{order}", fetch=True,
                                       limit=rows)
        except Exception:
            return None
        if table is None:
            return None
        return [{str(k): _plain(v) for k, v in zip(table.column_names, row)} for row in table.rows[:rows]]

    if len(failing) <= 1 or threads <= 1:
        found = [sample(r) for r in failing]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(threads, len(failing)), thread_name_prefix="mason-sample") as pool:
            found = list(pool.map(sample, failing))
    return {r.unique_id: rows_ for r, rows_ in zip(failing, found) if rows_ is not None}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return scrub(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return scrub(str(value))


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _message(text: Any) -> str | None:
    if text is None:
        return None
    text = scrub(str(text))
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "..."


def _phases(timing: Sequence[dict[str, Any]]) -> dict[str, tuple[datetime | None, datetime | None]]:
    return {str(t.get("name")): (_when(t.get("started_at")), _when(t.get("completed_at"))) for t in timing or ()}


def _seconds(span: tuple[datetime | None, datetime | None] | None) -> float | None:
    if not span or span[0] is None or span[1] is None:
        return None
    return max(0.0, (span[1] - span[0]).total_seconds())


def invocation_row(record: RunRecord) -> tuple[Any, ...]:
    statuses = [r.status for r in record.results]
    success = sum(s in ("success", "pass") for s in statuses)
    errors = sum(s in ("error", "fail", "partial success", "runtime error") for s in statuses)
    errors += sum(f.get("status") in ("error", "runtime error") for f in record.freshness)
    warns = sum(s == "warn" for s in statuses) + sum(f.get("status") == "warn" for f in record.freshness)
    return (record.invocation_id, record.project_name, record.command,
            scrub(json.dumps(record.args, default=str, sort_keys=True)), record.target_name, record.target_type,
            record.mason_version, record.git_sha, record.git_branch, _naive(record.started_at),
            _naive(record.finished_at), (record.finished_at - record.started_at).total_seconds(),
            "success" if record.exit_code == 0 else "error", record.exit_code,
            len(statuses) + len(record.freshness), success + sum(f.get("status") == "pass" for f in record.freshness),
            errors, warns, sum(s == "skipped" for s in statuses))


def node_rows(record: RunRecord, manifest: Any) -> list[tuple[Any, ...]]:
    out = []
    for r in record.results:
        node = node_of(manifest, r.unique_id)
        phases = _phases(r.timing)
        compile_span, execute_span = phases.get("compile"), phases.get("execute")
        response = r.adapter_response or {}
        rows = response.get("rows_affected")
        out.append((
            record.invocation_id, r.unique_id, getattr(node, "resource_type", r.unique_id.split(".", 1)[0]),
            getattr(node, "name", r.unique_id.rsplit(".", 1)[-1]), getattr(node, "package_name", None),
            (getattr(node, "config", None) or {}).get("materialized"), r.relation_name, r.status,
            _message(r.message), r.thread_id, compile_span[0] if compile_span else None,
            execute_span[1] if execute_span else None, _seconds(compile_span), _seconds(execute_span),
            r.execution_time, rows if isinstance(rows, int) and rows >= 0 else None,
            response.get("bytes_processed") if isinstance(response.get("bytes_processed"), int) else None,
            response.get("code"), r.failures))
    return out


def test_rows(record: RunRecord, manifest: Any) -> list[tuple[Any, ...]]:
    out = []
    for r in record.results:
        if not r.unique_id.startswith(("test.", "unit_test.")):
            continue
        node = node_of(manifest, r.unique_id)
        meta = getattr(node, "test_metadata", None)
        config = getattr(node, "config", None) or {}
        sample = record.samples.get(r.unique_id)
        started = (_phases(r.timing).get("compile") or (None, None))[0]
        out.append((
            record.invocation_id, r.unique_id, getattr(node, "name", r.unique_id.split(".")[2]),
            meta.name if meta else ("unit" if r.unique_id.startswith("unit_test.") else "singular"),
            meta.namespace if meta else None, getattr(node, "attached_node", None) or _tested(node),
            getattr(node, "column_name", None), str(config.get("severity") or "error").lower(), r.status,
            r.failures, _message(r.message), is_anomaly_test(node),
            scrub(json.dumps(sample, default=str)) if sample else None, started))
    return out


def _tested(node: Any) -> str | None:
    depends = list(getattr(node, "depends_on_nodes", None) or ())
    return str(depends[0]) if len(depends) == 1 else None


def freshness_rows(record: RunRecord, manifest: Any) -> list[tuple[Any, ...]]:
    out = []
    for f in record.freshness:
        src = manifest.sources.get(f.get("unique_id"))
        criteria = f.get("criteria") or {}
        error = f.get("error")
        started = (_phases(f.get("timing") or []).get("execute") or (None, None))[0]
        out.append((
            record.invocation_id, f.get("unique_id"), getattr(src, "source_name", None), getattr(src, "name", None),
            f.get("status"), None if error else _when(f.get("max_loaded_at")),
            _when(f.get("snapshotted_at")), None if error else f.get("max_loaded_at_time_ago_in_s"),
            _period_seconds(criteria.get("warn_after")), _period_seconds(criteria.get("error_after")),
            _message(error), started))
    return out


def _period_seconds(rule: Any) -> float | None:
    if not isinstance(rule, dict) or rule.get("count") is None or rule.get("period") is None:
        return None
    return float(rule["count"]) * {"minute": 60, "hour": 3600, "day": 86400}.get(str(rule["period"]), 86400)


def write_history(adapter: Any, database: str | None, schema: str, record: RunRecord, manifest: Any) -> int:
    """Append the run to the history tables (created when missing); the number of rows written."""
    tables = {
        "mason_invocations": [invocation_row(record)],
        "mason_node_results": node_rows(record, manifest),
        "mason_test_results": test_rows(record, manifest),
        "mason_source_freshness": freshness_rows(record, manifest),
    }
    bulk = bulk_sql(adapter)
    adapter.create_schema(database, schema)
    written = 0
    adapter.begin()
    try:
        for name, rows in tables.items():
            if not rows:
                continue
            relation = adapter.make_relation(database, schema, name, "table")
            if adapter.get_relation(database, schema, name) is None:
                bulk.create_table(relation, TABLES[name])
            written += bulk.insert(relation, TABLES[name], rows)
        adapter.commit()
    except BaseException:
        adapter.rollback()
        raise
    return written
