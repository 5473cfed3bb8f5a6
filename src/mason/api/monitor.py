"""Monitoring around the commands (docs/monitoring.md): after a run, its history into the warehouse and its
alerts out; `mason history` reads the history back. Nothing here may fail a run: problems are warnings."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from mason.errors import UsageError
from mason.observe import masking
from mason.observe.masking import scrub


def mask_alert_secrets(parsed: Any) -> None:
    """Register the alert destinations' URLs and headers as secrets, before anything could print them."""
    try:
        from mason.monitor.config import alert_settings

        loaded = parsed.loaded
        settings = alert_settings(loaded.project.alerts, loaded.target.credentials.get("alerts"), {}, lambda m: None)
        for dest in settings.destinations:
            masking.register(dest.secrets())
    except Exception:
        pass  # after_run reports configuration problems


def after_run(session: Any, parsed: Any, adapter: Any, command: str, args: dict[str, Any], results: Sequence[Any],
              exit_code: int, warn: Callable[[str], None], debug: Callable[[str], None],
              freshness: Sequence[dict[str, Any]] = ()) -> None:
    """Write the run's history and send its alerts; never raises."""
    try:
        _after_run(session, parsed, adapter, command, args, results, exit_code, warn, debug, freshness)
    except Exception as exc:  # a bug here must not cost the user their run
        warn(scrub(f"monitoring: {type(exc).__name__}: {exc}"))


def _after_run(session: Any, parsed: Any, adapter: Any, command: str, args: dict[str, Any],
               results: Sequence[Any], exit_code: int, warn: Callable[[str], None], debug: Callable[[str], None],
               freshness: Sequence[dict[str, Any]]) -> None:
    from mason import __version__
    from mason.monitor.config import alert_settings, history_settings
    from mason.monitor.gitinfo import git_head
    from mason.monitor.history import RunRecord, collect_samples, write_history

    loaded = parsed.loaded
    history = history_settings(loaded.project.monitoring, session.env, warn)
    alerting = alert_settings(loaded.project.alerts, loaded.target.credentials.get("alerts"), session.env, warn)
    for dest in alerting.destinations:
        masking.register(dest.secrets())
    if not history.enabled and not alerting.destinations:
        return
    t0 = time.perf_counter()
    sha, branch = git_head(loaded.project.root)
    record = RunRecord(
        invocation_id=session.invocation_id, project_name=loaded.project.name, command=command, args=args,
        target_name=loaded.target.target_name, target_type=loaded.target.type, mason_version=__version__,
        started_at=session.started_at, finished_at=datetime.now(UTC), exit_code=exit_code, git_sha=sha,
        git_branch=branch, results=list(results), freshness=list(freshness))
    rows = max(history.failing_rows if history.enabled else 0, alerting.include_rows if alerting.destinations else 0)
    threads = int(session.flags.threads or loaded.target.threads or 1)
    record.samples = collect_samples(adapter, parsed.manifest, record.results, rows, history.sampled_tests, threads)
    if history.enabled:
        database = history.database or getattr(adapter, "database", None)
        try:
            written = write_history(adapter, database, history.schema, record, parsed.manifest)
            debug(f"history: {written} rows into {history.schema} in {(time.perf_counter() - t0) * 1000:.0f} ms")
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            warn(scrub(f"could not write the run history to schema {history.schema}: {message.splitlines()[0]}"))
    if alerting.destinations:
        _alert(session, parsed, record, alerting, warn, debug)


