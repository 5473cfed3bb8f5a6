"""Typed run events and the sinks that show them: console text lines here, dbt-style JSON log lines in
mason.observe.dbt_json; `Tee` sends each event to the console's sink and logs/dbt.log's."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TextIO

from mason.observe.masking import scrub

# dbt's log levels; `none` shows nothing
LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40, "none": 100}


@dataclass(frozen=True, slots=True)
class NodeInfo:
    unique_id: str
    resource_type: str
    name: str
    materialized: str
    relation: str
    path: str  # original_file_path
    index: int
    total: int
    node_path: str = ""  # relative to its resource folder, as dbt's node_info has it
    database: str = ""
    schema: str = ""
    alias: str = ""
    relation_name: str = ""  # quoted, as in the manifest; "" for tests, hooks and ephemeral models
    meta: Mapping[str, Any] = field(default_factory=dict)
    checksum: str = ""
    group: Mapping[str, Any] | None = None  # {name, owner, package_name} of the node's group
    attached_node: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""  # how lines name it, when not by name (a hook: shop.on-run-start.0)


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
    adapter_response: Mapping[str, Any] = field(default_factory=dict)
    thread: str = ""
    timing: tuple[Mapping[str, Any], ...] = ()


class Sink(Protocol):
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
    def node_started(self, info: NodeInfo) -> None: ...
    def node_finished(self, event: NodeFinished) -> None: ...
    def debug(self, message: str) -> None: ...
    def event(self, name: str, level: str, msg: str, data: Mapping[str, Any] | None = None,
              text_level: str | None = None) -> None: ...
    def jinja_log(self, message: str, info: bool) -> None: ...


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
        return f"unit_test {info.label or info.name}"
    if info.resource_type == "seed":
        return f"seed file {info.relation}"
    if info.resource_type == "snapshot":
        return f"snapshot {info.relation}"
    if info.resource_type == "operation":
        return f"hook: {info.label or info.name}"
    if info.resource_type == "source":
        return f"source contract {info.name}"
    if info.resource_type in ("exposure", "saved_query"):
        return f"{info.resource_type.replace('_', ' ')} {info.name}"
    return f"{_DESCRIBE.get(info.materialized, 'sql ' + info.materialized + ' model')} {info.relation}"


def _label(info: NodeInfo) -> str:
    """A test's name; a source contract's check says what it checked."""
    return describe(info) if info.resource_type == "source" else info.name


def _dots(prefix: str, body: str, status: str, width: int) -> str:
    dots = max(3, width - len(prefix) - len(_strip_ansi(body)) - len(_strip_ansi(status)) - 2)
    return f"{prefix}{body} {'.' * dots} {status}"


def start_line(info: NodeInfo, width: int = 80) -> str:
    """`3 of 28 START sql table model analytics.fct_orders ..... [RUN]`."""
    return _dots(f"{info.index} of {info.total} ", f"START {describe(info)}", "[RUN]", width)


def result_parts(event: NodeFinished) -> tuple[str, str, str | None]:
    """(body, status tag, ANSI color) of a node's result line."""
    info = event.info
    secs = f"in {event.elapsed:.2f}s"
    status = event.status
    if info.resource_type == "operation":
        ok = status == "success"
        return f"{'OK' if ok else 'ERROR'} {describe(info)}", f"[{'OK' if ok else 'ERROR'} {secs}]", \
            "32" if ok else "31"
    if status == "success":
        verb = {"seed": "loaded", "snapshot": "snapshotted"}.get(info.resource_type, "created")
        return f"OK {verb} {describe(info)}", f"[{event.message or 'OK'} {secs}]", "32"
    if status == "pass":
        return f"PASS {info.label if info.resource_type == 'unit_test' and info.label else _label(info)}", f"[PASS {secs}]", "32"
    if status == "warn":
        return f"WARN {event.failures} {info.name}", f"[WARN {event.failures} {secs}]", "33"
    if status == "fail":
        return f"FAIL {event.failures} {_label(info)}", f"[FAIL {event.failures} {secs}]", "31"
    if status == "skipped":
        return f"SKIP relation {info.relation or info.name}", "[SKIP]", "33"
    if status == "no-op":
        return f"NO-OP {describe(info) if info.resource_type in ('exposure', 'saved_query') else info.name}", \
            f"[NO-OP {secs}]" if info.resource_type in ("exposure", "saved_query") else "[NO-OP]", None
    if info.resource_type in ("test", "unit_test"):
        return f"ERROR {info.name}", f"[ERROR {secs}]", "31"
    return f"ERROR creating {describe(info)}", f"[ERROR {secs}]", "31"


