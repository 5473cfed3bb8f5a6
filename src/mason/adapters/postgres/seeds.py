"""The SQL a seed load runs on PostgreSQL.

The file goes into the all-text staging table with COPY (streamed from the client, so the server needs no
access to the file); type inference and the typed load follow the seed load (execute/seeds.py). PostgreSQL has no
`try_cast`, so every test is a regular expression plus range checks computed without any cast that could
fail (a CASE guards each cast); dates and times are then checked by the server's own parser
(`pg_input_is_valid`, PostgreSQL 16+) or by calendar arithmetic (older servers). Values are cast only after
their format was verified, so the session's DateStyle does not matter. Types are those dbt-postgres gives seeds: integer (bigint, numeric past 64 bits),
double precision, date, timestamp without time zone, boolean, text.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mason.adapters import seed_types as st
from mason.adapters.relation import Relation
from mason.adapters.seed_sql import SeedColumn, SeedSQL, sql_literal
from mason.errors import ParseError, Span

_TYPES = {"INTEGER": "integer", "BIGINT": "bigint", "HUGEINT": "numeric", "DOUBLE": "double precision",
          "DATE": "date", "TIMESTAMP": "timestamp without time zone", "BOOLEAN": "boolean", "VARCHAR": "text"}
ROW = "__mason_row"  # the staging table's line counter (COPY fills it in file order)

_INT = r"^[+-]?[0-9]+(_[0-9]+)*$"
_DIGITS = r"[0-9]+(_[0-9]+)*"
_NUMBER = rf"^[+-]?(({_DIGITS}(\.({_DIGITS})?)?|\.{_DIGITS})([eE][+-]?[0-9]+)?|inf|infinity|nan)$"
_FINITE = rf"^[+-]?(({_DIGITS}(\.({_DIGITS})?)?|\.{_DIGITS})([eE][+-]?[0-9]+)?)$"
_DATE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}$"
_ISO = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
        r"([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)?$")
_OFFSET = r"([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"


def _valid_ymd(y: str, m: str, d: str) -> str:
    """SQL: the integers y, m, d make a real calendar date (year 1 onwards)."""
    leap = f"(({y}) % 4 = 0 and ({y}) % 100 <> 0 or ({y}) % 400 = 0)"
    days = (f"(case when ({m}) in (4, 6, 9, 11) then 30 when ({m}) = 2 then "
            f"(case when {leap} then 29 else 28 end) else 31 end)")
    return f"(({y}) >= 1 and ({m}) between 1 and 12 and ({d}) between 1 and {days})"


class PostgresSeedSQL(SeedSQL):
    CSV_ERROR_LINE = re.compile(r"COPY [^,]+, line (\d+)")
    OPTIMISTIC = True  # a verifying scan costs as much as the load itself here
    VIEW_STAGE = False  # the file is COPYed in: a view cannot read it

    def __init__(self, adapter: Any) -> None:
        super().__init__(adapter)
        self.server_version_num = int(getattr(adapter, "server_version_num", 0))
        self._index: dict[str, int] = {}

    def sql_type(self, duckdb_type: str) -> str:
        return _TYPES.get(duckdb_type.upper(), duckdb_type)

    def column_name(self, name: str, quote_columns: bool | None) -> str:
        # like dbt: quoted unless the seed says quote_columns: false (then PostgreSQL folds it to lower case)
        return name if quote_columns is False else self.quote(name)

    def stage_name(self) -> str:
        return self.quote(f"mason_seed_stage_{uuid.uuid4().hex[:16]}")

    def load_stage(self, adapter: Any, stage: str, csv_path: Path, header: Sequence[str],
                   delimiter: str) -> int | None:
        if len(delimiter.encode()) != 1:
            raise ParseError(f"seed file {csv_path}: PostgreSQL loads CSV with a one-character delimiter, not "
                             f"{delimiter!r}", span=Span(str(csv_path)), hint="change the seed's delimiter config")
        self._index = {name: i for i, name in enumerate(header)}
        cols = ", ".join(f"{self.quote(name)} text" for name in header)
        adapter.execute(f"create temporary table {stage} ({self.quote(ROW)} bigint generated always as identity, "
                        f"{cols})")
        return int(adapter.copy_csv(f"{stage} ({', '.join(self.quote(n) for n in header)})", csv_path, delimiter))

    # -- the staging rows, each value normalised once
    def _v(self, name: str) -> str:
        """The column's text, NULL where it spells null."""
        return f"v{self._index[name]}"

    def _t(self, name: str) -> str:
        """The column's trimmed text, NULL where it spells null."""
        return f"t{self._index[name]}"

    def _source(self, stage: str, sample: int | None = None) -> str:
        """The staging table with every column as v<i> (text) and t<i> (trimmed), NULL where the value spells
        null, computed once per row (`offset 0` keeps the planner from repeating them in every expression).
        Null spellings are matched in every letter case with a hashed IN list: no lower() per value."""
        spellings = sorted({"".join(c) for word in st.NULL_SPELLINGS
                            for c in itertools.product(*[(ch.lower(), ch.upper()) for ch in word])})
        nulls = ", ".join(sql_literal(x) for x in spellings)
        row = self.quote(ROW)
        inner = [row] + [f"{self.quote(name)} as r{i}, trim({self.quote(name)}) as u{i}"
                         for name, i in self._index.items()]
        outer = [row] + [f"case when u{i} in ({nulls}) then null else r{i} end as v{i}, "
                         f"case when u{i} in ({nulls}) then null else u{i} end as t{i}"
                         for i in self._index.values()]
        tail = f" limit {int(sample)}" if sample is not None else " offset 0"
        return f"(select {', '.join(outer)} from (select {', '.join(inner)} from {stage}{tail}) as r offset 0) as s"

    # -- inference
    def _guard(self, pattern: str, t: str, then: str) -> str:
        """`then` (which may cast) only where `t` matches `pattern`; false elsewhere, NULL for NULL."""
        return f"(case when {t} is null then null when {t} ~ {sql_literal(pattern)} then {then} else false end)"

    def _int_fits(self, t: str, lo: int, hi: int) -> str:
        """Whether the value, an integer or a whole number (``100.00``), lies between lo and hi."""
        return self._guard(_FINITE, t, f"(cast(replace({t}, '_', '') as numeric) between {lo} and {hi})")

    def facts_query(self, stage: str, names: Sequence[str], sample: int | None = None) -> str:
        items = ["count(*)"]
        for name in names:
            t = self._t(name)

            def all_(cond: str) -> str:
                return f"coalesce(bool_and({cond}), true)"

            items += [
                f"count({t})",
                all_(self._test(st.INTEGER, t)),
                all_(self._int_fits(t, st.INT32_MIN, st.INT32_MAX)),
                all_(self._int_fits(t, st.INT64_MIN, st.INT64_MAX)),
                all_(self._int_fits(t, -(2 ** 127), 2 ** 127 - 1)),
                all_(self._test(st.NUMBER, t)),
                all_(self._test(st.DATE, t)),
                all_(self._test(st.DATETIME, t)),
                all_(self._test(st.ISO_DATETIME, t)),
                all_(self._test(st.BOOLEAN, t)),
                f"coalesce(bool_or({t} ~ {sql_literal(_OFFSET)}), false)",
                all_(self._test(st.INTEGRAL, t)),
            ]
        return f"select {', '.join(items)} from {self._source(stage, sample)}"

    def _test(self, kind: str, t: str) -> str:
        """True when the trimmed text ``t`` is a value of ``kind`` (NULL when ``t`` is NULL)."""
        if kind == st.INTEGER:
            return f"({t} ~ {sql_literal(_INT)})"
        if kind == st.NUMBER:
            if self.server_version_num >= 160000:
                return (f"(case when {t} is null then null when lower(translate({t}, '0123456789_.eE+-', '')) "
                        f"in ('', 'inf', 'infinity', 'nan') then "
                        f"pg_input_is_valid(replace({t}, '_', ''), 'float8') else false end)")
            return f"({t} ~* {sql_literal(_NUMBER)})"
        if kind == st.INTEGRAL:  # numeric is exact: no double rounding decides whether a value is whole
            n = f"cast(replace({t}, '_', '') as numeric)"
            return self._guard(_FINITE, t, f"(abs({n}) < {st.INTEGRAL_LIMIT} and {n} = trunc({n}))")
        if kind == st.BOOLEAN:
            return f"(lower({t}) in ('true', 'false'))"
        if kind not in (st.DATE, st.DATETIME, st.ISO_DATETIME):
            return "true"
        pattern = {st.DATE: _DATE, st.DATETIME: _DATETIME, st.ISO_DATETIME: _ISO}[kind]
        if self.server_version_num >= 160000:  # the server's own parser says whether the value is real
            valid = {st.DATE: f"pg_input_is_valid({t}, 'date')",
                     st.DATETIME: f"pg_input_is_valid({t}, 'timestamp')",
                     st.ISO_DATETIME: f"pg_input_is_valid(replace({t}, ',', '.'), 'timestamptz')"}[kind]
            # the layout, checked without a regular expression where one is slow
            digits = f"translate({t}, '0123456789', '')"
            layout = {st.DATE: f"({digits} = '--' and strpos({t}, '-') = 5)",
                      st.DATETIME: f"({digits} = '-- ::' and strpos({t}, '-') = 5)",
                      st.ISO_DATETIME: f"(substr({t}, 11, 1) = 'T' and {t} ~ {sql_literal(_ISO)})"}[kind]
            return f"(case when {t} is null then null when {layout} then {valid} else false end)"
        return self._guard(pattern, t, self._calendar_check(kind, t))

    def _calendar_check(self, kind: str, t: str) -> str:
        """Before PostgreSQL 16: the date and time fields are in range, computed without a failing cast."""
        if kind == st.DATE:
            return _valid_ymd(*[f"cast(split_part({t}, '-', {i}) as integer)" for i in (1, 2, 3)])
        if kind == st.DATETIME:
            day, clock = f"split_part({t}, ' ', 1)", f"split_part({t}, ' ', 2)"
            ymd = [f"cast(split_part({day}, '-', {i}) as integer)" for i in (1, 2, 3)]
            hms = [f"cast(split_part({clock}, ':', {i}) as integer)" for i in (1, 2, 3)]
            return f"({_valid_ymd(*ymd)} and {hms[0]} < 24 and {hms[1]} < 60 and {hms[2]} < 60)"
        ymd = [f"cast(substr({t}, {a}, {n}) as integer)" for a, n in ((1, 4), (6, 2), (9, 2))]
        hour, minute = f"cast(substr({t}, 12, 2) as integer)", f"cast(substr({t}, 15, 2) as integer)"
        second = f"(case when substr({t}, 17, 1) = ':' then cast(substr({t}, 18, 2) as integer) else 0 end)"
        return f"({_valid_ymd(*ymd)} and {hour} < 24 and {minute} < 60 and {second} < 60)"

    def verify_query(self, stage: str, candidates: Sequence[tuple[str, str]]) -> str:
        items = ["count(*)"]
        for name, kind in candidates:
            t = self._t(name)
            ok = f"coalesce(bool_and({self._test(kind, t)}), true)"
            if kind == st.INTEGER:
                # values of up to 9 digits fit 32 bits whatever they are: only longer ones are converted to find
                # the extremes that decide between integer, bigint and numeric
                long = f"case when length(replace({t}, '_', '')) > 9 and {t} ~ {sql_literal(_INT)} then " \
                       f"cast(replace({t}, '_', '') as numeric) end"
                items += [ok, f"min({long})", f"max({long})"]
            elif kind == st.INTEGRAL:
                n = f"case when {t} ~ {sql_literal(_FINITE)} then cast(replace({t}, '_', '') as numeric) end"
                items += [ok, f"min({n})", f"max({n})"]
            elif kind == st.ISO_DATETIME:
                items += [ok, f"coalesce(bool_or({t} ~ {sql_literal(_OFFSET)}), false)", "null"]
            else:
                items += [ok, "null", "null"]
        return f"select {', '.join(items)} from {self._source(stage)}"

    # -- values
    def value(self, col: SeedColumn) -> str:
        if not col.guarded or col.kind in (st.TEXT, st.OVERRIDE):
            return self._value(col)
        t = self._t(col.name)
        # a value that is not of the kind stops the load with an error (a division by zero the planner cannot
        # fold, since it depends on the row); the load is then redone after a verifying scan
        fail = f"cast(cast(1 / (length({t}) * 0) as text) as {col.sql_type})"
        return f"(case when {t} is null then null when {self._test(col.kind, t)} then {self._value(col)} else {fail} end)"

    def _value(self, col: SeedColumn) -> str:
        raw, t = self._v(col.name), self._t(col.name)
        if col.kind == st.INTEGER:
            return f"cast(replace({t}, '_', '') as {col.sql_type})"
        if col.kind == st.INTEGRAL:
            return f"cast(cast(replace({t}, '_', '') as numeric) as {col.sql_type})"
        if col.kind == st.NUMBER:
            return f"cast(replace({t}, '_', '') as double precision)"
        if col.kind == st.DATE:  # verified to be Y-M-D: unambiguous whatever the DateStyle
            return f"cast({t} as date)"
        if col.kind == st.DATETIME:
            return f"cast({t} as timestamp)"
        if col.kind == st.ISO_DATETIME:
            text = f"replace({t}, ',', '.')"
            if col.has_offset:
                return (f"(case when {t} ~ {sql_literal(_OFFSET)} then (cast({text} as timestamptz) at time zone 'UTC') "
                        f"else cast({text} as timestamp) end)")
            return f"cast({text} as timestamp)"
        if col.kind == st.BOOLEAN:
            return f"(lower({t}) = 'true')"
        if col.kind == st.TEXT:
            return f"cast({raw} as text)"
        return raw

    def first_bad_value(self, stage: str, col: SeedColumn, expr: str, sql_type: str) -> str | None:
        if self.server_version_num < 160000:  # pg_input_is_valid arrived in PostgreSQL 16
            return None
        row = self.quote(ROW)
        return (f"select {row} - 1, {self._v(col.name)} from {self._source(stage)} where {expr} is not null and "
                f"not pg_input_is_valid(cast({expr} as text), {sql_literal(sql_type)}) order by {row} limit 1")

    # -- writing
    def create_table(self, relation: Relation, select_list: str, stage: str, empty: bool) -> str:
        where = " where false" if empty else ""
        return f"create table {relation.render()} as select {select_list} from {self._source(stage)}{where}"

    def replace_rows(self, relation: Relation, names: str, select_list: str, stage: str, empty: bool) -> list[str]:
        where = " where false" if empty else ""
        return [f"truncate table {relation.render()}",
                f"insert into {relation.render()} ({names}) select {select_list} from {self._source(stage)}{where}"]
