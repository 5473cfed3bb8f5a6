"""Queries of the dbt Semantic Layer API, run in the background: createQuery returns an id at once, a small
pool of worker threads runs the query, `query(queryId)` reads its status and, when it is done, its rows one
page at a time as an Arrow IPC stream (base64) or as JSON in one of pandas' layouts.

Jobs live in memory, at most `capacity` of them (the oldest finished ones are dropped first); each can be
read only with the token that created it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mason.errors import MasonError, UsageError

PENDING, RUNNING, COMPILED, SUCCESSFUL, FAILED = "PENDING", "RUNNING", "COMPILED", "SUCCESSFUL", "FAILED"


@dataclass(slots=True)
class Job:
    id: str
    owner: str  # the token's name
    status: str = PENDING
    sql: str | None = None
    error: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)  # JSON-ready values, as the Service returns them
    time_columns: set[str] = field(default_factory=set)
    created: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    _table: Any = None

    def finish(self, status: str, error: str | None = None) -> None:
        if not self.done.is_set():
            self.status, self.error = status, error
            self.done.set()

    def compiled(self, sql: str) -> None:
        if not self.done.is_set():
            self.sql, self.status = sql, COMPILED

    def table(self) -> Any:
        """The rows as a pyarrow Table (dates and timestamps of time columns typed again)."""
        if self._table is None:
            self._table = to_arrow(self.columns, self.rows, self.time_columns)
        return self._table


class JobStore:
    def __init__(self, capacity: int = 200, workers: int = 2) -> None:
        self.capacity = capacity
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mason-sl")

    def submit(self, owner: str, work: Callable[[Job], None]) -> Job:
        """A new job running `work(job)` in the background; `work` sets the job's sql, columns and rows,
        and raising fails the job with the error's message."""
        job = Job(uuid.uuid4().hex, owner)
        with self.lock:
            while len(self.jobs) >= self.capacity:
                oldest = next((k for k, j in self.jobs.items() if j.done.is_set()), None)
                if oldest is None:
                    raise UsageError(f"{self.capacity} queries are running already; try again later")
                del self.jobs[oldest]
            self.jobs[job.id] = job

        def run() -> None:
            if job.done.is_set():  # cancelled while it waited
                return
            job.status = RUNNING
            try:
                work(job)
            except MasonError as exc:
                job.finish(FAILED, exc.render())
            except Exception as exc:  # a warehouse error: the caller sees it as the query's error
                job.finish(FAILED, f"{type(exc).__name__}: {exc}")
            else:
                job.finish(SUCCESSFUL)

        self.pool.submit(run)
        return job

    def get(self, owner: str, query_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(query_id)
        if job is None or job.owner != owner:
            raise UsageError(f"no query {query_id!r}", hint="queries are kept in memory for a while; create it "
                                                            "again with createQuery")
        return job


def page_count(rows: int, page_rows: int) -> int:
    return max(1, math.ceil(rows / page_rows))


def to_arrow(columns: list[str], rows: list[list[Any]], time_columns: set[str]) -> Any:
    import pyarrow as pa

    arrays = []
    for i, name in enumerate(columns):
        values = [row[i] for row in rows]
        if name in time_columns:
            values = [_time_value(v) for v in values]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds: numbers as doubles, else text
            try:
                arrays.append(pa.array([float(v) if v is not None else None for v in values], pa.float64()))
            except (TypeError, ValueError):
                arrays.append(pa.array([str(v) if v is not None else None for v in values], pa.string()))
    return pa.Table.from_arrays(arrays, names=columns)


def _time_value(value: Any) -> Any:
    """An ISO date or timestamp (as the Service writes them) back to a date or datetime."""
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    except ValueError:
        return value


def arrow_stream(table: Any) -> str:
    """A table as a base64 Arrow IPC stream (what the SDK's QueryResult.result_table reads)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _json_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_temporal(arrow_type):
        return "datetime"
    return "string"


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def json_page(columns: list[str], rows: list[list[Any]], schema: Any, orient: str, encoded: bool) -> str:
    """Rows as pandas' `DataFrame.to_json(orient=...)` lays them out (index 0.. within the page); base64
    when `encoded`."""
    rows = [[_finite(v) for v in row] for row in rows]
    data: Any
    if orient == "split":
        data = {"columns": columns, "index": list(range(len(rows))), "data": rows}
    elif orient == "records":
        data = [dict(zip(columns, row)) for row in rows]
    elif orient == "index":
        data = {str(i): dict(zip(columns, row)) for i, row in enumerate(rows)}
    elif orient == "columns":
        data = {c: {str(i): row[j] for i, row in enumerate(rows)} for j, c in enumerate(columns)}
    elif orient == "values":
        data = rows
    else:  # table: the Table Schema with the rows as records
        fields = [{"name": "index", "type": "integer"}]
        fields += [{"name": f.name, "type": _json_type(f.type)} for f in schema]
        data = {"schema": {"fields": fields, "primaryKey": ["index"], "pandas_version": "1.4.0"},
                "data": [{"index": i, **dict(zip(columns, row))} for i, row in enumerate(rows)]}
    text = json.dumps(data, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode("ascii") if encoded else text
