"""The SQL a seed load runs on a warehouse, in the spelling DuckDB reads (the common one)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.adapters import seed_types as st
from mason.adapters.relation import Relation


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class SeedColumn:
    name: str  # as in the CSV header
    kind: str  # a seed_types kind
    sql_type: str  # the type the column gets on create
    has_offset: bool = False  # ISO datetimes carrying a UTC offset
    guarded: bool = False  # kind inferred from the first rows only: a value of another kind must fail the load


class SeedSQL:
    """The SQL a seed load (execute/seeds.py) runs, in the common spelling: DuckDB uses it as it is, other
    warehouses subclass it in their folder."""

    _INT_RE = "[+-]?[0-9]+(_[0-9]+)*"
    _ISO_RE = (
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
        "([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)?"
    )
    _OFFSET_RE = "([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"

    def __init__(self, adapter: Any) -> None:
        self.quote = adapter.quote

    # -- names
    def column_name(self, name: str, quote_columns: bool | None) -> str:
        # DuckDB keeps the case of unquoted identifiers too, so quoting always only protects odd names.
        return self.quote(name)

    def stage_name(self) -> str:
        return self.quote(f"mason_seed_stage_{uuid.uuid4().hex[:16]}")

    # -- reading the file
    def create_stage(self, stage: str, csv_path: Path, header: Sequence[str], delimiter: str) -> str:
        cols = ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in header)
        return (
            f"create temp table {stage} as select * from read_csv({sql_literal(str(csv_path))}, "
            f"auto_detect = false, header = true, delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"', "
            f"comment = '', skip = 0, strict_mode = true, null_padding = false, ignore_errors = false, "
            f"columns = {{{cols}}})"
        )

    # Load with the kinds inferred from the first rows, each value checked as it is converted (one pass over
    # the rows); only when that load fails are the kinds verified over every row and the load repeated.
    OPTIMISTIC = False
    # A seed whose every column has a configured type can be read straight from the file through a view.
    VIEW_STAGE = True

    def load_stage(self, adapter: Any, stage: str, csv_path: Path, header: Sequence[str],
                   delimiter: str) -> int | None:
        """Create the all-text staging table `stage` holding the file's rows; the row count when known."""
        adapter.execute(self.create_stage(stage, csv_path, header, delimiter))
        return None

    # A seed whose every column has a configured type is read by the CSV reader straight into those types,
    # the NULL spellings given to it (see _direct); VIEW_STAGE is the careful way when that is in doubt.
    DIRECT_TYPED = True
    NULL_CASES = tuple(sorted({"".join(ch.upper() if (i >> k) & 1 else ch for k, ch in enumerate("null"))
                               for i in range(16)}))

    def create_typed_view(self, stage: str, csv_path: Path, header: Sequence[str], types: dict[str, str],
                          delimiter: str) -> str:
        cols = ", ".join(f"{sql_literal(name)}: {sql_literal(types[name])}" for name in header)
        nulls = ", ".join(sql_literal(s) for s in ("", *self.NULL_CASES))
        return (
            f"create temp view {stage} as select * from read_csv({sql_literal(str(csv_path))}, "
            f"auto_detect = false, header = true, delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"', "
            f"comment = '', skip = 0, strict_mode = true, null_padding = false, ignore_errors = false, "
            f"nullstr = [{nulls}], columns = {{{cols}}})"
        )

    def create_stage_view(self, stage: str, csv_path: Path, header: Sequence[str], delimiter: str) -> str:
        """The file as a view: for a seed whose every column has a configured type, read in one pass."""
        return self.create_stage(stage, csv_path, header, delimiter).replace(
            "create temp table", "create temp view", 1)

    def drop_stage(self, stage: str) -> str:
        return f"drop table if exists {stage}"

    def drop_stage_view(self, stage: str) -> str:
        return f"drop view if exists {stage}"

    def count_rows(self, relation: Relation) -> str:
        return f"select count(*) from {relation.render()}"

    # the line number in the warehouse's CSV reader errors
    CSV_ERROR_LINE = re.compile(r"Line:\s*(\d+)")

    def sql_type(self, duckdb_type: str) -> str:
        """The warehouse's name for a type seed inference picked (given in DuckDB's spelling)."""
        return duckdb_type

    # -- inference
    def _trimmed(self, name: str) -> str:
        return f"trim({self.quote(name)})"

    def _present(self, name: str) -> str:
        nulls = ", ".join(sql_literal(s) for s in st.NULL_SPELLINGS)
        return f"(lower(trim({self.quote(name)})) not in ({nulls}))"

    def facts_query(self, stage: str, names: Sequence[str], sample: int | None = None) -> str:
        """Every inference fact for ``names``, over the whole stage or its first ``sample`` rows."""
        items = ["count(*)"]
        for name in names:
            t = self._trimmed(name)
            where = f" filter (where {self._present(name)})"

            def all_(cond: str, where: str = where) -> str:
                return f"coalesce(bool_and({cond}){where}, true)"

            items += [
                f"count(*){where}",
                all_(self._test(st.INTEGER, t)),
                all_(f"try_cast({t} as INTEGER) is not null"),
                all_(f"try_cast({t} as BIGINT) is not null"),
                all_(f"try_cast({t} as HUGEINT) is not null"),
                all_(self._test(st.NUMBER, t)),
                all_(self._test(st.DATE, t)),
                all_(self._test(st.DATETIME, t)),
                all_(self._test(st.ISO_DATETIME, t)),
                all_(self._test(st.BOOLEAN, t)),
                f"coalesce(bool_or(regexp_matches({t}, {sql_literal(self._OFFSET_RE)})){where}, false)",
                all_(self._test(st.INTEGRAL, t)),
            ]
        source = stage if sample is None else f"(select * from {stage} limit {int(sample)})"
        return f"select {', '.join(items)} from {source}"

    FACTS_PER_COLUMN = 12

    @staticmethod
    def parse_facts(row: Sequence[Any]) -> tuple[st.ColumnFacts, bool]:
        n, integer, i32, i64, i128, number, date, dt, iso, boolean, offset, integral = row
        facts = st.ColumnFacts(int(n), bool(integer), bool(i32), bool(i64), bool(i128), bool(number),
                               bool(date), bool(dt), bool(iso), bool(boolean), bool(integral))
        return facts, bool(offset)

    def _test(self, kind: str, t: str) -> str:
        """True when the (trimmed, non-null) text ``t`` is a value of ``kind``."""
        if kind == st.INTEGER:
            return f"regexp_full_match({t}, {sql_literal(self._INT_RE)})"
        if kind == st.NUMBER:
            return f"try_cast({t} as DOUBLE) is not null"
        if kind == st.INTEGRAL:
            d = f"try_cast({t} as DOUBLE)"
            return f"coalesce(abs({d}) < {st.INTEGRAL_LIMIT} and {d} = floor({d}), false)"
        if kind == st.DATE:
            return f"try_strptime({t}, '%Y-%m-%d') is not null"
        if kind == st.DATETIME:
            return f"try_strptime({t}, '%Y-%m-%d %H:%M:%S') is not null"
        if kind == st.ISO_DATETIME:
            return (f"regexp_full_match({t}, {sql_literal(self._ISO_RE)}) and try_cast("
                    f"regexp_replace({t}, {sql_literal(self._OFFSET_RE)}, '') as TIMESTAMP) is not null")
        if kind == st.BOOLEAN:
            return f"lower({t}) in ('true', 'false')"
        return "true"

    VERIFY_WIDTH = 3

    def verify_query(self, stage: str, candidates: Sequence[tuple[str, str]]) -> str:
        """Per (name, kind): (every value is of the kind, then two kind-specific facts), and the row count.

        INTEGER gives the smallest and largest value; ISO_DATETIME whether any value carries an offset.
        """
        items = ["count(*)"]
        for name, kind in candidates:
            t = self._trimmed(name)
            where = f" filter (where {self._present(name)})"
            if kind in (st.INTEGER, st.INTEGRAL):
                ok = f"{self._test(kind, t)} and try_cast({t} as HUGEINT) is not null"
                items += [f"coalesce(bool_and({ok}){where}, true)",
                          f"min(try_cast({t} as HUGEINT)){where}", f"max(try_cast({t} as HUGEINT)){where}"]
            elif kind == st.ISO_DATETIME:
                items += [f"coalesce(bool_and({self._test(kind, t)}){where}, true)",
                          f"coalesce(bool_or(regexp_matches({t}, {sql_literal(self._OFFSET_RE)})){where}, false)", "null"]
            else:
                items += [f"coalesce(bool_and({self._test(kind, t)}){where}, true)", "null", "null"]
        return f"select {', '.join(items)} from {stage}"

    # -- values
    def value(self, col: SeedColumn) -> str:
        """The column's value, typed by its kind; never fails for an inferred kind."""
        q = self.quote(col.name)
        nulls = ", ".join(sql_literal(s) for s in st.NULL_SPELLINGS)
        raw = f"(case when lower(trim({q})) in ({nulls}) then null else {q} end)"
        t = f"trim({raw})"
        if col.kind == st.DIRECT:
            return q
        if col.kind in (st.INTEGER, st.INTEGRAL):  # DuckDB reads '100.00' and '1e3' as integers exactly
            return f"cast({t} as {col.sql_type})"
        if col.kind == st.NUMBER:
            return f"cast({t} as DOUBLE)"
        if col.kind == st.DATE:
            return f"cast(strptime({t}, '%Y-%m-%d') as DATE)"
        if col.kind == st.DATETIME:
            return f"cast(strptime({t}, '%Y-%m-%d %H:%M:%S') as TIMESTAMP)"
        if col.kind == st.ISO_DATETIME:
            if col.has_offset:
                return (f"(case when regexp_matches({t}, {sql_literal(self._OFFSET_RE)}) "
                        f"then timezone('UTC', cast({t} as TIMESTAMPTZ)) else cast({t} as TIMESTAMP) end)")
            return f"cast({t} as TIMESTAMP)"
        if col.kind == st.BOOLEAN:
            return f"(lower({t}) = 'true')"
        if col.kind == st.TEXT:
            return f"cast({raw} as VARCHAR)"
        return raw  # OVERRIDE: the text, for the database to cast to the configured type

    def cast(self, expr: str, sql_type: str) -> str:
        return f"cast({expr} as {sql_type})"

    def first_bad_value(self, stage: str, col: SeedColumn, expr: str, sql_type: str) -> str | None:
        return (f"select rowid, {self.quote(col.name)} from {stage} "
                f"where {expr} is not null and try_cast({expr} as {sql_type}) is null order by rowid limit 1")

    # -- writing
    def create_schema(self, relation: Relation) -> str:
        return f"create schema if not exists {relation.include(identifier=False).render()}"

    def create_table(self, relation: Relation, select_list: str, stage: str, empty: bool) -> str:
        where = " where false" if empty else ""
        return f"create table {relation.render()} as select {select_list} from {stage}{where}"

    def replace_rows(self, relation: Relation, names: str, select_list: str, stage: str, empty: bool) -> list[str]:
        where = " where false" if empty else ""
        return [
            f"delete from {relation.render()}",
            f"insert into {relation.render()} ({names}) select {select_list} from {stage}{where}",
        ]
