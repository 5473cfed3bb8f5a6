"""Loading seed CSV files into tables, with dbt's type inference, without a Python loop over rows.

The file is read by the warehouse's own CSV reader into a temporary all-text staging table; the column types
are inferred with one aggregate query over that table (see :mod:`mason.adapters.seed_types` for the rules);
then the target table is created (first run, full refresh) or emptied and refilled (later runs, like dbt's
truncate + insert) with one ``select`` that casts every column, inside one transaction.

Everything specific to a warehouse's SQL lives in the adapter's ``seed_sql()`` (``adapters/seed_sql.py`` has
the common spelling, DuckDB's; ``adapters/postgres/seeds.py`` PostgreSQL's).
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mason.adapters import relation_ops as ops
from mason.adapters import seed_types as st
from mason.adapters.outcome import NodeOutcome, seed_loaded
from mason.adapters.relation import Relation
from mason.adapters.seed_sql import SeedColumn, SeedSQL
from mason.errors import DatabaseError, MasonError, ParseError, Span

_FULL_REFRESH_HINT = "run the seed with --full-refresh to drop and recreate the table"


def seed_sql_for(adapter: Any) -> SeedSQL:
    """The adapter's seed SQL (adapters/<warehouse>/: `seed_sql()`)."""
    make = getattr(adapter, "seed_sql", None)
    if make is None:
        raise DatabaseError(f"loading seeds is not supported on the {adapter.type!r} adapter yet")
    return make()  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------- loading
def load_seed(adapter: Any, node: Any, relation: Relation, csv_path: Path, *, full_refresh: bool,
              empty: bool = False) -> NodeOutcome:
    """Load ``csv_path`` into ``relation`` as dbt's ``seed`` materialization does.

    A missing table, or a full refresh (the node's ``full_refresh`` config when set, else the flag), drops and
    creates the table; otherwise its rows are deleted and the file's rows inserted, keeping the table's column
    types, in one transaction. ``empty`` creates/keeps the table but loads no rows.
    """
    own = getattr(adapter, "load_seed", None)  # warehouses loading seeds their own way (Spark: DataFrames)
    if own is not None:
        return own(node, relation, csv_path, full_refresh=full_refresh, empty=empty)  # type: ignore[no-any-return]
    cfg: dict[str, Any] = dict(node.config or {})
    configured = cfg.get("full_refresh")
    if configured is not None:
        full_refresh = bool(configured)
    delimiter = str(cfg.get("delimiter") or ",")
    quote_columns = cfg.get("quote_columns")
    csv_path = Path(csv_path)
    label = f"seed {node.name!r} ({csv_path})"
    sql = seed_sql_for(adapter)
    ops.check_identifier(adapter, relation, node)

    header = _read_header(csv_path, delimiter)
    overrides = st.match_column_types(header, dict(cfg.get("column_types") or {}))

    adapter.create_schema(relation.database, relation.schema or "")
    stage = sql.stage_name()
    # every column typed by configuration: nothing to infer, so the file is read once, through a view
    as_view = sql.VIEW_STAGE and bool(header) and all(name in overrides for name in header)
    if as_view:
        stage = sql.quote(f"{_VIEW_MARK}{uuid.uuid4().hex[:16]}")
    try:
        try:
            if as_view:
                adapter.execute(sql.create_stage_view(stage, csv_path, header, delimiter))
                copied = None
            else:
                copied = sql.load_stage(adapter, stage, csv_path, header, delimiter)
        except DatabaseError as exc:
            raise _csv_error(exc, csv_path, label, sql.CSV_ERROR_LINE) from exc

        def write(columns: list[SeedColumn], explain: bool, source: str | None = None,
                  check: Callable[[], None] = lambda: None) -> None:
            existing = adapter.get_relation(relation.database, relation.schema or "", relation.identifier or "")
            if existing is not None and not full_refresh and existing.type != "view":
                def after_reload() -> None:
                    check()
                    ops.apply_grants(adapter, adapter.execute, node, relation, replaced=False)

                _reload(adapter, sql, relation, existing, columns, source or stage, empty, csv_path, delimiter,
                        label, quote_columns, explain=explain, after=after_reload)
            else:
                def after_create() -> None:
                    check()
                    ops.after_build(adapter, adapter.execute, node, relation, "table", created=True, replaced=True)

                _create(adapter, sql, relation, existing, columns, source or stage, empty, csv_path, delimiter,
                        label, quote_columns, explain=explain, after=after_create)

        done = False
        if as_view:  # nothing to infer
            if not (sql.DIRECT_TYPED and _direct(adapter, sql, relation, header, overrides, csv_path, delimiter,
                                                 write)):
                write([SeedColumn(name, st.OVERRIDE, overrides[name]) for name in header], explain=True)
            rows, done = 0, True
            if not empty:
                _, counted = adapter.execute(sql.count_rows(relation), fetch=True)
                rows = int(counted.rows[0][0]) if counted is not None else 0
        elif sql.OPTIMISTIC and copied is not None:
            try:
                write(_sampled(adapter, sql, stage, header, overrides), explain=False)
                rows, done = copied, True
            except DatabaseError:
                pass  # a value the first rows did not predict (or a bad column_types value): the careful way
        if not done:
            columns, rows = _infer(adapter, sql, stage, header, overrides)
            write(columns, explain=True)
        loaded = 0 if empty else rows
    finally:
        try:
            adapter.execute(sql.drop_stage_view(stage) if as_view else sql.drop_stage(stage))
        except DatabaseError:
            pass
    return seed_loaded(loaded, full_refresh, relation.render())