def _alert(session: Any, parsed: Any, record: Any, settings: Any, warn: Callable[[str], None],
           debug: Callable[[str], None]) -> None:
    from mason.monitor.alerts import Suppression, alerts_of, route
    from mason.monitor.deliver import deliver

    alerts = alerts_of(record, parsed.manifest, settings.include_rows)
    if not alerts:
        return
    messages = route(alerts, settings)
    if not messages:
        return
    t0 = time.perf_counter()
    suppression = Suppression(parsed.loaded.target_dir, settings.suppress_minutes)
    sent = deliver(messages, settings, record, suppression, parsed.loaded.project.root, warn, debug)
    debug(f"alerts: {sent} of {len(messages)} message{'s' if len(messages) != 1 else ''} sent in "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")


# ------------------------------------------------------------------------------------------------ mason history
def history(session: Any, opts: dict[str, Any], echo: Callable[[str], None] = print) -> int:
    """`mason history`: recent runs (and flaky tests), `-s NODE` one node's timings, `--flaky` flaky tests."""
    from mason.adapters.factory import open_adapter
    from mason.monitor.config import history_settings
    from mason.monitor.report import HistoryTables, flaky_tests, node_trend, recent_runs
    from mason.project.loader import load

    loaded = load(session)
    masking.register(loaded.target.secrets)
    settings = history_settings(loaded.project.monitoring, {}, lambda m: None)
    limit = int(opts.get("limit") or 10)
    as_json = opts.get("output") == "json"
    adapter = open_adapter(loaded.target, session, loaded.project.quoting)
    try:
        tables = HistoryTables(adapter, settings.database or getattr(adapter, "database", None), settings.schema)
        if not tables.exists():
            raise UsageError(f"no run history in schema {settings.schema} of target {loaded.target.target_name!r}",
                             hint="run a command (mason build) with the history on (docs/monitoring.md)")
        data: dict[str, Any] = {}
        node = opts.get("select")
        if node:
            data["node"] = node
            data["trend"] = node_trend(tables, node, limit)
        elif opts.get("flaky"):
            data["flaky_tests"] = flaky_tests(tables, int(opts.get("runs") or 20), int(opts.get("min_flips") or 2))
        else:
            data["runs"] = recent_runs(tables, limit)
            data["flaky_tests"] = flaky_tests(tables, int(opts.get("runs") or 20), int(opts.get("min_flips") or 2))
    finally:
        adapter.close()
    if as_json:
        echo(scrub(json.dumps(data, indent=2, default=_json)))
    elif "trend" in data:
        echo(scrub(_trend_text(str(node), data["trend"])))
    else:
        if "runs" in data:
            echo(scrub(_runs_text(data["runs"])))
        echo(scrub(_flaky_text(data["flaky_tests"], int(opts.get("runs") or 20))))
    return 0


def _json(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value or "")


def _secs(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}s"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    return "\n".join(lines)


def _runs_text(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "No runs recorded yet."
    rows = [[_when(r["started_at"]), str(r["command"]), str(r["target_name"] or ""), str(r["status"]),
             _secs(r["elapsed_seconds"]), str(r["node_count"]), str(r["error_count"]), str(r["warn_count"]),
             str(r["skip_count"]), (r["git_sha"] or "")[:10], str(r["invocation_id"])[:8]] for r in runs]
    return "Recent runs (newest first):\n" + _table(
        ["started (UTC)", "command", "target", "status", "elapsed", "nodes", "errors", "warns", "skipped", "git",
         "invocation"], rows)


def _trend_text(name: str, trend: list[dict[str, Any]]) -> str:
    if not trend:
        return f"No recorded results for {name!r} (a node name or unique id)."
    ids = sorted({str(t["unique_id"]) for t in trend})
    totals = [float(t["total_seconds"]) for t in trend if t["total_seconds"] is not None]
    top = max(totals, default=0.0) or 1.0
    rows = []
    for t in trend:
        total = t["total_seconds"]
        bar = "#" * max(1, round(20 * float(total) / top)) if total else ""
        rows.append([_when(t["started_at"]), str(t["command"]), str(t["status"]), _secs(t["compile_seconds"]),
                     _secs(t["execute_seconds"]), _secs(total),
                     "" if t["rows_affected"] is None else str(t["rows_affected"]), bar])
    text = f"{', '.join(ids)}: last {len(trend)} run{'s' if len(trend) != 1 else ''} (newest first)\n"
    text += _table(["started (UTC)", "command", "status", "compile", "execute", "total", "rows", ""], rows)
    if len(totals) >= 2:
        median = statistics.median(totals)
        change = (totals[0] - median) / median * 100 if median else 0.0
        text += (f"\nmedian {median:.2f}s, min {min(totals):.2f}s, max {max(totals):.2f}s; "
                 f"latest {totals[0]:.2f}s ({change:+.0f}% against the median)")
    return text


def _flaky_text(flaky: list[dict[str, Any]], runs: int) -> str:
    if not flaky:
        return f"\nNo flaky tests in the last {runs} runs with tests."
    rows = [[str(f["name"]), str(f["flips"]), f"{f['failed_runs']}/{f['runs']}",
             " ".join("P" if s == "pass" else s[0].upper() for s in f["statuses"])] for f in flaky]
    return (f"\nFlaky tests (status flipped between pass and fail in the last {runs} runs with tests; "
            "oldest result first):\n" + _table(["test", "flips", "failed", "history"], rows))
