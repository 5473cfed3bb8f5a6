"""Typed run events and the sinks that show them: console text lines, or dbt-style JSON log lines."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from mason.observe.masking import scrub, scrub_json


@dataclass(frozen=True, slots=True)
class NodeInfo:
    unique_id: str
    resource_type: str
    name: str
    materialized: str
    relation: str
    path: str
    index: int
    total: int

    def to_dict(self, status: str, started: str | None = None, finished: str | None = None) -> dict[str, Any]:
        return {
            "node_path": self.path, "node_name": self.name, "unique_id": self.unique_id,
            "resource_type": self.resource_type, "materialized": self.materialized, "node_status": status,
            "node_started_at": started or "", "node_finished_at": finished or "", "meta": {},
            "node_relation": {"relation_name": self.relation},
        }


@dataclass(frozen=True, slots=True)
class NodeFinished:
    info: NodeInfo
    status: str
    message: str | None
    elapsed: float
    failures: int | None = None
    compile_ms: float = 0.0
    execute_ms: float = 0.0
    rows_affected: int | None = None
    sql: tuple[str, ...] = field(default_factory=tuple)


class Sink(Protocol):
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
    def node_started(self, info: NodeInfo) -> None: ...
    def node_finished(self, event: NodeFinished) -> None: ...
    def debug(self, message: str) -> None: ...


def _now() -> str:
    return datetime.now().strftime("%H:%M:%S")


_DESCRIBE = {
    "view": "sql view model", "table": "sql table model", "incremental": "sql incremental model",
    "seed": "seed file", "snapshot": "snapshot", "test": "test", "unit": "unit test",
}


def describe(info: NodeInfo) -> str:
    if info.resource_type == "test":
        return f"test {info.name}"
    if info.resource_type == "unit_test":
        return f"unit_test {info.name}"
    if info.resource_type == "seed":
        return f"seed file {info.relation}"
    if info.resource_type == "snapshot":
        return f"snapshot {info.relation}"
    if info.resource_type == "operation":
        return f"hook: {info.name}"
    if info.resource_type == "source":
        return f"source contract {info.name}"
    return f"{_DESCRIBE.get(info.materialized, 'sql ' + info.materialized + ' model')} {info.relation}"


def _label(info: NodeInfo) -> str:
    """A test's name; a source contract's check says what it checked."""
    return describe(info) if info.resource_type == "source" else info.name


class ConsoleSink:
    """dbt-like lines: `3 of 28 OK created sql table model analytics.fct_orders .... [OK in 0.15s]`."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False, debug: bool = False,
                 width: int = 80, colors: bool | None = None, log_file: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.debug_on = debug
        self.width = width
        if colors is None:
            colors = self.stream.isatty() and os.environ.get("NO_COLOR") is None
        self.colors = colors
        self.log_file = log_file
        self._lock = threading.Lock()

    def _c(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colors else text

    def _emit(self, line: str, force: bool = False) -> None:
        line = scrub(line)
        with self._lock:
            if not self.quiet or force:
                print(f"{_now()}  {line}", file=self.stream, flush=True)
            if self.log_file is not None:
                print(f"{_now()}  {_strip_ansi(line)}", file=self.log_file, flush=True)

    def info(self, message: str) -> None:
        self._emit(message)

    def warn(self, message: str) -> None:
        self._emit(self._c(f"Warning: {message}", "33"))

    def error(self, message: str) -> None:
        self._emit(self._c(message, "31"), force=True)

    def debug(self, message: str) -> None:
        if self.debug_on:
            self._emit(message)
        elif self.log_file is not None:
            with self._lock:
                print(f"{_now()}  {scrub(message)}", file=self.log_file, flush=True)

    def _line(self, prefix: str, body: str, status: str) -> str:
        dots = max(3, self.width - len(prefix) - len(_strip_ansi(body)) - len(_strip_ansi(status)) - 2)
        return f"{prefix}{body} {'.' * dots} {status}"

    def node_started(self, info: NodeInfo) -> None:
        self._emit(self._line(f"{info.index} of {info.total} ", f"START {describe(info)}", "[RUN]"))

    def node_finished(self, event: NodeFinished) -> None:
        info = event.info
        secs = f"in {event.elapsed:.2f}s"
        status = event.status
        if status == "success":
            verb = {"seed": "loaded", "snapshot": "snapshotted"}.get(info.resource_type, "created")
            msg = event.message or "OK"
            body, tag = f"OK {verb} {describe(info)}", self._c(f"[{msg} {secs}]", "32")
        elif status == "pass":
            body, tag = f"PASS {_label(info)}", self._c(f"[PASS {secs}]", "32")
        elif status == "warn":
            body, tag = f"WARN {event.failures} {info.name}", self._c(f"[WARN {event.failures} {secs}]", "33")
        elif status == "fail":
            body, tag = f"FAIL {event.failures} {_label(info)}", self._c(f"[FAIL {event.failures} {secs}]", "31")
        elif status == "skipped":
            body, tag = f"SKIP relation {info.relation or info.name}", self._c("[SKIP]", "33")
        elif status == "no-op":
            body, tag = f"NO-OP {info.name}", "[NO-OP]"
        elif info.resource_type in ("test", "unit_test"):
            body, tag = f"ERROR {info.name}", self._c(f"[ERROR {secs}]", "31")
        else:
            body, tag = f"ERROR creating {describe(info)}", self._c(f"[ERROR {secs}]", "31")
        self._emit(self._line(f"{info.index} of {info.total} ", body, tag), force=status == "error")
        if self.debug_on:
            rows = "" if event.rows_affected in (None, -1) else f", rows affected {event.rows_affected}"
            self._emit(f"    timing {info.unique_id}: compile {event.compile_ms:.1f} ms, execute "
                       f"{event.execute_ms:.1f} ms{rows}")
            for sql in event.sql:
                self._emit("    sql: " + sql.replace("\n", "\n         "))


class JsonSink:
    """One JSON object per line with dbt's event names and node_info, for Dagster, Cosmos and friends."""

    def __init__(self, invocation_id: str, stream: TextIO | None = None, log_file: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.invocation_id = invocation_id
        self.log_file = log_file
        self._lock = threading.Lock()
        self._started: dict[str, str] = {}

    def _write(self, name: str, code: str, level: str, msg: str, data: dict[str, Any] | None = None) -> None:
        event = {
            "info": {"name": name, "code": code, "msg": msg, "level": level,
                     "invocation_id": self.invocation_id, "pid": os.getpid(),
                     "thread": threading.current_thread().name,
                     "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
            "data": data or {},
        }
        line = scrub_json(json.dumps(event, default=str))
        with self._lock:
            print(line, file=self.stream, flush=True)
            if self.log_file is not None:
                print(line, file=self.log_file, flush=True)

    def info(self, message: str) -> None:
        self._write("Note", "Z050", "info", message)

    def warn(self, message: str) -> None:
        self._write("Note", "Z050", "warn", message)

    def error(self, message: str) -> None:
        self._write("Note", "Z050", "error", message)

    def debug(self, message: str) -> None:
        self._write("Note", "Z050", "debug", message)

    def node_started(self, info: NodeInfo) -> None:
        started = datetime.now(UTC).isoformat()
        self._started[info.unique_id] = started
        self._write("NodeStart", "Q024", "debug", f"Began running node {info.unique_id}",
                    {"node_info": info.to_dict("started", started)})
        self._write("LogStartLine", "Q011", "info", f"{info.index} of {info.total} START {describe(info)}",
                    {"node_info": info.to_dict("started", started), "index": info.index, "total": info.total,
                     "description": describe(info)})

    def node_finished(self, event: NodeFinished) -> None:
        info = event.info
        finished = datetime.now(UTC).isoformat()
        started = self._started.get(info.unique_id, finished)
        node_info = info.to_dict(event.status, started, finished)
        self._write("NodeFinished", "Q025", "debug", f"Finished running node {info.unique_id}",
                    {"node_info": node_info, "run_result": {"status": event.status, "message": event.message,
                                                            "failures": event.failures,
                                                            "execution_time": event.elapsed}})
        name = "LogTestResult" if info.resource_type == "test" else "LogModelResult"
        self._write(name, "Q008" if name == "LogTestResult" else "Q012",
                    "error" if event.status in ("error", "fail") else "info",
                    f"{info.index} of {info.total} {event.status.upper()} {describe(info)}",
                    {"node_info": node_info, "status": event.status, "index": info.index, "total": info.total,
                     "execution_time": event.elapsed})


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\033\[[0-9;]*m", "", text)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