def _sampled(adapter: Any, sql: SeedSQL, stage: str, header: list[str],
             overrides: dict[str, str]) -> list[SeedColumn]:
    """The columns as the first rows type them, each value to be checked while it is converted."""
    inferred = [name for name in header if name not in overrides]
    width = sql.FACTS_PER_COLUMN
    _, table = adapter.execute(sql.facts_query(stage, inferred, sample=_SAMPLE_ROWS), fetch=True)
    assert table is not None
    row = list(table.rows[0])
    chosen = {}
    for i, name in enumerate(inferred):
        picked = st.infer_column_type(sql.parse_facts(row[1 + i * width: 1 + (i + 1) * width])[0])
        # later rows may carry a UTC offset the first ones did not: handle both
        chosen[name] = SeedColumn(name, picked.kind, sql.sql_type(picked.sql_type), picked.kind == st.ISO_DATETIME,
                               guarded=True)
    return [SeedColumn(name, st.OVERRIDE, overrides[name]) if name in overrides else chosen[name] for name in header]


def _infer(adapter: Any, sql: SeedSQL, stage: str, header: list[str],
           overrides: dict[str, str]) -> tuple[list[SeedColumn], int]:
    """The columns' types and the row count.

    Testing every kind on every value is slow (failed parses cost most), so the kinds are first inferred on
    the first rows, then each column's candidate kind alone is checked over all rows; only columns whose
    candidate does not hold everywhere get the full test.
    """
    inferred = [name for name in header if name not in overrides]
    width = sql.FACTS_PER_COLUMN
    _, table = adapter.execute(sql.facts_query(stage, inferred, sample=_SAMPLE_ROWS), fetch=True)
    assert table is not None
    row = list(table.rows[0])
    candidates = [
        (name, st.infer_column_type(sql.parse_facts(row[1 + i * width: 1 + (i + 1) * width])[0]).kind)
        for i, name in enumerate(inferred)
    ]
    _, table = adapter.execute(sql.verify_query(stage, candidates), fetch=True)
    assert table is not None
    row = list(table.rows[0])
    total = int(row[0])
    chosen: dict[str, SeedColumn] = {}
    retry: list[str] = []
    vw = sql.VERIFY_WIDTH
    for i, (name, kind) in enumerate(candidates):
        ok, first, second = row[1 + i * vw: 1 + (i + 1) * vw]
        if not ok:
            retry.append(name)
        elif kind in (st.INTEGER, st.INTEGRAL):
            chosen[name] = SeedColumn(name, kind, sql.sql_type(st.integer_type(first, second)))
        elif kind == st.ISO_DATETIME:
            chosen[name] = SeedColumn(name, kind, sql.sql_type("TIMESTAMP"), bool(first))
        else:
            chosen[name] = SeedColumn(name, kind, sql.sql_type(st.infer_column_type(_ONLY[kind]).sql_type))
    if retry:
        _, table = adapter.execute(sql.facts_query(stage, retry), fetch=True)
        assert table is not None
        row = list(table.rows[0])
        for i, name in enumerate(retry):
            facts, offset = sql.parse_facts(row[1 + i * width: 1 + (i + 1) * width])
            picked = st.infer_column_type(facts)
            chosen[name] = SeedColumn(name, picked.kind, sql.sql_type(picked.sql_type), offset)
    columns = [
        SeedColumn(name, st.OVERRIDE, overrides[name]) if name in overrides else chosen[name] for name in header
    ]
    return columns, total


