"""dbt's structured log events, as `--log-format json` writes them: one JSON object per line,

    {"data": {...}, "info": {"category": "", "code": "Q012", "extra": {}, "invocation_id": ..., "level": "info",
                             "msg": ..., "name": "LogModelResult", "pid": ..., "thread": ..., "ts": ...}}

with dbt's event names and codes, and in `data` the fields dbt-core 1.11 gives them (node events carry
`node_info`: unique_id, node_status, node_started_at, node_finished_at, resource_type, materialized,
node_relation{database, schema, alias, relation_name}, ...). Dagster (dagster-dbt), Cosmos and other
orchestrators read these lines; tests/unit/test_dbt_events.py holds the shapes recorded from dbt-core 1.11.

Events only Mason has (a source contract's check) carry codes starting with Y, a letter dbt does not use.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from mason.observe.events import (
    LEVELS,
    NodeFinished,
    NodeInfo,
    describe,
    result_line,
    start_line,
)
from mason.observe.masking import scrub_json

CODES: dict[str, str] = {
    "MainReportVersion": "A001", "MainReportArgs": "A002", "MainEncounteredError": "Z002",
    "AdapterRegistered": "E034", "FoundStats": "W006", "Formatting": "Z017", "ConcurrencyLine": "Q027",
    "NothingToDo": "Q035", "NodeStart": "Q024", "NodeFinished": "Q025", "LogStartLine": "Q011",
    "LogModelResult": "Q012", "LogTestResult": "Q007", "LogSeedResult": "Q016", "LogSnapshotResult": "Q015",
    "LogNodeNoOpResult": "Q019", "SkippingDetails": "Q034", "LogHookStartLine": "Q032", "LogHookEndLine": "Q033",
    "FinishedRunningStats": "E047", "EndOfRunSummary": "Z030", "RunResultWarning": "Z021",
    "RunResultFailure": "Z022", "RunResultError": "Z024", "RunResultWarningMessage": "Z046",
    "SQLCompiledPath": "Z026", "StatsLine": "Z023", "CommandCompleted": "Q039", "JinjaLogInfo": "I062",
    "JinjaLogDebug": "I063", "PrintEvent": "Z052", "Note": "Z050", "ArtifactWritten": "P001",
    "SourceCheckResult": "Y001",
}

# the node's resource type -> the event dbt reports its result with
_RESULT_EVENTS = {"model": "LogModelResult", "seed": "LogSeedResult", "snapshot": "LogSnapshotResult",
                  "test": "LogTestResult", "unit_test": "LogTestResult", "source": "SourceCheckResult"}

_LOCK = threading.Lock()  # one lock for every JSON writer of the process: lines never interleave


def now_ts() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def node_time() -> str:
    """node_started_at / node_finished_at: UTC without the zone suffix, as dbt writes them."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def event_line(name: str, level: str, msg: str, data: Mapping[str, Any] | None, invocation_id: str) -> str:
    """One event as a JSON line (keys sorted, as dbt writes them), secrets masked."""
    event = {
        "data": dict(data or {}),
        "info": {"category": "", "code": CODES.get(name, "Z050"), "extra": {}, "invocation_id": invocation_id,
                 "level": level, "msg": msg, "name": name, "pid": os.getpid(),
                 "thread": threading.current_thread().name, "ts": now_ts()},
    }
    return scrub_json(json.dumps(event, default=str, sort_keys=True))


def write_line(stream: TextIO, line: str) -> None:
    with _LOCK:
        stream.write(line + "\n")
        stream.flush()


def node_info(info: NodeInfo, status: str, started: str = "", finished: str = "") -> dict[str, Any]:
    return {
        "materialized": info.materialized, "meta": dict(info.meta), "node_checksum": info.checksum,
        "node_finished_at": finished, "node_name": info.name, "node_path": info.node_path,
        "node_relation": {"alias": info.alias, "database": info.database, "relation_name": info.relation_name,
                          "schema": info.schema},
        "node_started_at": started, "node_status": status, "resource_type": info.resource_type,
        "unique_id": info.unique_id,
    }