def result_line(event: NodeFinished, width: int = 80) -> str:
    body, tag, _ = result_parts(event)
    return _dots(f"{event.info.index} of {event.info.total} ", body, tag, width)


class ConsoleSink:
    """dbt-like lines: `3 of 28 OK created sql table model analytics.fct_orders .... [OK in 0.15s]`, from `level`
    up (quiet: errors only; debug: everything, with each node's timings and SQL)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False, debug: bool = False,
                 width: int = 80, colors: bool | None = None, level: str | None = None,
                 timestamps: str = "time", show_sql: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        if level is None:
            level = "debug" if debug else "error" if quiet else "info"
        elif debug and level != "none":
            level = "debug"
        elif quiet and LEVELS.get(level, 20) < LEVELS["error"]:
            level = "error"
        self.threshold = LEVELS.get(level, LEVELS["info"])
        self.quiet = self.threshold > LEVELS["info"]
        self.debug_on = self.threshold <= LEVELS["debug"]
        self.show_sql = self.debug_on if show_sql is None else show_sql
        self.width = width
        if colors is None:
            colors = self.stream.isatty() and os.environ.get("NO_COLOR") is None
        self.colors = colors
        self.timestamps = timestamps  # "time" (HH:MM:SS) or "debug" (with microseconds and the thread)
        self._lock = threading.Lock()

    def wants(self, level: str) -> bool:
        return LEVELS[level] >= self.threshold

    def _c(self, text: str, code: str | None) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colors and code else text

    def _prefix(self, level: str) -> str:
        if self.timestamps == "debug":
            now = datetime.now()
            return f"{now:%H:%M:%S.%f} [{level:<5}] [{threading.current_thread().name}]: "
        return f"{_now()}  "

    def _emit(self, line: str, level: str = "info") -> None:
        if not self.wants(level):
            return
        line = scrub(line)
        if not self.colors:
            line = _strip_ansi(line)
        with self._lock:
            print(f"{self._prefix(level)}{line}", file=self.stream, flush=True)

    def event(self, name: str, level: str, msg: str, data: Mapping[str, Any] | None = None,
              text_level: str | None = None) -> None:
        """A named dbt event as a text line; `text_level` when the console shows it otherwise than dbt's JSON
        (an error summary in red), `none` for events the text already said."""
        level = text_level or level
        if level == "warn":
            self.warn(msg)
        elif level == "error":
            self.error(msg)
        elif level != "none":
            self._emit(msg, level)

    def info(self, message: str) -> None:
        self._emit(message)

    def warn(self, message: str) -> None:
        self._emit(self._c(f"Warning: {message}", "33"), "warn")

    def error(self, message: str) -> None:
        self._emit(self._c(message, "31"), "error")

    def debug(self, message: str) -> None:
        self._emit(message, "debug")

    def jinja_log(self, message: str, info: bool) -> None:
        self._emit(message, "info" if info else "debug")

    def node_started(self, info: NodeInfo) -> None:
        self._emit(start_line(info, self.width))

    def node_finished(self, event: NodeFinished) -> None:
        body, tag, color = result_parts(event)
        info = event.info
        level = "error" if event.status in ("error", "fail") else "info"
        self._emit(_dots(f"{info.index} of {info.total} ", body, self._c(tag, color), self.width), level)
        if self.debug_on:
            rows = "" if event.rows_affected in (None, -1) else f", rows affected {event.rows_affected}"
            self._emit(f"    timing {info.unique_id}: compile {event.compile_ms:.1f} ms, execute "
                       f"{event.execute_ms:.1f} ms{rows}", "debug")
            for sql in event.sql if self.show_sql else ():
                self._emit("    sql: " + sql.replace("\n", "\n         "), "debug")


class Tee:
    """Every event to each sink (the console's and logs/dbt.log's), each filtering by its own level."""

    def __init__(self, *sinks: Any) -> None:
        self.sinks = [s for s in sinks if s is not None]

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            for sink in self.sinks:
                method = getattr(sink, name, None)
                if method is not None:
                    method(*args, **kwargs)

        return call


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\033\[[0-9;]*m", "", text)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