def _only(kind: str) -> st.ColumnFacts:
    """Facts for a column whose values are of ``kind`` and of no kind tried before it."""
    order = st.INFERENCE_ORDER
    before = set(order[: order.index(kind)])
    flags = {
        "integer": st.INTEGER not in before, "integral": st.INTEGRAL not in before,
        "number": st.NUMBER not in before, "date": st.DATE not in before,
        "datetime": st.DATETIME not in before, "iso_datetime": st.ISO_DATETIME not in before,
        "boolean": st.BOOLEAN not in before,
    }
    if kind == st.TEXT:
        flags = dict.fromkeys(flags, False)
    return st.ColumnFacts(non_null=1, **flags)


_ONLY = {kind: _only(kind) for kind in st.INFERENCE_ORDER}
_SAMPLE_ROWS = 5000


def _create(adapter: Any, sql: SeedSQL, relation: Relation, existing: Relation | None,
            columns: list[SeedColumn], stage: str, empty: bool, csv_path: Path, delimiter: str, label: str,
            quote_columns: bool | None, after: Callable[[], None] = lambda: None, explain: bool = True) -> None:
    select_list = ", ".join(
        f"{sql.cast(sql.value(c), c.sql_type)} as {sql.column_name(c.name, quote_columns)}" for c in columns)
    adapter.begin()
    try:
        if existing is not None:
            adapter.drop_relation(existing)
        adapter.execute(sql.create_table(relation, select_list, stage, empty))
        after()
        adapter.commit()
    except DatabaseError as exc:
        adapter.rollback()
        if existing is not None:
            adapter.cache.add(existing)
        if not explain:
            raise
        checks = [(c, sql.value(c), c.sql_type) for c in columns if c.kind == st.OVERRIDE]
        raise _value_error(adapter, sql, stage, checks, exc, csv_path, delimiter, label) from exc
    adapter.cache.add(relation.incorporate(type="table"))


