"""Seeds on Spark, through a DataFrame: the CSV is read here (so a remote Spark Connect server needs no access
to the project's files), sent as text columns, and written with one `select` that casts every column to the
type dbt would infer (see :mod:`mason.adapters.seed_types`) or the one `column_types` configures.

A first load (or --full-refresh) builds the table under a temporary name and moves it into place (see
:func:`mason.adapters.spark.materialize.build_table`); later loads keep the table and its column types and
replace its rows with one ``insert overwrite``, as dbt's truncate + insert would.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from mason.adapters import seed_types as st
from mason.adapters.building import BuildContext
from mason.adapters.outcome import NodeOutcome, seed_loaded
from mason.adapters.relation import Relation
from mason.errors import DatabaseError, ParseError, Span

_INT = re.compile(r"^[+-]?[0-9]+$")
SPARK_TYPES = {"INTEGER": "int", "BIGINT": "bigint", "HUGEINT": "decimal(38,0)", "DOUBLE": "double",
               "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean", "VARCHAR": "string"}


def _is_null(value: str) -> bool:
    return value.strip().lower() in st.NULL_SPELLINGS


def _facts(values: list[str]) -> st.ColumnFacts:
    present = [v.strip() for v in values if not _is_null(v)]
    integer = all(_INT.match(v) for v in present)
    integral = integer or all(_whole(v) for v in present)
    ints = [int(v) if integer else int(Decimal(v)) for v in present] if integral else []
    return st.ColumnFacts(
        non_null=len(present),
        integer=integer,
        fits_int32=all(st.INT32_MIN <= i <= st.INT32_MAX for i in ints),
        fits_int64=all(st.INT64_MIN <= i <= st.INT64_MAX for i in ints),
        fits_int128=all(-(2**127) <= i < 2**127 for i in ints),
        number=all(_number(v) for v in present),
        date=all(_parses(v, "%Y-%m-%d") for v in present),
        datetime=all(_parses(v, "%Y-%m-%d %H:%M:%S") or _parses(v, "%Y-%m-%d %H:%M:%S.%f") for v in present),
        iso_datetime=all(_iso(v) for v in present),
        boolean=all(v.lower() in ("true", "false") for v in present),
        integral=integral,
    )


def _whole(value: str) -> bool:
    """A finite number with no fractional part (``100.00``, ``1e3``), small enough to pass through a double."""
    try:
        d = Decimal(value)
    except InvalidOperation:
        return False
    return d.is_finite() and abs(d) < st.INTEGRAL_LIMIT and d == d.to_integral_value()


def _number(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def _iso(value: str) -> bool:
    if "T" not in value:
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return True
    except ValueError:
        return False


def read_csv(path: Path, delimiter: str, label: str) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if not header:
                raise ParseError(f"{label}: the file is empty; a seed needs a header line", Span(str(path), 1))
            rows = []
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise ParseError(f"{label}: line {line} has {len(row)} values; the header has {len(header)}",
                                     Span(str(path), line), "check the delimiter and quoting of that line")
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ParseError(f"{label}: cannot read the file: {exc}", Span(str(path)))
    return [h.strip() for h in header], rows


def _value(kind: str, column: str, sql_type: str) -> str:
    """The cast of one text column, NULL spellings as NULL."""
    trimmed = f"trim({column})"
    null = f"lower({trimmed}) in ('', 'null')"
    if kind == st.TEXT:
        return f"case when {null} then null else {column} end"
    if kind == st.INTEGRAL:  # Spark's ANSI casts refuse '100.00' as an int: through a double (exact below 2**53)
        return f"case when {null} then null else cast(cast({trimmed} as double) as {sql_type}) end"
    if kind == st.ISO_DATETIME:
        expr = f"to_timestamp(replace(replace({trimmed}, 'Z', '+00:00'), 'z', '+00:00'))"
        return f"case when {null} then null else {expr} end"
    return f"case when {null} then null else cast({trimmed} as {sql_type}) end"


def load_seed(adapter: Any, node: Any, relation: Relation, csv_path: Path, *, full_refresh: bool,
              empty: bool = False) -> NodeOutcome:
    from mason.adapters.spark.materialize import build_table, node_table_config

    cfg: dict[str, Any] = dict(node.config or {})
    if cfg.get("full_refresh") is not None:
        full_refresh = bool(cfg["full_refresh"])
    delimiter = str(cfg.get("delimiter") or ",")
    csv_path = Path(csv_path)
    label = f"seed {node.name!r} ({csv_path})"
    header, rows = read_csv(csv_path, delimiter, label)
    if len(set(h.lower() for h in header)) != len(header):
        raise ParseError(f"{label}: the header repeats a column name (Spark names are case-insensitive)",
                         Span(str(csv_path), 1))
    overrides = st.match_column_types(header, dict(cfg.get("column_types") or {}))
    q = adapter.quote
    stage = f"mason_seed_{uuid.uuid4().hex[:16]}"
    columns = [f"c{i}" for i in range(len(header))]
    adapter.create_schema(relation.database, relation.schema or "")
    target = relation.incorporate(type="table")
    existing = adapter.get_relation(relation.database, relation.schema or "", relation.identifier or "")
    try:
        try:
            frame = adapter.spark.createDataFrame(
                [tuple(r) for r in rows], ", ".join(f"{c} string" for c in columns))
            frame.createOrReplaceTempView(stage)
        except Exception as exc:
            raise DatabaseError(f"{label}: could not send the rows to Spark: {str(exc).splitlines()[0]}")
        where = " where false" if empty else ""
        try:
            if existing is not None and existing.type == "table" and not full_refresh:
                have = adapter.get_columns(existing)
                if [c.name.lower() for c in have] != [h.lower() for h in header]:
                    raise DatabaseError(
                        f"{label}: the columns of {relation.render()} ({', '.join(c.name for c in have)}) "
                        f"differ from the file's ({', '.join(header)})",
                        hint="run the seed with --full-refresh to drop and recreate the table")
                exprs = [f"{_value(st.OVERRIDE, c, col.dtype)} as {q(col.name)}" for c, col in zip(columns, have)]
                adapter.execute(f"insert overwrite table {target.render()}\n"
                                f"select {', '.join(exprs)} from {stage}{where}")
            else:
                exprs = []
                for i, (c, name) in enumerate(zip(columns, header)):
                    if name in overrides:
                        exprs.append(f"{_value(st.OVERRIDE, c, overrides[name])} as {q(name)}")
                        continue
                    inferred = st.infer_column_type(_facts([r[i] for r in rows]))
                    exprs.append(f"{_value(inferred.kind, c, SPARK_TYPES[inferred.sql_type])} as {q(name)}")
                ctx = BuildContext(adapter=adapter, node=node, sql="", relation=target, full_refresh=full_refresh,
                                   run_hooks=lambda which, inside: None, record_sql=lambda sql: None)
                build_table(ctx, existing, f"select {', '.join(exprs)} from {stage}{where}",
                            node_table_config(node, target))
        except DatabaseError as exc:
            if exc.message.startswith(label):
                raise
            raise DatabaseError(f"{label}: {exc.message}", hint=exc.hint or "check the values and column_types")
        adapter.cache.add(target)
    finally:
        try:
            adapter.execute(f"drop view if exists {stage}")
        except DatabaseError:
            pass
    loaded = 0 if empty else len(rows)
    return seed_loaded(loaded, full_refresh, relation.render())
