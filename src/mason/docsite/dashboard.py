"""The dashboard's data, read once at generate time: from the run history in the warehouse (mason_monitoring,
docs/monitoring.md) when it is there, else from the last run's artifacts in target/ (run_results.json,
sources.json). Either way the result is plain JSON for the site, with times as ISO strings in UTC:

    from        "history", "artifacts" or "none"
    runs        [{id, at, cmd, status, secs, nodes, errors, warns, skips}]      oldest first
    tests       [{at, id, pass, warn, fail, error}]                            runs that ran tests
    durations   {at: [run times], series: [{id, n, v: [seconds or null per run]}]}   the slowest models
    anomalies   [{id, n, node, kind, points: [[bucket_start, value, min, max, series, anomaly]],
                  runs: [[at, status]]}]
    freshness   [{id, n, warn, error, points: [[at, age seconds, status]]}]

Besides it, the latest status and message of every test and node, and every node's timing
[last seconds, median seconds, runs] for the node pages.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

ANOMALY_TESTS = frozenset({"volume_anomalies", "freshness_anomalies", "column_anomalies", "dimension_anomalies",
                           "metric_anomalies"})
TOP_DURATIONS = 10
MAX_POINTS = 400  # anomaly points kept per test


class Quality:
    """What the dashboard and the node pages show about runs."""

    def __init__(self, source: str = "none") -> None:
        self.dash: dict[str, Any] = {"from": source, "runs": [], "tests": [], "durations": {"at": [], "series": []},
                                     "anomalies": [], "freshness": []}
        self.statuses: dict[str, tuple[str, str]] = {}
        self.timings: dict[str, list[float]] = {}


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value).replace(" ", "T")
    if len(text) >= 19:
        text = text[:19] + "Z"
    return text


def _num(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 4)
    except (TypeError, ValueError):
        return None


def _short(message: Any) -> str:
    text = str(message or "")
    return text if len(text) <= 300 else text[:297] + "..."


# ----------------------------------------------------------------------------------------------- history
def from_history(tables: Any, manifest: Any, runs: int = 30) -> Quality:
    """`tables` is a monitor.report.HistoryTables whose schema exists."""
    q = Quality("history")
    invocations = tables.rows(
        "select invocation_id, command, status, started_at, elapsed_seconds, node_count, error_count, "
        f"warn_count, skip_count\nfrom {tables.name('mason_invocations')}\norder by started_at desc\n"
        f"limit {int(runs)}")
    invocations.reverse()
    if not invocations:
        return q
    when = {r["invocation_id"]: iso(r["started_at"]) for r in invocations}
    order = {r["invocation_id"]: i for i, r in enumerate(invocations)}
    q.dash["runs"] = [{"id": r["invocation_id"], "at": when[r["invocation_id"]], "cmd": r["command"],
                       "status": r["status"], "secs": _num(r["elapsed_seconds"]), "nodes": r["node_count"],
                       "errors": r["error_count"], "warns": r["warn_count"], "skips": r["skip_count"]}
                      for r in invocations]
    ids = ", ".join(tables.text(str(r["invocation_id"])) for r in invocations)
    if tables.has("mason_node_results"):
        _node_history(q, tables, ids, order, when)
    if tables.has("mason_test_results"):
        _test_history(q, tables, ids, order, when)
    if tables.has("mason_source_freshness"):
        _freshness_history(q, tables, manifest, ids, order, when)
    return q


def _node_history(q: Quality, tables: Any, ids: str, order: dict[str, int], when: dict[str, str | None]) -> None:
    rows = tables.rows(
        "select unique_id, name, invocation_id, status, message, total_seconds\n"
        f"from {tables.name('mason_node_results')}\n"
        f"where resource_type in ('model', 'seed', 'snapshot') and invocation_id in ({ids})")
    rows.sort(key=lambda r: order.get(r["invocation_id"], -1))
    per_node: dict[str, list[tuple[int, float]]] = {}
    names: dict[str, str] = {}
    for r in rows:
        uid = r["unique_id"]
        q.statuses[uid] = (str(r["status"]), _short(r["message"]))
        names[uid] = str(r["name"])
        seconds = _num(r["total_seconds"])
        if seconds is not None and r["status"] == "success":
            per_node.setdefault(uid, []).append((order[r["invocation_id"]], seconds))
    medians = {}
    for uid, points in per_node.items():
        values = [v for _, v in points]
        medians[uid] = statistics.median(values)
        q.timings[uid] = [values[-1], round(medians[uid], 4), len(values)]
    top = sorted(medians, key=lambda u: -medians[u])[:TOP_DURATIONS]
    used = sorted({i for uid in top for i, _ in per_node[uid]})
    column = {run: k for k, run in enumerate(used)}
    by_order = {i: inv for inv, i in order.items()}
    series = []
    for uid in top:
        row: list[float | None] = [None] * len(used)
        for run, seconds in per_node[uid]:
            row[column[run]] = seconds
        series.append({"id": uid, "n": names[uid], "v": row})
    q.dash["durations"] = {"at": [when[by_order[i]] for i in used], "series": series}


def _test_history(q: Quality, tables: Any, ids: str, order: dict[str, int], when: dict[str, str | None]) -> None:
    rows = tables.rows(
        "select unique_id, name, test_type, attached_node, status, message, is_anomaly_test, failing_rows, "
        f"invocation_id\nfrom {tables.name('mason_test_results')}\nwhere invocation_id in ({ids})")
    rows.sort(key=lambda r: order.get(r["invocation_id"], -1))
    counts: dict[str, dict[str, Any]] = {}
    anomalies: dict[str, dict[str, Any]] = {}
    for r in rows:
        uid, status, inv = r["unique_id"], str(r["status"]), r["invocation_id"]
        q.statuses[uid] = (status, _short(r["message"]))
        bucket = counts.setdefault(inv, {"at": when[inv], "id": inv, "pass": 0, "warn": 0, "fail": 0, "error": 0})
        key = status if status in ("pass", "warn", "fail") else ("error" if status in ("error", "runtime error")
                                                                 else None)
        if key:
            bucket[key] += 1
        if r["is_anomaly_test"] in (True, 1, "true"):
            entry = anomalies.setdefault(uid, {"id": uid, "n": r["name"], "node": r["attached_node"],
                                               "kind": r["test_type"], "points": {}, "runs": []})
            entry["runs"].append([when[inv], status])
            for row in _rows(r["failing_rows"]):
                series = " · ".join(str(row[k]) for k in ("metric_name", "dimension_value") if row.get(k) is not None)
                point = [iso(row.get("bucket_start")), _num(row.get("value")), _num(row.get("expected_min")),
                         _num(row.get("expected_max")), series, row.get("anomaly") or ""]
                entry["points"][(point[0], series)] = point
    q.dash["tests"] = [counts[inv] for inv in sorted(counts, key=lambda i: order[i])]
    out = []
    for entry in anomalies.values():
        points = sorted(entry["points"].values(), key=lambda p: (p[4], p[0] or ""))
        entry["points"] = points[-MAX_POINTS:]
        out.append(entry)
    q.dash["anomalies"] = sorted(out, key=lambda e: e["id"])


def _rows(sample: Any) -> list[dict[str, Any]]:
    if not sample:
        return []
    try:
        rows = json.loads(sample) if isinstance(sample, str) else sample
    except ValueError:
        return []
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _freshness_history(q: Quality, tables: Any, manifest: Any, ids: str, order: dict[str, int],
                       when: dict[str, str | None]) -> None:
    rows = tables.rows(
        "select unique_id, source_name, table_name, status, age_seconds, warn_after_seconds, "
        f"error_after_seconds, error, invocation_id\nfrom {tables.name('mason_source_freshness')}\n"
        f"where invocation_id in ({ids})")
    rows.sort(key=lambda r: order.get(r["invocation_id"], -1))
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        uid = r["unique_id"]
        entry = found.setdefault(uid, {"id": uid, "n": f"{r['source_name']}.{r['table_name']}", "points": []})
        entry["warn"], entry["error"] = _num(r["warn_after_seconds"]), _num(r["error_after_seconds"])
        entry["points"].append([when[r["invocation_id"]], _num(r["age_seconds"]), str(r["status"])])
        q.statuses[uid] = (str(r["status"]), _short(r["error"]))
    q.dash["freshness"] = sorted(found.values(), key=lambda e: e["n"])


# --------------------------------------------------------------------------------------------- artifacts
def from_artifacts(target_dir: Path, manifest: Any) -> Quality:
    """The last command's results (run_results.json) and the last freshness check (sources.json)."""
    q = Quality("none")
    results = _load(target_dir / "run_results.json")
    if results:
        q.dash["from"] = "artifacts"
        meta = results.get("metadata") or {}
        at = iso(meta.get("generated_at"))
        rows = results.get("results") or []
        inv = str(meta.get("invocation_id") or "")
        args = results.get("args") or {}
        counts: dict[str, Any] = {"at": at, "id": inv, "pass": 0, "warn": 0, "fail": 0, "error": 0}
        durations = []
        errors = sum(1 for r in rows if r.get("status") in ("error", "runtime error"))
        q.dash["runs"] = [{"id": inv, "at": at, "cmd": args.get("which") or "", "status":
                           "error" if errors or any(r.get("status") == "fail" for r in rows) else "success",
                           "secs": _num(results.get("elapsed_time")), "nodes": len(rows), "errors": errors,
                           "warns": sum(1 for r in rows if r.get("status") == "warn"),
                           "skips": sum(1 for r in rows if r.get("status") == "skipped")}]
        for r in rows:
            uid, status = str(r.get("unique_id")), str(r.get("status"))
            q.statuses[uid] = (status, _short(r.get("message")))
            if uid.startswith(("test.", "unit_test.")):
                key = "error" if status == "runtime error" else status
                if key in counts:
                    counts[key] += 1
                node = manifest.nodes.get(uid)
                meta_t = getattr(node, "test_metadata", None)
                if meta_t is not None and meta_t.name in ANOMALY_TESTS:
                    q.dash["anomalies"].append({"id": uid, "n": node.name, "node": node.attached_node,
                                                "kind": meta_t.name, "points": [], "runs": [[at, status]]})
            elif uid.startswith(("model.", "seed.", "snapshot.")) and status == "success":
                seconds = _num(r.get("execution_time")) or 0.0
                q.timings[uid] = [seconds, seconds, 1]
                durations.append((seconds, uid))
        if any(counts[k] for k in ("pass", "warn", "fail", "error")):
            q.dash["tests"] = [counts]
        top = sorted(durations, reverse=True)[:TOP_DURATIONS]
        q.dash["durations"] = {"at": [at] if top else [], "series": [
            {"id": uid, "n": uid.rsplit(".", 1)[-1], "v": [seconds]} for seconds, uid in top]}
    sources = _load(target_dir / "sources.json")
    if sources:
        if q.dash["from"] == "none":
            q.dash["from"] = "artifacts"
        at = iso((sources.get("metadata") or {}).get("generated_at"))
        for r in sources.get("results") or []:
            uid = str(r.get("unique_id"))
            src = manifest.sources.get(uid)
            criteria = r.get("criteria") or {}
            q.dash["freshness"].append({
                "id": uid, "n": f"{src.source_name}.{src.name}" if src else uid,
                "warn": _period(criteria.get("warn_after")), "error": _period(criteria.get("error_after")),
                "points": [[at, _num(r.get("max_loaded_at_time_ago_in_s")), str(r.get("status"))]]})
            q.statuses.setdefault(uid, (str(r.get("status")), _short(r.get("error"))))
    return q


def _period(rule: Any) -> float | None:
    if not isinstance(rule, dict) or rule.get("count") is None or rule.get("period") is None:
        return None
    return float(rule["count"]) * {"minute": 60, "hour": 3600, "day": 86400}.get(str(rule["period"]), 86400)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