class JsonSink:
    """dbt-style JSON events on one stream (stdout, or logs/dbt.log), from `level` up."""

    def __init__(self, invocation_id: str, stream: TextIO, level: str = "info", width: int = 80) -> None:
        self.stream = stream
        self.invocation_id = invocation_id
        self.threshold = LEVELS.get(level, LEVELS["info"])
        self.width = width
        self._started: dict[str, str] = {}

    def wants(self, level: str) -> bool:
        return LEVELS[level] >= self.threshold

    def event(self, name: str, level: str, msg: str, data: Mapping[str, Any] | None = None,
              text_level: str | None = None) -> None:
        if self.wants(level):
            write_line(self.stream, event_line(name, level, msg, data, self.invocation_id))

    def info(self, message: str) -> None:
        if message == "":
            self.event("Formatting", "info", "", {"msg": ""})
        else:
            self.event("Note", "info", message, {"msg": message})

    def warn(self, message: str) -> None:
        self.event("Note", "warn", message, {"msg": message})

    def error(self, message: str) -> None:
        self.event("Note", "error", message, {"msg": message})

    def debug(self, message: str) -> None:
        self.event("Note", "debug", message, {"msg": message})

    def jinja_log(self, message: str, info: bool) -> None:
        self.event("JinjaLogInfo" if info else "JinjaLogDebug", "info" if info else "debug", message,
                   {"msg": message})

    def node_started(self, info: NodeInfo) -> None:
        started = node_time()
        self._started[info.unique_id] = started
        ni = node_info(info, "started", started)
        if info.resource_type == "operation":  # hooks: their own lines, no NodeStart / NodeFinished (as dbt)
            self.event("LogHookStartLine", "info", start_line(info, self.width),
                       {"index": info.index, "node_info": ni, "statement": info.label or info.name,
                        "total": info.total})
        else:
            self.event("NodeStart", "debug", f"Began running node {info.unique_id}", {"node_info": ni})
            self.event("LogStartLine", "info", start_line(info, self.width),
                       {"description": describe(info), "index": info.index, "node_info": ni, "total": info.total})

    def node_finished(self, event: NodeFinished) -> None:
        info = event.info
        finished = node_time()
        started = self._started.pop(info.unique_id, "")
        if info.resource_type == "operation":
            self._result(event, node_info(info, event.status, started, finished))
            return
        if not started:  # skipped or nothing to run (no-op): dbt still reports a start
            started = finished
            self.event("NodeStart", "debug", f"Began running node {info.unique_id}",
                       {"node_info": node_info(info, "started", started)})
        ni = node_info(info, event.status, started, finished)
        self._result(event, ni)
        run_result = {
            "adapter_response": dict(event.adapter_response), "execution_time": event.elapsed,
            "message": event.message or "", "num_failures": event.failures or 0, "status": event.status,
            "thread": event.thread or threading.current_thread().name, "timing_info": list(event.timing),
        }
        self.event("NodeFinished", "debug", f"Finished running node {info.unique_id}",
                   {"node_info": ni, "run_result": run_result})

    def _result(self, event: NodeFinished, ni: dict[str, Any]) -> None:
        info, status = event.info, event.status
        msg = result_line(event, self.width)
        common: dict[str, Any] = {"execution_time": event.elapsed, "index": info.index, "node_info": ni,
                                  "total": info.total}
        if status == "skipped":
            self.event("SkippingDetails", "info", msg,
                       {"index": info.index, "node_info": ni, "node_name": info.name,
                        "resource_type": info.resource_type, "schema": info.schema, "total": info.total})
            return
        if info.resource_type == "operation":
            self.event("LogHookEndLine", "error" if status == "error" else "info", msg,
                       {**common, "statement": info.label or info.name, "status": status})
            return
        if status == "no-op" and info.resource_type not in ("model", "seed", "snapshot"):
            self.event("LogNodeNoOpResult", "info", msg, {**common, "description": describe(info), "status": ""})
            return
        name = _RESULT_EVENTS.get(info.resource_type, "LogModelResult")
        failed = status in ("error", "fail")
        level = "error" if failed else "warn" if status == "warn" else "info"
        group = {"group": dict(info.group)} if info.group else {}
        if name in ("LogTestResult", "SourceCheckResult"):
            data = {**{k: v for k, v in common.items() if k != "total"}, **group, "attached_node": info.attached_node,
                    "name": info.label or info.name, "num_failures": event.failures or 0, "num_models": info.total,
                    "status": status}
        elif name == "LogSeedResult":
            data = {**common, "relation": info.alias, "result_message": event.message or "",
                    "schema": info.schema, "status": status}
        elif name == "LogSnapshotResult":
            data = {**common, "cfg": {k: str(v) for k, v in info.config.items() if v is not None},
                    "description": f"{info.schema}.{info.alias}", "result_message": event.message or "",
                    "status": status}
        else:  # dbt's LogModelResult status is the adapter's message (OK, SELECT 3, ...) or error
            data = {**common, **group, "description": describe(info),
                    "status": "error" if failed else (event.message or status)}
        self.event(name, level, msg, data)
