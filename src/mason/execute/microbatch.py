"""Microbatch incremental models: built one time window (batch) at a time, with the built batches recorded.

dbt builds the batches of [now - lookback, now] on every run (or [begin, now] on the first run and on a
full refresh) and keeps no memory of what it built: a run that fails or is skipped for a few days leaves
a gap that only a hand-written backfill (`--event-time-start/--event-time-end`) closes.

Mason records every built batch in a ledger table, `mason_microbatch_batches`, in the model's own schema,
written in the same transaction as the batch's rows, so the ledger and the data cannot disagree. A normal
run then builds the batches dbt would (the lookback window) plus every batch missing since the first
recorded one: after a gap or a failure, exactly what is missing gets built. The ledger lives in the
warehouse, not in target/, because that is where the data is: it holds across machines, CI runs and
`mason clean`. `mason retry` rebuilds only the batches that failed. A full refresh rebuilds from `begin`
and resets the model's ledger rows.

Each batch is atomic: delete the window's rows, insert the batch's rows, record the batch, in one
transaction (DuckDB and PostgreSQL have transactional DDL). An adapter without transactions writes batches
its own way: its `microbatch_writer(run, cfg, fresh)` returns an object with `ensure_ledger(ledger)` and
`build_batch(...)` (Spark: :mod:`mason.adapters.spark.microbatch`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mason.adapters.base import AdapterResponse
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.errors import CompileError, DatabaseError, MasonError, Span
from mason.nodes.nodes import Node

GRAINS = ("hour", "day", "month", "year")
LEDGER = "mason_microbatch_batches"
Batch = tuple[datetime, datetime]


# ---------------------------------------------------------------------------------------------- time
def truncate(ts: datetime, grain: str) -> datetime:
    ts = ts.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    if grain == "hour":
        return ts
    ts = ts.replace(hour=0)
    if grain == "day":
        return ts
    ts = ts.replace(day=1)
    return ts if grain == "month" else ts.replace(month=1)


def advance(ts: datetime, grain: str, n: int = 1) -> datetime:
    if grain == "hour":
        return ts + timedelta(hours=n)
    if grain == "day":
        return ts + timedelta(days=n)
    if grain == "month":
        months = ts.year * 12 + ts.month - 1 + n
        return ts.replace(year=months // 12, month=months % 12 + 1)
    return ts.replace(year=ts.year + n)


def batch_id(start: datetime, grain: str) -> str:
    return start.strftime({"hour": "%Y%m%dT%H", "day": "%Y%m%d", "month": "%Y%m", "year": "%Y"}[grain])


def windows(start: datetime, end: datetime, grain: str) -> list[Batch]:
    """The batches covering [start, end): start truncated to the grain, the last batch reaching end."""
    out: list[Batch] = []
    cur = truncate(start, grain)
    while cur < end:
        nxt = advance(cur, grain)
        out.append((cur, nxt))
        cur = nxt
    return out


def parse_time(value: Any, what: str, span: Span) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip().replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CompileError(f"{what} {value!r} is not a date or timestamp", span, "write it like 2024-01-31 or "
                       "2024-01-31 13:00:00")


def _fmt(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class MicrobatchConfig:
    event_time: str
    grain: str
    begin: datetime
    lookback: int

    @classmethod
    def of(cls, node: Node) -> MicrobatchConfig:
        span = Span(node.original_file_path)
        cfg = node.config
        event_time = cfg.get("event_time")
        if not event_time:
            raise CompileError(f"{node.unique_id} uses the microbatch strategy but has no event_time config",
                               span, "set event_time to the column holding each row's time")
        grain = str(cfg.get("batch_size") or "").lower()
        if grain not in GRAINS:
            raise CompileError(f"{node.unique_id}: batch_size {cfg.get('batch_size')!r} is not one of "
                               f"{', '.join(GRAINS)}", span, "set batch_size: day (or hour, month, year)")
        if cfg.get("begin") in (None, ""):
            raise CompileError(f"{node.unique_id} uses the microbatch strategy but has no begin config", span,
                               "set begin to the first time to build, like begin: '2024-01-01'")
        lookback = cfg.get("lookback", 1)
        if not isinstance(lookback, int) or isinstance(lookback, bool) or lookback < 0:
            raise CompileError(f"{node.unique_id}: lookback must be a whole number of batches, got {lookback!r}",
                               span)
        return cls(str(event_time), grain, parse_time(cfg["begin"], "begin", span), lookback)


def plan_batches(cfg: MicrobatchConfig, now: datetime, exists: bool, full_refresh: bool, built: set[Batch],
                 start: datetime | None = None, end: datetime | None = None,
                 only: list[Batch] | None = None) -> list[Batch]:
    """Which batches this run builds, oldest first."""
    if only is not None:  # mason retry: the batches that failed
        return sorted(set(only))
    current = truncate(now, cfg.grain)
    horizon = advance(current, cfg.grain)
    if start is not None or end is not None:  # an explicit backfill
        return windows(start or cfg.begin, end or horizon, cfg.grain)
    if not exists or full_refresh:
        return windows(cfg.begin, horizon, cfg.grain)
    todo = set(windows(advance(current, cfg.grain, -cfg.lookback), horizon, cfg.grain))
    if built:  # every batch missing since the first recorded one (gaps, failed runs)
        todo |= {b for b in windows(min(s for s, _ in built), horizon, cfg.grain) if b not in built}
    return sorted(b for b in todo if b[1] > cfg.begin)


# ---------------------------------------------------------------------------------------------- ledger
def ledger_relation(adapter: Any, node: Node) -> Relation:
    return adapter.make_relation(node.database, node.schema, LEDGER, "table")


def ensure_ledger(adapter: Any, ledger: Relation) -> None:
    adapter.execute(f"create table if not exists {ledger.render()} (model_id varchar(512), "
                    f"relation_name varchar(1024), batch_start timestamp, batch_end timestamp, "
                    f"built_at timestamp, invocation_id varchar(64))")


def built_batches(adapter: Any, ledger: Relation, node: Node) -> set[Batch]:
    existing = adapter.get_relation(ledger.database, ledger.schema or "", ledger.identifier or "")
    if existing is None:
        return set()
    # as text: a timestamp read back through a client may be shifted to the client's time zone
    _, table = adapter.execute(f"select cast(batch_start as varchar(32)), cast(batch_end as varchar(32)) "
                               f"from {ledger.render()} "
                               f"where model_id = {_lit(node.unique_id)}", fetch=True)
    return {(parse_time(s, "batch_start", Span("")), parse_time(e, "batch_end", Span("")))
            for s, e in (table.rows if table is not None else [])}


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------- building
@dataclass
class MicrobatchRun:
    adapter: Any
    node: Node
    relation: Relation
    compile_batch: Callable[[Batch, dict[str, Any]], str]  # the model's SQL for one batch
    run_hooks: Callable[[str, bool], None]
    record_sql: Callable[[str], None]
    invocation_id: str

    def execute(self, sql: str, fetch: bool = False) -> tuple[AdapterResponse, Any]:
        self.record_sql(sql)
        return self.adapter.execute(sql, fetch=fetch)

    def run(self, cfg: MicrobatchConfig, batches: list[Batch], fresh: bool) -> NodeOutcome:
        """Build `batches` in order; `fresh` replaces the table (and the ledger rows) with the first one."""
        adapter, node = self.adapter, self.node
        ledger = ledger_relation(adapter, node)
        factory = getattr(adapter, "microbatch_writer", None)
        writer = factory(self, cfg, fresh) if factory is not None else None
        if writer is not None:
            writer.ensure_ledger(ledger)
        else:
            ensure_ledger(adapter, ledger)
        build = writer.build_batch if writer is not None else self._build_batch
        ok: list[Batch] = []
        failed: list[Batch] = []
        errors: list[str] = []
        rows = 0
        self.run_hooks("pre", False)
        for i, batch in enumerate(batches):
            first, last = i == 0, i == len(batches) - 1
            info = {"id": batch_id(batch[0], cfg.grain), "event_time_start": _fmt(batch[0]),
                    "event_time_end": _fmt(batch[1])}
            try:
                sql = self.compile_batch(batch, info)
                rows += build(cfg, batch, sql, ledger, replace=fresh and not ok, hooks=(first, last))
                ok.append(batch)
            except MasonError as exc:
                failed.append(batch)
                errors.append(f"batch {info['id']}: {exc.message if hasattr(exc, 'message') else exc}")
        self.run_hooks("post", False)
        results = {"successful": [[_fmt(s), _fmt(e)] for s, e in ok],
                   "failed": [[_fmt(s), _fmt(e)] for s, e in failed]}
        if failed and not ok:
            return NodeOutcome("error", "; ".join(errors), extra={"batch_results": results})
        if failed:
            return NodeOutcome("partial success",
                               f"{len(ok)} of {len(batches)} batches built; failed: {'; '.join(errors)}",
                               AdapterResponse("PARTIAL SUCCESS", "OK", rows), extra={"batch_results": results})
        message = f"SUCCESS {len(ok)} batch{'es' if len(ok) != 1 else ''}"
        return NodeOutcome("success", message, AdapterResponse(message, "OK", rows),
                           extra={"batch_results": results})

    def _build_batch(self, cfg: MicrobatchConfig, batch: Batch, sql: str, ledger: Relation, replace: bool,
                     hooks: tuple[bool, bool]) -> int:
        adapter = self.adapter
        target = self.relation.render()
        et = cfg.event_time
        start, end = _lit(_fmt(batch[0])), _lit(_fmt(batch[1]))
        body = re.sub(r"[\s;]+$", "", sql)
        tmp = adapter.make_relation(None, None, f"{self.relation.identifier}__dbt_tmp_{uuid.uuid4().hex[:8]}",
                                    "table")
        adapter.begin()
        try:
            if hooks[0]:
                self.run_hooks("pre", True)
            self.execute(f"create temporary table {tmp.render()} as (\n{body}\n)")
            window = ""
            if replace:
                existing = adapter.get_relation(self.relation.database, self.relation.schema or "",
                                                self.relation.identifier or "")
                if existing is not None:
                    adapter.drop_relation(existing)
                self.execute(f"create table {target} as select * from {tmp.render()}")
                self.execute(f"delete from {ledger.render()} where model_id = {_lit(self.node.unique_id)}")
            else:
                # the first batch creates the table from whatever its query returns, as dbt does; later ones
                # write only their window: a query that ignores it (an unfiltered upstream) must not add
                # its other rows once per batch
                window = f" where {et} >= {start} and {et} < {end}"
                self.execute(f"delete from {target}{window}")
                cols = ", ".join(adapter.quote(c.name) for c in adapter.get_columns(tmp))
                self.execute(f"insert into {target} ({cols}) select {cols} from {tmp.render()}{window}")
            _, table = self.execute(f"select count(*) from {tmp.render()}{window}", fetch=True)
            count = int(table.rows[0][0]) if table is not None and table.rows else 0
            self.execute(f"delete from {ledger.render()} where model_id = {_lit(self.node.unique_id)} "
                         f"and batch_start = {start}")
            self.execute(f"insert into {ledger.render()} values ({_lit(self.node.unique_id)}, "
                         f"{_lit(self.relation.render())}, {start}, {end}, current_timestamp, "
                         f"{_lit(self.invocation_id)})")
            if hooks[1]:
                self.run_hooks("post", True)
            self.execute(f"drop table if exists {tmp.render()}")
            adapter.commit()
        except BaseException:
            adapter.rollback()
            adapter.cache.clear()
            raise
        adapter.cache.add(self.relation.incorporate(type="table"))
        return count


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def relation_exists_as_table(adapter: Any, relation: Relation) -> bool:
    try:
        found = adapter.get_relation(relation.database, relation.schema or "", relation.identifier or "")
    except DatabaseError:
        return False
    return found is not None and found.type == "table"


# ---------------------------------------------------------------------------------------------- reporting
def _ranges(batches: list[list[str]]) -> list[tuple[str, str]]:
    """Adjacent batches merged into [start, end) ranges, for reading."""
    out: list[list[str]] = []
    for start, end in batches:
        if out and out[-1][1] == start:
            out[-1][1] = end
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]