def _reload(adapter: Any, sql: SeedSQL, relation: Relation, existing: Relation, columns: list[SeedColumn],
            stage: str, empty: bool, csv_path: Path, delimiter: str, label: str,
            quote_columns: bool | None, after: Callable[[], None] = lambda: None, explain: bool = True) -> None:
    table_cols = adapter.get_columns(existing)
    by_name = {c.name.lower(): c for c in table_cols}
    csv_names = [c.name for c in columns]
    if len(table_cols) != len(columns) or any(name.lower() not in by_name for name in csv_names):
        raise DatabaseError(
            f"the columns of {label} ({', '.join(csv_names)}) differ from those of the existing table "
            f"{relation.render()} ({', '.join(c.name for c in table_cols)})",
            span=Span(str(csv_path), 1), hint=_FULL_REFRESH_HINT)
    targets = []
    for c in columns:
        # the value as inferred now (a column_types column: its text), cast to the table's existing type
        targets.append((c, sql.value(c), by_name[c.name.lower()].data_type))
    names = ", ".join(sql.column_name(by_name[c.name.lower()].name, quote_columns) for c in columns)
    select_list = ", ".join(sql.cast(expr, dtype) for _, expr, dtype in targets)
    adapter.begin()
    try:
        for statement in sql.replace_rows(relation, names, select_list, stage, empty):
            adapter.execute(statement)
        after()
        adapter.commit()
    except DatabaseError as exc:
        adapter.rollback()
        if not explain:
            raise
        raise _value_error(adapter, sql, stage, targets, exc, csv_path, delimiter, label) from exc


# ---------------------------------------------------------------------------------------------- the header
def _read_header(csv_path: Path, delimiter: str) -> list[str]:
    if not csv_path.is_file():
        raise ParseError(f"seed file {csv_path} does not exist", span=Span(str(csv_path)))
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            if len(delimiter) == 1:
                header = next((row for row in csv.reader(fh, delimiter=delimiter, quotechar='"') if row), None)
            else:
                line = fh.readline().rstrip("\r\n")
                header = [part.strip('"') for part in line.split(delimiter)] if line else None
    except UnicodeDecodeError as exc:
        raise ParseError(f"seed file {csv_path} is not valid UTF-8 text: {exc}", span=Span(str(csv_path))) from exc
    except csv.Error as exc:
        raise ParseError(f"could not read the header of seed file {csv_path}: {exc}",
                         span=Span(str(csv_path), 1)) from exc
    if not header:
        raise ParseError(f"seed file {csv_path} is empty: it needs a header row naming its columns",
                         span=Span(str(csv_path), 1))
    seen: dict[str, str] = {}
    for i, name in enumerate(header, start=1):
        if not name.strip():
            raise ParseError(f"column {i} of seed file {csv_path} has an empty name in the header row",
                             span=Span(str(csv_path), 1),
                             hint="name every column (check for a trailing delimiter in the header)")
        if name.lower() in seen:
            raise ParseError(f"seed file {csv_path} has two columns named {seen[name.lower()]!r} and {name!r}",
                             span=Span(str(csv_path), 1), hint="column names must differ (case-insensitively)")
        seen[name.lower()] = name
    return list(header)


# ------------------------------------------------------------------------------------------------ errors
def _csv_error(exc: DatabaseError, csv_path: Path, label: str, line_re: re.Pattern[str]) -> MasonError:
    text = exc.message
    m = line_re.search(text)
    line = int(m.group(1)) if m else None
    keep: list[str] = []
    for raw in text.splitlines():
        part = raw.strip()
        if not part:
            continue
        if part.startswith("Possible fixes") or part.startswith("file ="):
            break
        keep.append(part)
    detail = "; ".join(keep[:4]) or text
    return ParseError(f"could not read {label}: {detail}", span=Span(str(csv_path), line),
                      hint="every row needs as many fields as the header; quote fields containing the delimiter")


_VIEW_MARK = "mason_seed_view_"
_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR")


