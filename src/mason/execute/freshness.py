"""`source freshness`: max(loaded_at_field) per source table against warn_after / error_after → sources.json."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from mason.nodes.nodes import SourceDefinition

SCHEMA = "https://schemas.getdbt.com/dbt/sources/v3.json"
_PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


def _seconds(rule: dict[str, Any] | None) -> float | None:
    if not rule or rule.get("count") is None or rule.get("period") is None:
        return None
    return float(rule["count"]) * _PERIODS.get(str(rule["period"]), 86400)


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if hasattr(value, "year"):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def check_source(adapter: Any, src: SourceDefinition, relation: str) -> dict[str, Any]:
    freshness = src.freshness or {}
    criteria = {"warn_after": freshness.get("warn_after") or {"count": None, "period": None},
                "error_after": freshness.get("error_after") or {"count": None, "period": None},
                "filter": freshness.get("filter")}
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    if src.loaded_at_query:
        sql = f"select ({src.loaded_at_query}) as max_loaded_at, current_timestamp as snapshotted_at"
    else:
        where = f" where {freshness['filter']}" if freshness.get("filter") else ""
        sql = f"select max({src.loaded_at_field}) as max_loaded_at, current_timestamp as snapshotted_at from {relation}{where}"
    _, table = adapter.execute(sql, fetch=True)
    row = table.rows[0] if table and table.rows else (None, None)
    max_loaded = _as_utc(row[0])
    snapshotted = datetime.now(UTC)
    age = (snapshotted - max_loaded).total_seconds() if max_loaded else float("inf")
    error_s, warn_s = _seconds(criteria["error_after"]), _seconds(criteria["warn_after"])
    if error_s is not None and age > error_s:
        status = "error"
    elif warn_s is not None and age > warn_s:
        status = "warn"
    else:
        status = "pass"
    done = datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return {
        "unique_id": src.unique_id,
        "max_loaded_at": (max_loaded or datetime(1970, 1, 1, tzinfo=UTC)).strftime(fmt),
        "snapshotted_at": snapshotted.strftime(fmt),
        "max_loaded_at_time_ago_in_s": age if age != float("inf") else 0.0,
        "status": status,
        "criteria": criteria,
        "adapter_response": {"_message": "OK", "code": "OK", "rows_affected": 1},
        "timing": [{"name": "compile", "started_at": started.strftime(fmt), "completed_at": started.strftime(fmt)},
                   {"name": "execute", "started_at": started.strftime(fmt), "completed_at": done.strftime(fmt)}],
        "thread_id": threading.current_thread().name,
        "execution_time": time.perf_counter() - t0,
    }
