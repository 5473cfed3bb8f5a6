"""Microbatch models on Spark: each batch replaces the rows of its time window by overwriting partitions.

Spark has no transactions, and tables in parquet (or another plain file format) have no DELETE, so the
DuckDB/PostgreSQL way (delete the window, insert the batch, in one transaction) is not available. As
dbt-spark does, a batch is written with ``insert overwrite`` in dynamic partition overwrite mode, which needs
``partition_by``. Unlike a plain dynamic overwrite, which replaces only the partitions the new rows land in,
a batch here replaces exactly its window:

1. The batch's query runs into a staging table (``<model>__dbt_batch``): a query that fails touches nothing.
2. The partitions the batch affects are those holding rows of the window now, plus those the new rows land
   in. Rows of those partitions outside the window (partitions coarser than the batch, or not about time)
   are carried over: they and the batch's rows are staged together (``<model>__dbt_new``).
3. One ``insert overwrite`` writes the staged rows; Spark writes the files aside and moves them into place
   when the job commits, so a write that fails leaves the table as it was.
4. Affected partitions left with no rows (the window lost its rows upstream) are dropped.
5. The batch is recorded in the ledger.

With partitions at the batch's grain (or finer), step 2 carries nothing over and each batch rewrites only its
own partitions. On delta and iceberg (not tested here: the test setup has no delta or iceberg jars), one MERGE
deletes the window's rows and inserts the batch's, atomically, and ``partition_by`` is not needed.

The ledger (`mason_microbatch_batches`) is a parquet table partitioned by model and batch start: recording a
batch overwrites its one partition (so a rebuilt batch keeps one row), and a full refresh drops the model's
partitions. Writes are recorded after the batch's rows, so the ledger never lists a batch whose rows are not
in the table.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mason.adapters.building import BuildContext, clean_sql
from mason.adapters.relation import Relation
from mason.adapters.spark.materialize import (
    TableConfig,
    _drop,
    _drop_quietly,
    _lit,
    _sibling,
    _source_exprs,
    build_table,
    create_table_sql,
    node_table_config,
)
from mason.errors import CompileError, Span

# The engine's microbatch values (execute/microbatch.py), used here only through their attributes: the
# adapter layer does not import the engine.
Batch = tuple[datetime, datetime]  # [start, end) of one batch
MicrobatchConfig = Any  # event_time, grain, begin, lookback, ...
MicrobatchRun = Any  # the engine's run of one model: adapter, node, relation, sql recorder

NATIVE = ("delta", "iceberg")  # formats with an atomic MERGE ... WHEN NOT MATCHED BY SOURCE
OVERWRITE_MODE = "spark.sql.sources.partitionOverwriteMode"
# Writes into one parquet table share its `_temporary` folder: two at once (two microbatch models of one
# schema recording batches) could delete each other's files, so the ledger is written by one thread at a time.
_LEDGER_LOCK = threading.Lock()
_DROP_CHUNK = 200  # partitions per ALTER TABLE ... DROP PARTITION


def _ts(value: datetime) -> str:
    return f"timestamp'{value.strftime('%Y-%m-%d %H:%M:%S')}'"


@dataclass
class SparkMicrobatch:
    """How one run writes one microbatch model's batches (chosen once, before the first batch)."""

    run: MicrobatchRun
    table: TableConfig
    native: bool  # a MERGE (delta, iceberg) rather than a partition overwrite
    partitions: list[str]

    @classmethod
    def open(cls, run: MicrobatchRun, cfg: MicrobatchConfig, fresh: bool) -> SparkMicrobatch:
        """Check the model can be built in batches here; errors name the model's file and the fix."""
        node, adapter = run.node, run.adapter
        span = Span(node.original_file_path)
        table = node_table_config(node, run.relation)
        fmt = table.file_format
        if fmt == "hudi":
            raise CompileError(
                f"{node.unique_id}: the microbatch strategy is not supported on file_format 'hudi' on Spark",
                span, "use file_format parquet (with partition_by), delta or iceberg")
        native = fmt in NATIVE
        partitions = [p.strip() for p in table.partition_by]
        if not fresh:  # the table as it is decides how batches are written, not its config
            provider, partitions = _layout(adapter, run.relation)
            native = provider in NATIVE
            configured = [p.lower() for p in table.partition_by]
            if not native and [p.lower() for p in partitions] != configured:
                have = f"partitioned by ({', '.join(partitions)})" if partitions else "not partitioned"
                raise CompileError(
                    f"{node.unique_id}: the table {run.relation.render()} is {have}, but the model's partition_by "
                    f"is ({', '.join(table.partition_by) or 'unset'}); microbatch batches are written by "
                    "partition", span,
                    "set partition_by to a column at the batch's grain and rebuild the table with --full-refresh")
        if not native and not partitions:
            raise CompileError(
                f"{node.unique_id}: the microbatch strategy on Spark needs partition_by (file_format '{fmt}'): "
                "each batch is written by overwriting the partitions its time window covers", span,
                f"add partition_by with a column at the batch grain, e.g. select cast(date_trunc('{cfg.grain}', "
                f"{cfg.event_time}) as date) as {cfg.grain}_start and partition_by='{cfg.grain}_start' "
                "(or use file_format delta or iceberg)")
        if not native:
            _, rows = adapter.execute(f"set {OVERWRITE_MODE}", fetch=True)
            mode = str(rows.rows[0][1]).lower() if rows is not None and rows.rows else ""
            if mode != "dynamic":
                raise CompileError(
                    f"{node.unique_id}: the microbatch strategy on Spark needs {OVERWRITE_MODE}=dynamic, but the "
                    f"session has {mode or 'no value'!r}: a static overwrite would empty the whole table", span,
                    f"remove {OVERWRITE_MODE} from the profile's server_side_parameters (Mason sets it to dynamic)")
        return cls(run, table, native, partitions)

    # -------------------------------------------------------------------------------------------- ledger
    def ensure_ledger(self, ledger: Relation) -> None:
        with _LEDGER_LOCK:
            self._execute(f"create table if not exists {ledger.render()} (relation_name string, batch_end timestamp, "
                          "built_at timestamp, invocation_id string, model_id string, batch_start timestamp) "
                          "using parquet partitioned by (model_id, batch_start)")

    def _reset_ledger(self, ledger: Relation) -> None:
        model = _lit(self.run.node.unique_id)
        with _LEDGER_LOCK:
            _, table = self._execute(f"select distinct cast(batch_start as string) from {ledger.render()} "
                                     f"where model_id = {model}", fetch=True)
            starts = [r[0] for r in (table.rows if table is not None else ())]
            for i in range(0, len(starts), _DROP_CHUNK):
                specs = ", ".join(f"partition (model_id = {model}, batch_start = {_value(s)})"
                                  for s in starts[i:i + _DROP_CHUNK])
                self._execute(f"alter table {ledger.render()} drop if exists {specs}")

    def _record(self, ledger: Relation, batch: Batch) -> None:
        run = self.run
        with _LEDGER_LOCK:
            self._execute(f"insert overwrite table {ledger.render()} partition (model_id = {_lit(run.node.unique_id)}, "
                          f"batch_start = {_ts(batch[0])}) values ({_lit(run.relation.render())}, {_ts(batch[1])}, "
                          f"current_timestamp(), {_lit(run.invocation_id)})")

    # ------------------------------------------------------------------------------------------- batches
    def build_batch(self, cfg: MicrobatchConfig, batch: Batch, sql: str, ledger: Relation, replace: bool,
                    hooks: tuple[bool, bool]) -> int:
        run, adapter = self.run, self.run.adapter
        target = run.relation.incorporate(type="table")
        ctx = BuildContext(adapter, run.node, sql, target, replace, run.run_hooks, run.record_sql)
        staged = first = _sibling(target, "__dbt_batch")
        if hooks[0]:
            run.run_hooks("pre", True)
        _drop(ctx, staged)  # left by a run that was killed half way
        try:
            self._execute(create_table_sql(staged, TableConfig(), clean_sql(sql)))
            if not replace:  # later batches write only their window (see mason.execute.microbatch)
                staged = self._within_window(ctx, cfg, batch, staged)
            _, counted = self._execute(f"select count(*) from {staged.render()}", fetch=True)
            count = int(counted.rows[0][0]) if counted is not None and counted.rows else 0
            if not self.native:
                self._check_partition_columns(staged)
            if replace:
                self._reset_ledger(ledger)
                existing = adapter.get_relation(target.database, target.schema or "", target.identifier or "")
                build_table(ctx, existing, f"select * from {staged.render()}", self.table)
            elif self.native:
                self._merge(cfg, batch, target, staged)
            else:
                self._overwrite(cfg, batch, target, staged, ctx, count)
            self._record(ledger, batch)
            if hooks[1]:
                run.run_hooks("post", True)
        finally:
            for leftover in (first, staged) if staged is not first else (first,):
                _drop_quietly(ctx, leftover)
                adapter.cache.drop(leftover)
        adapter.cache.add(target)
        return count

    def _within_window(self, ctx: BuildContext, cfg: MicrobatchConfig, batch: Batch, staged: Relation) -> Relation:
        """The staged rows, or when the query returned rows outside the batch's window (an upstream it does
        not filter), a second staging table with only those inside."""
        inside, outside = self._window(cfg, batch)
        _, found = self._execute(f"select count(*) from {staged.render()} where {outside}", fetch=True)
        if not (found is not None and found.rows and int(found.rows[0][0])):
            return staged
        windowed = _sibling(ctx.relation, "__dbt_batchw")
        _drop(ctx, windowed)
        self._execute(create_table_sql(windowed, TableConfig(), f"select * from {staged.render()} where {inside}"))
        return windowed

    def _check_partition_columns(self, staged: Relation) -> None:
        have = {c.name.lower() for c in self.run.adapter.get_columns(staged)}
        missing = [p for p in self.partitions if p.lower() not in have]
        if missing:
            node = self.run.node
            raise CompileError(f"{node.unique_id}: partition_by names {', '.join(missing)}, which the model does "
                               "not return", Span(node.original_file_path),
                               "return that column from the model's select, or change partition_by")

    def _window(self, cfg: MicrobatchConfig, batch: Batch, alias: str = "") -> tuple[str, str]:
        """The batch window as a condition, and its complement (rows with no event time stay outside it)."""
        et = f"{alias}.{cfg.event_time}" if alias else cfg.event_time
        inside = f"{et} >= {_ts(batch[0])} and {et} < {_ts(batch[1])}"
        return inside, f"({et} is null or not ({inside}))"

    def _overwrite(self, cfg: MicrobatchConfig, batch: Batch, target: Relation, staged: Relation,
                   ctx: BuildContext, count: int) -> None:
        adapter = self.run.adapter
        q = adapter.quote
        columns = adapter.get_columns(target)
        source_names = {c.name.lower() for c in adapter.get_columns(staged)}
        exprs = ", ".join(f"{e} as {c.quoted}" for e, c in zip(_source_exprs(ctx, columns, source_names), columns))
        parts = ", ".join(q(p) for p in self.partitions)
        t, s = target.render(), staged.render()
        inside, outside = self._window(cfg, batch, "DBT_INTERNAL_DEST")
        affected = f"select {parts} from {t} as DBT_INTERNAL_DEST where {inside} union select {parts} from {s}"
        same = " and ".join(f"DBT_INTERNAL_DEST.{q(p)} <=> DBT_INTERNAL_PART.{q(p)}" for p in self.partitions)
        kept = (f"select {', '.join('DBT_INTERNAL_DEST.' + c.quoted for c in columns)} from {t} as DBT_INTERNAL_DEST "
                f"left semi join ({affected}) as DBT_INTERNAL_PART on {same} where {outside}")
        _, counted = self._execute(f"select count(*) from ({kept}) as mason_kept", fetch=True)
        carried = int(counted.rows[0][0]) if counted is not None and counted.rows else 0
        merged = _sibling(target, "__dbt_new")
        source = f"select {exprs} from {s}"
        if carried:  # partitions wider than the window: their other rows are written back with the batch
            _drop(ctx, merged)
            self._execute(create_table_sql(merged, TableConfig(), f"{kept}\nunion all\n{source}"))
            source = f"select * from {merged.render()}"
        try:
            texts = ", ".join(f"cast({q(p)} as string)" for p in self.partitions)
            _, emptied = self._execute(f"select {texts} from {t} as DBT_INTERNAL_DEST where {inside} "
                                       f"except select {texts} from ({source}) as mason_new", fetch=True)
            if count or carried:
                self._execute(f"insert overwrite table {t}\n{source}")
            gone = list(emptied.rows) if emptied is not None else []
            for i in range(0, len(gone), _DROP_CHUNK):
                specs = ", ".join("partition (" + ", ".join(f"{q(p)} = {_value(v)}" for p, v in zip(self.partitions, row))
                                  + ")" for row in gone[i:i + _DROP_CHUNK])
                self._execute(f"alter table {t} drop if exists {specs}")
        finally:
            if carried:
                _drop_quietly(ctx, merged)
                adapter.cache.drop(merged)

    def _merge(self, cfg: MicrobatchConfig, batch: Batch, target: Relation, staged: Relation) -> None:
        """delta / iceberg: the window's rows deleted and the batch's inserted by one MERGE (untested here)."""
        adapter = self.run.adapter
        columns = adapter.get_columns(target)
        source_names = {c.name.lower() for c in adapter.get_columns(staged)}
        ctx = BuildContext(adapter, self.run.node, "", target, False, self.run.run_hooks, self.run.record_sql)
        names = ", ".join(adapter.quote(c.name) for c in columns)
        values = ", ".join(_source_exprs(ctx, columns, source_names, "DBT_INTERNAL_SOURCE"))
        inside, _ = self._window(cfg, batch, "DBT_INTERNAL_DEST")
        self._execute(f"merge into {target.render()} as DBT_INTERNAL_DEST\nusing {staged.render()} as DBT_INTERNAL_SOURCE\n"
                      f"on false\nwhen not matched then insert ({names}) values ({values})\n"
                      f"when not matched by source and {inside} then delete")

    def _execute(self, sql: str, fetch: bool = False) -> tuple[Any, Any]:
        return self.run.execute(sql, fetch=fetch)


def _value(text: str | None) -> str:
    """A partition value (read as a string) in a partition spec."""
    return "null" if text is None else _lit(str(text))


def _layout(adapter: Any, relation: Relation) -> tuple[str, list[str]]:
    """The table's provider (parquet, delta ...) and partition columns, from DESCRIBE TABLE EXTENDED."""
    _, table = adapter.execute(f"describe table extended {relation.render()}", fetch=True)
    partitions: list[str] = []
    provider = ""
    section = "columns"
    for name, dtype, _comment in table.rows if table is not None else ():
        name = str(name or "").strip()
        if not name or name.startswith("#"):
            lowered = name.lower()
            if "partition information" in lowered:
                section = "partitions"
            elif not lowered.startswith("# col_name"):
                section = "details" if "detailed" in lowered else "other"
            continue
        if section == "partitions":
            partitions.append(name)
        elif section == "details" and name.lower() == "provider":
            provider = str(dtype or "").strip().lower()
    return provider, partitions