def _direct(adapter: Any, sql: SeedSQL, relation: Relation, header: list[str], types: dict[str, str],
            csv_path: Path, delimiter: str, write: Callable[..., None]) -> bool:
    """Load a seed whose every column has a configured type with the CSV reader parsing the values into
    those types itself: half the time of casting text with each value checked for NULL spellings (0.5 s
    per million rows). On any doubt (a value the reader refuses, a text column holding blanks or a spaced
    spelling of NULL it kept as text) the load is rolled back and False returned: the careful way decides,
    and explains any error."""
    view = sql.quote(f"{_VIEW_MARK}{uuid.uuid4().hex[:16]}")

    def same_as_careful() -> None:
        text = [c.name for c in adapter.get_columns(relation) if c.data_type.upper().startswith(_TEXT_TYPES)]
        if not text:
            return
        cond = " or ".join(f"trim({sql.quote(n)}) = '' or lower(trim({sql.quote(n)})) = 'null'" for n in text)
        _, found = adapter.execute(f"select count(*) from {relation.render()} where {cond}", fetch=True)
        if found is not None and found.rows and int(found.rows[0][0]):
            raise DatabaseError("text values the careful load reads as NULL")

    try:
        adapter.execute(sql.create_typed_view(view, csv_path, header, types, delimiter))
        write([SeedColumn(name, st.DIRECT, types[name]) for name in header], explain=False, source=view,
              check=same_as_careful)
        return True
    except DatabaseError:
        return False
    finally:
        try:
            adapter.execute(sql.drop_stage_view(view))
        except DatabaseError:
            pass


def _stage_readable(adapter: Any, stage: str) -> DatabaseError | None:
    """None if the stage reads cleanly; else the error reading it (a malformed file behind a view)."""
    try:
        adapter.execute(f"select count(*) from {stage}", fetch=True)
    except DatabaseError as exc:
        return exc
    return None


def _value_error(adapter: Any, sql: SeedSQL, stage: str, checks: Iterable[tuple[SeedColumn, str, str]],
                 exc: DatabaseError, csv_path: Path, delimiter: str, label: str) -> MasonError:
    """The first value that does not fit its column's type, with its line, else the database's error."""
    if _VIEW_MARK in stage:  # the file behind a view: malformed, or materialize it to find the row
        bad_file = _stage_readable(adapter, stage)
        if bad_file is not None:
            return _csv_error(bad_file, csv_path, label, sql.CSV_ERROR_LINE)
        table_stage = sql.stage_name()
        adapter.execute(sql.create_stage(table_stage, csv_path, _read_header(csv_path, delimiter), delimiter))
        try:
            return _value_error(adapter, sql, table_stage, checks, exc, csv_path, delimiter, label)
        finally:
            adapter.execute(sql.drop_stage(table_stage))
    for col, expr, sql_type in checks:
        query = sql.first_bad_value(stage, col, expr, sql_type)
        if query is None:  # the warehouse cannot test values one by one: its own error names the value
            continue
        try:
            _, table = adapter.execute(query, fetch=True)
        except DatabaseError as inner:
            if "type" in inner.message.lower() and "exist" in inner.message.lower():
                return DatabaseError(f"{label}: column {col.name!r} has an unknown type {sql_type!r}: "
                                     f"{inner.message.splitlines()[0]}", span=Span(str(csv_path), 1),
                                     hint="check the seed's column_types config")
            continue
        if table is None or not table.rows:
            continue
        rowid, value = table.rows[0][0], table.rows[0][1]
        line = _line_of_row(csv_path, delimiter, int(rowid))
        return DatabaseError(
            f"{label}: value {value!r} in column {col.name!r} (data row {int(rowid) + 1}) cannot be loaded "
            f"as {sql_type}", span=Span(str(csv_path), line),
            hint=_FULL_REFRESH_HINT + " if the column's type changed, or fix the value or the column_types config")
    return DatabaseError(f"could not load {label}: {exc.message}", span=Span(str(csv_path)))


def _line_of_row(csv_path: Path, delimiter: str, row_index: int) -> int | None:
    """The 1-based line where data row ``row_index`` (0-based, header excluded) starts; error path only."""
    if len(delimiter) != 1:
        return None
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, quotechar='"')
            ended = 0
            seen = -1  # the header is record -1
            for record in reader:
                start = ended + 1
                ended = reader.line_num
                if not record:
                    continue
                if seen == row_index:
                    return start
                seen += 1
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None

