"""The built-in `dbt` macro library: rendered through the real Jinja runtime and executed on DuckDB.

Postgres and Spark variants cannot be executed here; their SQL is checked for the fragments those engines
need, and where DuckDB also understands the Postgres form it is executed too.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

import mason
from mason.adapters.relation import Relation, relation_factory
from mason.jinja.environment import MacroException
from mason.jinja.macros import MacroFile, MacroIndex, MacroRuntime
from mason.jinja.parse_context import ParseAdapter, Recorder, parse_context
from mason.nodes.nodes import Macro
from mason.parse.files import read_files
from mason.parse.macros import parse_macro_file

MACRO_DIR = Path(mason.__file__).resolve().parent / "jinja" / "macros"
TARGET = {"schema": "main", "database": "memory", "name": "dev", "type": "duckdb"}


def _load(package: str, root: Path) -> tuple[list[Macro], dict[str, MacroFile]]:
    macros: list[Macro] = []
    files: dict[str, MacroFile] = {}
    for source in read_files(package, root, (".",), (".sql",)):
        found, mfile = parse_macro_file(source)
        macros.extend(found)
        files[mfile.file_id] = mfile
    return macros, files


@functools.cache
def _builtin() -> tuple[tuple[Macro, ...], tuple[tuple[str, MacroFile], ...]]:
    macros, files = _load("dbt", MACRO_DIR)
    return tuple(macros), tuple(files.items())


def make_index(adapter: str, root_macros: Path | None = None) -> MacroIndex:
    builtin, builtin_files = _builtin()
    macros = list(builtin)
    files = dict(builtin_files)
    if root_macros is not None:
        extra, extra_files = _load("proj", root_macros)
        macros.extend(extra)
        files.update(extra_files)
    return MacroIndex(macros, files, "proj", ["proj", "dbt"], adapter)


def make_runtime(adapter: str = "duckdb", *, target: Mapping[str, Any] | None = None,
                 known_config: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
                 root_macros: Path | None = None) -> MacroRuntime:
    tgt = dict(target or TARGET)
    tgt["type"] = adapter
    return parse_context(
        index=make_index(adapter, root_macros),
        package="proj",
        root_package="proj",
        target=tgt,
        cli_vars={},
        root_vars={},
        package_vars=None,
        env={},
        make_relation=relation_factory(adapter),
        recorder=Recorder(),
        known_config=dict(known_config or {}),
        node_info={},
        flags=None,
        extra=extra,
    )


def render(sql: str, adapter: str = "duckdb", **kwargs: Any) -> Any:
    return make_runtime(adapter, **kwargs).render(sql, "test.sql", "proj")


def flat(sql: str) -> str:
    return " ".join(str(sql).split())


@pytest.fixture()
def con() -> Any:
    connection = duckdb.connect()
    yield connection
    connection.close()


def one(con: Any, sql: str) -> tuple[Any, ...]:
    rows = con.sql(sql).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def rows(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return con.sql(sql).fetchall()


def d(text: str) -> str:
    """A SQL date literal expression."""
    return f"cast('{text}' as date)"


def ts(text: str) -> str:
    return f"cast('{text}' as timestamp)"


# --------------------------------------------------------------------------------------------------
# the library loads


EXPECTED = [
    "test_unique", "test_not_null", "test_accepted_values", "test_relationships", "get_where_subquery",
    "default__test_unique", "default__test_not_null", "default__test_accepted_values",
    "default__test_relationships", "default__get_where_subquery",
    "generate_schema_name", "generate_alias_name", "generate_database_name", "generate_schema_name_for_env",
    "type_string", "type_timestamp", "type_float", "type_numeric", "type_bigint", "type_int", "type_boolean",
    "date_trunc", "dateadd", "datediff", "last_day", "date_spine", "generate_series", "get_powers_of_two",
    "get_intervals_between", "current_timestamp", "current_timestamp_backcompat",
    "current_timestamp_in_utc_backcompat", "concat", "hash", "length", "position", "replace", "right",
    "split_part", "safe_cast", "cast", "cast_bool_to_text", "string_literal", "escape_single_quotes", "listagg",
    "any_value", "bool_or", "except", "intersect", "array_construct", "array_append", "array_concat", "equals",
    "date",
]


def test_library_defines_every_documented_macro() -> None:
    index = make_index("duckdb")
    names = set(index.by_package["dbt"])
    missing = [n for n in EXPECTED if n not in names]
    assert missing == []
    # every non-default macro that dispatches has a default implementation
    for name in EXPECTED:
        if name.startswith(("test_", "default__", "generate_schema_name_for_env")):
            continue
        assert f"default__{name}" in names, name
    assert "is_incremental" not in names
    assert not any(n.startswith("materialization_") for n in names)


def test_every_macro_file_compiles() -> None:
    runtime = make_runtime()
    index = runtime.index
    for macro in index.by_package["dbt"].values():
        # loading the module compiles the whole file
        assert runtime.module(macro) is not None


# --------------------------------------------------------------------------------------------------
# dates


def test_dateadd_duckdb_executes(con: Any) -> None:
    sql = render(f"select cast({{{{ dbt.dateadd('day', 3, \"{d('2024-01-30')}\") }}}} as date)")
    assert one(con, sql) == (datetime.date(2024, 2, 2),)
    cases = [
        ("month", 1, d("2024-01-31"), datetime.date(2024, 2, 29)),
        ("year", -1, d("2024-02-29"), datetime.date(2023, 2, 28)),
        ("quarter", 1, d("2024-01-15"), datetime.date(2024, 4, 15)),
        ("week", 2, d("2024-01-01"), datetime.date(2024, 1, 15)),
        ("day", -1, d("2024-03-01"), datetime.date(2024, 2, 29)),
    ]
    for part, n, start, expected in cases:
        sql = render(f"select cast({{{{ dbt.dateadd('{part}', {n}, \"{start}\") }}}} as date)")
        assert one(con, sql) == (expected,), (part, sql)
    sql = render(f"select {{{{ dbt.dateadd('hour', 30, \"{ts('2024-01-01 10:00:00')}\") }}}}")
    assert one(con, sql) == (datetime.datetime(2024, 1, 2, 16, 0),)
    # keyword arguments and a SQL expression as the interval
    sql = render(
        "select cast({{ dbt.dateadd(datepart='day', interval='n * 2', from_date_or_timestamp=\"" + d("2024-01-01")
        + "\") }} as date) from (select 5 as n) t"
    )
    assert one(con, sql) == (datetime.date(2024, 1, 11),)


def test_dateadd_postgres_and_spark_sql(con: Any) -> None:
    pg = render(f"{{{{ dbt.dateadd('quarter', 2, \"{d('2024-01-15')}\") }}}}", "postgres")
    assert "interval '3 month'" in pg and "* (2)" in pg
    # DuckDB understands the Postgres form too
    assert one(con, f"select cast({pg} as date)") == (datetime.date(2024, 7, 15),)
    spark = render("{{ dbt.dateadd('day', 3, 'order_date') }}", "spark")
    assert flat(spark) == "timestampadd(DAY, 3, order_date)"


def test_datediff_duckdb_executes(con: Any) -> None:
    cases = [
        ("day", "2024-01-30", "2024-02-02", 3),
        ("day", "2024-02-02", "2024-01-30", -3),
        ("month", "2024-01-31", "2024-03-01", 2),
        ("year", "2023-12-31", "2024-01-01", 1),
        ("quarter", "2024-03-31", "2024-04-01", 1),
        ("hour", "2024-01-01 10:59:00", "2024-01-01 11:01:00", 1),
        ("minute", "2024-01-01 10:59:59", "2024-01-01 11:00:01", 1),
        ("second", "2024-01-01 10:00:00", "2024-01-01 10:01:00", 60),
    ]
    for part, a, b, expected in cases:
        sql = render(f"select {{{{ dbt.datediff(\"'{a}'\", \"'{b}'\", '{part}') }}}}")
        assert one(con, sql) == (expected,), (part, sql)


def test_datediff_postgres_counts_boundaries(con: Any) -> None:
    cases = [
        ("day", "2024-01-30 23:00:00", "2024-02-02 01:00:00", 3),
        ("week", "2024-01-06", "2024-01-08", 1),  # Saturday -> Monday crosses a week boundary
        ("week", "2024-01-01", "2024-01-29", 4),
        ("month", "2024-01-31", "2024-03-01", 2),
        ("quarter", "2023-11-15", "2024-04-01", 2),
        ("year", "2020-06-01", "2024-01-01", 4),
        ("hour", "2024-01-01 10:59:00", "2024-01-01 12:01:00", 2),
        ("minute", "2024-01-01 10:59:59", "2024-01-01 11:00:01", 1),
        ("second", "2024-01-01 10:00:00.9", "2024-01-01 10:00:02.1", 2),
    ]
    for part, a, b, expected in cases:
        sql = render(f"select {{{{ dbt.datediff(\"'{a}'\", \"'{b}'\", '{part}') }}}}", "postgres")
        assert "::timestamp" in sql
        assert one(con, sql) == (expected,), (part, sql)
    with pytest.raises(MacroException, match="unsupported datepart"):
        render("{{ dbt.datediff('a', 'b', 'fortnight') }}", "postgres")


def test_datediff_spark_sql() -> None:
    day = flat(render("{{ dbt.datediff('a', 'b', 'day') }}", "spark"))
    assert day == "datediff(cast(cast(b as timestamp) as date), cast(cast(a as timestamp) as date))"
    month = flat(render("{{ dbt.datediff('a', 'b', 'month') }}", "spark"))
    assert "year(cast(b as timestamp)) - year(cast(a as timestamp))" in month
    assert "* 12 + month(cast(b as timestamp)) - month(cast(a as timestamp))" in month
    hour = flat(render("{{ dbt.datediff('a', 'b', 'hour') }}", "spark"))
    assert "unix_timestamp(date_trunc('hour', cast(b as timestamp)))" in hour and "/ 3600" in hour
    assert "::" not in day + month + hour


def test_date_trunc(con: Any) -> None:
    for part, expected in [("month", datetime.date(2024, 2, 1)), ("quarter", datetime.date(2024, 1, 1)),
                           ("year", datetime.date(2024, 1, 1)), ("week", datetime.date(2024, 2, 12))]:
        sql = render(f"select cast({{{{ dbt.date_trunc('{part}', \"{d('2024-02-14')}\") }}}} as date)")
        assert one(con, sql) == (expected,)
    assert flat(render("{{ dbt.date_trunc('month', 'x') }}", "spark")) == "date_trunc('month', x)"
    assert flat(render("{{ dbt.date_trunc('month', 'x') }}", "postgres")) == "date_trunc('month', x)"


def test_last_day(con: Any) -> None:
    for adapter in ("duckdb", "postgres"):
        for part, day, expected in [
            ("month", "2024-02-10", datetime.date(2024, 2, 29)),
            ("month", "2023-12-31", datetime.date(2023, 12, 31)),
            ("quarter", "2024-02-10", datetime.date(2024, 3, 31)),
            ("year", "2024-02-10", datetime.date(2024, 12, 31)),
        ]:
            sql = render(f"select {{{{ dbt.last_day(\"{d(day)}\", '{part}') }}}}", adapter)
            assert one(con, sql) == (expected,), (adapter, part, sql)
    assert flat(render("{{ dbt.last_day('x', 'month') }}", "spark")) == "last_day(x)"
    spark_q = flat(render("{{ dbt.last_day('x', 'quarter') }}", "spark"))
    assert spark_q.startswith("cast(timestampadd(DAY, -1, timestampadd(QUARTER, 1, date_trunc('quarter', x)))")


def test_date_spine_days_end_exclusive(con: Any) -> None:
    sql = render(f"{{{{ dbt.date_spine('day', \"{d('2024-01-30')}\", \"{d('2024-02-02')}\") }}}}")
    result = con.sql(sql)
    assert result.columns == ["date_day"]
    assert [r[0].date() for r in result.fetchall()] == [
        datetime.date(2024, 1, 30), datetime.date(2024, 1, 31), datetime.date(2024, 2, 1)
    ]


def test_date_spine_other_dateparts(con: Any) -> None:
    months = rows(con, render(f"{{{{ dbt.date_spine('month', \"{d('2024-01-01')}\", \"{d('2024-04-01')}\") }}}}"))
    assert [r[0].date() for r in months] == [datetime.date(2024, m, 1) for m in (1, 2, 3)]
    quarters = con.sql(render(f"{{{{ dbt.date_spine('quarter', \"{d('2023-01-01')}\", \"{d('2024-01-01')}\") }}}}"))
    assert quarters.columns == ["date_quarter"]
    assert [r[0].date() for r in quarters.fetchall()] == [datetime.date(2023, m, 1) for m in (1, 4, 7, 10)]
    empty = rows(con, render(f"{{{{ dbt.date_spine('day', \"{d('2024-01-01')}\", \"{d('2024-01-01')}\") }}}}"))
    assert empty == []
    # used as a CTE, the way packages use it
    wrapped = render(
        f"with spine as ({{{{ dbt.date_spine('day', \"{d('2024-01-01')}\", \"{d('2024-01-11')}\") }}}}) "
        "select count(*), min(date_day), max(date_day) from spine"
    )
    assert one(con, wrapped) == (10, datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 10))


def test_date_spine_duckdb_leaves_out_a_partial_last_period_as_dbt_duckdb_does(con: Any) -> None:
    # dbt-duckdb 1.11 builds datediff('week', start, end) = 4 rows here, though 2024-01-29 < 2024-02-01
    sql = render(f"{{{{ dbt.date_spine('week', \"{d('2024-01-01')}\", \"{d('2024-02-01')}\") }}}}")
    assert [r[0].date() for r in rows(con, sql)] == [datetime.date(2024, 1, d_) for d_ in (1, 8, 15, 22)]


def test_date_spine_postgres_sql_runs_on_duckdb(con: Any) -> None:
    sql = render(f"{{{{ dbt.date_spine('week', \"{d('2024-01-01')}\", \"{d('2024-01-29')}\") }}}}", "postgres")
    assert "generate_series(" in sql and "interval '1 week'" in sql
    assert [r[0].date() for r in rows(con, sql)] == [datetime.date(2024, 1, d_) for d_ in (1, 8, 15, 22)]


def test_date_spine_spark_sql() -> None:
    sql = flat(render("{{ dbt.date_spine('month', \"to_date('2024-01-01')\", \"to_date('2024-06-01')\") }}",
                      "spark"))
    assert "explode(sequence( cast(to_date('2024-01-01') as timestamp), cast(to_date('2024-06-01') as timestamp)," in sql
    assert "interval 1 month" in sql
    assert sql.endswith("where date_month < cast(to_date('2024-06-01') as timestamp)")
    assert "interval 3 month" in render("{{ dbt.date_spine('quarter', 'a', 'b') }}", "spark")


class _DuckResult:
    """What run_query hands back, reduced to the `rows` the macro reads."""

    def __init__(self, data: list[tuple[Any, ...]]) -> None:
        self.rows = data


def test_default_date_spine_uses_run_query_when_executing(con: Any) -> None:
    extra = {"execute": True, "run_query": lambda sql: _DuckResult(con.sql(sql).fetchall())}
    sql = render(
        f"{{{{ dbt.default__date_spine('day', \"{d('2024-02-27')}\", \"{d('2024-03-02')}\") }}}}", extra=extra
    )
    assert "generated_number" in sql
    assert [r[0].date() for r in rows(con, sql)] == [
        datetime.date(2024, 2, 27), datetime.date(2024, 2, 28), datetime.date(2024, 2, 29), datetime.date(2024, 3, 1)
    ]
    # while parsing nothing can be queried: one interval
    assert render(f"{{{{ dbt.get_intervals_between(\"{d('2024-01-01')}\", \"{d('2024-02-01')}\", 'day') }}}}") == "1"
    assert render(
        f"{{{{ dbt.get_intervals_between(\"{d('2024-01-01')}\", \"{d('2024-02-01')}\", 'day') }}}}", extra=extra
    ) == "31"


def test_generate_series_and_powers_of_two(con: Any) -> None:
    for n in (1, 2, 3, 5, 16, 17, 100):
        result = con.sql(render(f"{{{{ dbt.generate_series({n}) }}}}"))
        assert result.columns == ["generated_number"]
        assert [r[0] for r in result.fetchall()] == list(range(1, n + 1)), n
    runtime = make_runtime()
    powers = runtime.namespace("proj")["dbt"].get_powers_of_two
    assert [powers(n) for n in (1, 2, 3, 4, 5, 8, 9, 1000)] == [1, 1, 2, 2, 3, 3, 4, 10]
    with pytest.raises(MacroException, match="positive"):
        powers(0)
    # the same SQL is valid on the other engines (no dialect-specific syntax)
    assert "cross join" in render("{{ dbt.generate_series(10) }}", "spark")


def test_current_timestamp_variants(con: Any) -> None:
    sql = render(
        "select {{ dbt.current_timestamp() }} is not null, {{ dbt.current_timestamp_backcompat() }} is not null, "
        "{{ dbt.current_timestamp_in_utc_backcompat() }} is not null, "
        "typeof({{ dbt.current_timestamp_in_utc_backcompat() }})"
    )
    assert one(con, sql) == (True, True, True, "TIMESTAMP")
    assert flat(render("{{ dbt.current_timestamp() }}", "postgres")) == "now()"
    assert flat(render("{{ dbt.current_timestamp_backcompat() }}", "postgres")) == "current_timestamp::timestamp"
    assert "at time zone 'utc'" in render("{{ dbt.current_timestamp_in_utc_backcompat() }}", "postgres")
    assert flat(render("{{ dbt.current_timestamp() }}", "spark")) == "current_timestamp()"
    assert "::" not in render("{{ dbt.current_timestamp_in_utc_backcompat() }}", "spark")


def test_date_from_parts(con: Any) -> None:
    assert one(con, render("select {{ dbt.date(2024, 2, 29) }}")) == (datetime.date(2024, 2, 29),)
    assert one(con, render("select {{ dbt.date('2024', '7', '4') }}")) == (datetime.date(2024, 7, 4),)
    assert flat(render("{{ dbt.date(2024, 1, 5) }}", "postgres")) == "to_date('2024-01-05', 'YYYY-MM-DD')"
    assert flat(render("{{ dbt.date(2024, 1, 5) }}", "spark")) == "to_date('2024-01-05', 'yyyy-MM-dd')"
    with pytest.raises(ValueError):
        render("{{ dbt.date(2023, 2, 29) }}")


# --------------------------------------------------------------------------------------------------
# strings


def test_split_part(con: Any) -> None:
    sql = render(
        "select {{ dbt.split_part(\"'a,b,c'\", \"','\", 1) }}, {{ dbt.split_part(\"'a,b,c'\", \"','\", 3) }}, "
        "{{ dbt.split_part(\"'a,b,c'\", \"','\", -1) }}, {{ dbt.split_part(\"'a,b,c'\", \"','\", -3) }}, "
        "{{ dbt.split_part(\"'x--y--z'\", \"'--'\", -2) }}, {{ dbt.split_part(\"'solo'\", \"','\", -1) }}"
    )
    assert one(con, sql) == ("a", "c", "c", "a", "y", "solo")
    # a column, keyword arguments
    con.execute("create table paths as select * from (values ('a/b/c'), ('d/e')) t(p)")
    sql = render(
        "select {{ dbt.split_part(string_text='p', delimiter_text=\"'/'\", part_number=-1) }} from paths order by p"
    )
    assert rows(con, sql) == [("c",), ("e",)]


def test_split_part_postgres_and_spark_sql(con: Any) -> None:
    pg_pos = flat(render("{{ dbt.split_part('s', \"'.'\", 2) }}", "postgres"))
    assert pg_pos == "split_part(s, '.', 2)"
    pg_neg = render("{{ dbt.split_part(\"'a.b.c'\", \"'.'\", -2) }}", "postgres")
    assert "length(replace('a.b.c', '.', ''))" in pg_neg
    assert one(con, f"select {pg_neg}") == ("b",)
    assert flat(render("{{ dbt.split_part('s', \"'.'\", -1) }}", "spark")) == "split_part(s, '.', -1)"


def test_string_functions(con: Any) -> None:
    sql = render(
        "select {{ dbt.concat([\"'a'\", \"'b'\", 'x']) }}, {{ dbt.length(\"'abcd'\") }}, "
        "{{ dbt.position(\"'c'\", \"'abcd'\") }}, {{ dbt.replace(\"'aXaX'\", \"'X'\", \"'-'\") }}, "
        "{{ dbt.right(\"'abcdef'\", 2) }}, {{ dbt.right(\"'abcdef'\", 0) }} "
        "from (select 'c' as x) t"
    )
    assert one(con, sql) == ("abc", 4, 3, "a-a-", "ef", "")
    assert flat(render("{{ dbt.position(\"'c'\", 'col') }}", "spark")) == "locate('c', col)"
    assert flat(render("{{ dbt.position(\"'c'\", 'col') }}", "postgres")) == "position('c' in col)"
    assert flat(render("{{ dbt.concat(['a', 'b']) }}", "spark")) == "concat(a, b)"


def test_hash_is_md5_of_text(con: Any) -> None:
    sql = render("select {{ dbt.hash(\"'abc'\") }}, {{ dbt.hash('42') }}, {{ dbt.hash('null') }}")
    assert one(con, sql) == ("900150983cd24fb0d6963f7d28e17f72", "a1d0c6e83f027327d8461063f4ac58a6", None)
    assert flat(render("{{ dbt.hash('id') }}", "postgres")) == "md5(cast(id as text))"
    assert flat(render("{{ dbt.hash('id') }}", "spark")) == "md5(cast(id as string))"


def test_string_literal_and_escaping(con: Any) -> None:
    assert render("{{ dbt.string_literal('abc') }}") == "'abc'"
    escaped = render("{{ dbt.escape_single_quotes(\"it's\") }}")
    assert escaped == "it''s"
    assert one(con, f"select '{escaped}'") == ("it's",)
    assert render("{{ dbt.escape_single_quotes(\"it's\") }}", "spark") == "it\\'s"
    assert one(con, render("select {{ dbt.cast_bool_to_text('1 = 1') }}, {{ dbt.cast_bool_to_text('false') }}")) == (
        "true", "false"
    )
    assert flat(render("{{ dbt.cast_bool_to_text('b') }}", "spark")) == "cast(b as string)"


# --------------------------------------------------------------------------------------------------
# aggregates, sets, arrays, equality


@pytest.fixture()
def letters(con: Any) -> Any:
    con.execute(
        "create table letters as select * from (values (1, 'b', 3), (1, 'a', 1), (1, 'c', 2), (2, 'z', 1)) t(g, v, o)"
    )
    return con


def test_listagg(letters: Any) -> None:
    plain = render("select g, {{ dbt.listagg('v') }} from letters where g = 2 group by g")
    assert rows(letters, plain) == [(2, "z")]
    ordered = render("select {{ dbt.listagg('v', \"', '\", 'order by o') }} from letters where g = 1")
    assert one(letters, ordered) == ("a, c, b",)
    limited = render("select {{ dbt.listagg('v', \"'|'\", 'order by v desc', 2) }} from letters where g = 1")
    assert one(letters, limited) == ("c|b",)
    kw = render(
        "select {{ dbt.listagg(measure='v', delimiter_text=\"'-'\", order_by_clause='order by v') }} "
        "from letters where g = 1"
    )
    assert one(letters, kw) == ("a-b-c",)


def test_listagg_postgres_and_spark_sql(letters: Any) -> None:
    pg = render("select {{ dbt.listagg('v', \"','\", 'order by v', 2) }} from letters where g = 1", "postgres")
    assert "array_agg(v order by v)" in pg and "[1:2]" in pg
    assert one(letters, pg) == ("a,b",)
    assert flat(render("{{ dbt.listagg('v', \"','\", 'order by v') }}", "postgres")) == "string_agg(v, ',' order by v)"
    spark = flat(render("{{ dbt.listagg('v', \"','\") }}", "spark"))
    assert spark == "array_join(collect_list(v), ',')"
    assert flat(render("{{ dbt.listagg('v', \"','\", none, 3) }}", "spark")) == (
        "array_join(slice(collect_list(v), 1, 3), ',')"
    )
    assert "within group (order by v)" in render("{{ dbt.listagg('v', \"','\", 'order by v') }}", "spark")
    # order and limit: sort (key, value) structs, keep the first values
    assert flat(render("{{ dbt.listagg('v', \"','\", 'order by k desc', 3) }}", "spark")) == (
        "array_join(slice(transform(sort_array(collect_list(struct(k, v as mason_value)), false), "
        "s -> s.mason_value), 1, 3), ',')"
    )


def test_any_value_and_bool_or(letters: Any) -> None:
    sql = render("select g, {{ dbt.any_value('v') }}, {{ dbt.bool_or(\"v = 'a'\") }} from letters group by g order by g")
    result = rows(letters, sql)
    assert result[0][0] == 1 and result[0][1] in ("a", "b", "c") and result[0][2] is True
    assert result[1] == (2, "z", False)
    pg = render("select {{ dbt.any_value('v') }} from letters where g = 2", "postgres")
    assert flat(pg) == "select min(v) from letters where g = 2"
    assert one(letters, pg) == ("z",)
    assert flat(render("{{ dbt.any_value('v') }}", "spark")) == "first(v, true)"
    assert flat(render("{{ dbt.bool_or('x') }}", "spark")) == "bool_or(x)"


def test_set_operators(con: Any) -> None:
    sql = render(
        "select * from (values (1), (2), (3)) a(x) {{ dbt.except() }} select * from (values (2)) b(x) order by 1"
    )
    assert rows(con, sql) == [(1,), (3,)]
    sql = render("select * from (values (1), (2)) a(x) {{ dbt.intersect() }} select * from (values (2), (5)) b(x)")
    assert rows(con, sql) == [(2,)]
    for adapter in ("postgres", "spark"):
        assert render("{{ dbt.except() }}", adapter) == "except"
        assert render("{{ dbt.intersect() }}", adapter) == "intersect"


def test_arrays(con: Any) -> None:
    sql = render(
        "select {{ dbt.array_construct(['1', '2']) }}, "
        "{{ dbt.array_append(dbt.array_construct(['1']), '5') }}, "
        "{{ dbt.array_concat(dbt.array_construct(['1']), dbt.array_construct(['2', '3'])) }}, "
        "{{ dbt.array_construct([]) }}, typeof({{ dbt.array_construct([], 'varchar') }})"
    )
    assert one(con, sql) == ([1, 2], [1, 5], [1, 2, 3], [], "VARCHAR[]")
    pg = render("select {{ dbt.array_construct(['1', '2']) }}, {{ dbt.array_construct([]) }}", "postgres")
    assert "array[ 1, 2 ]" in pg and "array[]::integer[]" in pg
    assert one(con, pg) == ([1, 2], [])
    assert flat(render("{{ dbt.array_concat('a', 'b') }}", "postgres")) == "array_cat(a, b)"
    assert flat(render("{{ dbt.array_construct(['1', '2']) }}", "spark")) == "array( 1, 2 )"
    assert flat(render("{{ dbt.array_construct([]) }}", "spark")) == "cast(array() as array<int>)"
    assert flat(render("{{ dbt.array_append('a', '1') }}", "spark")) == "concat(a, array(1))"
    assert flat(render("{{ dbt.array_concat('a', 'b') }}", "spark")) == "concat(a, b)"


def test_equals_is_null_safe(con: Any) -> None:
    con.execute("create table pairs as select * from (values (1, 1), (1, 2), (null, null), (1, null)) t(a, b)")
    sql = render("select a, b, {{ dbt.equals('a', 'b') }} from pairs order by a nulls first, b nulls first")
    assert rows(con, sql) == [(None, None, True), (1, None, False), (1, 1, True), (1, 2, False)]
    assert "is null" in render("{{ dbt.equals('a', 'b') }}", "spark")


class _Behavior:
    enable_truthy_nulls_equals_macro = False


class _AdapterWithBehavior(ParseAdapter):
    behavior = _Behavior()


def test_equals_follows_explicit_behaviour_flag(con: Any) -> None:
    runtime = make_runtime()
    runtime.base["adapter"] = _AdapterWithBehavior(runtime, "duckdb", relation_factory("duckdb"))
    sql = runtime.render("select {{ dbt.equals('a', 'b') }} from (select null as a, null as b) t", "t.sql", "proj")
    assert flat(sql) == "select (a = b) from (select null as a, null as b) t"
    assert one(con, sql) == (None,)


# --------------------------------------------------------------------------------------------------
# types and casts


def test_types_duckdb(con: Any) -> None:
    sql = render(
        "select typeof(cast(1 as {{ dbt.type_string() }})), typeof(cast('2024-01-01' as {{ dbt.type_timestamp() }})), "
        "typeof(cast(1 as {{ dbt.type_float() }})), typeof(cast(1 as {{ dbt.type_numeric() }})), "
        "typeof(cast(1 as {{ dbt.type_bigint() }})), typeof(cast(1 as {{ dbt.type_int() }})), "
        "typeof(cast(1 as {{ dbt.type_boolean() }}))"
    )
    assert one(con, sql) == ("VARCHAR", "TIMESTAMP", "FLOAT", "DECIMAL(28,6)", "BIGINT", "INTEGER", "BOOLEAN")


def test_types_return_plain_strings() -> None:
    runtime = make_runtime("postgres")
    dbt_ns = runtime.namespace("proj")["dbt"]
    assert dbt_ns.type_string() == "text"
    assert dbt_ns.type_numeric() == "numeric(28,6)"
    spark = make_runtime("spark").namespace("proj")["dbt"]
    assert [spark.type_string(), spark.type_int(), spark.type_bigint(), spark.type_float(), spark.type_numeric(),
            spark.type_timestamp(), spark.type_boolean()] == [
        "string", "int", "bigint", "double", "decimal(28,6)", "timestamp", "boolean"
    ]


def test_cast_and_safe_cast(con: Any) -> None:
    sql = render(
        "select {{ dbt.cast(\"'7'\", dbt.type_bigint()) }}, {{ dbt.safe_cast(\"'x'\", dbt.type_int()) }}, "
        "{{ dbt.safe_cast(\"'12.5'\", dbt.type_numeric()) }}"
    )
    assert one(con, sql) == (7, None, Decimal("12.500000"))
    assert flat(render("{{ dbt.safe_cast('c', 'integer') }}", "postgres")) == "cast(c as integer)"
    assert flat(render("{{ dbt.safe_cast('c', 'int') }}", "spark")) == "try_cast(c as int)"
    assert flat(render("{{ dbt.cast('c', 'int') }}", "spark")) == "cast(c as int)"


# --------------------------------------------------------------------------------------------------
# generic tests


@pytest.fixture()
def shop(con: Any) -> Any:
    con.execute(
        "create table orders as select * from (values "
        "(1, 10, 'placed'), (2, 11, 'shipped'), (2, 12, 'returned'), (3, null, 'lost'), (null, 99, null), "
        "(4, 13, 'it''s odd')) t(id, customer_id, status)"
    )
    con.execute("create table customers as select * from (values (10), (11), (12)) t(id)")
    con.execute("create table nums as select * from (values (1), (2), (5), (null)) t(n)")
    return con


def test_unique(shop: Any) -> None:
    sql = render("{{ test_unique(ref('orders'), 'id') }}")
    assert '"memory"."main"."orders"' in sql
    assert rows(shop, sql) == [(2, 2)]
    assert rows(shop, render("{{ test_unique(ref('customers'), 'id') }}")) == []


def test_not_null(shop: Any) -> None:
    assert rows(shop, render("{{ test_not_null(ref('orders'), 'customer_id') }}")) == [(None,)]
    assert rows(shop, render("{{ test_not_null(ref('customers'), 'id') }}")) == []
    # with store_failures the whole failing row is kept
    full = render("{{ test_not_null(ref('orders'), 'status') }}", extra={"should_store_failures": lambda: True})
    assert rows(shop, full) == [(None, 99, None)]


def test_accepted_values(shop: Any) -> None:
    sql = render("{{ test_accepted_values(ref('orders'), 'status', ['placed', 'shipped', \"it's odd\"]) }}")
    result = sorted(rows(shop, sql))
    assert result == [("lost", 1), ("returned", 1)]  # nulls are not failures
    unquoted = render("{{ test_accepted_values(ref('nums'), 'n', [1, 2], quote=False) }}")
    assert "not in (1, 2)" in unquoted
    assert rows(shop, unquoted) == [(5, 1)]
    assert rows(shop, render("{{ test_accepted_values(ref('nums'), 'n', [1, 2, 5], False) }}")) == []


def test_relationships(shop: Any) -> None:
    sql = render("{{ test_relationships(ref('orders'), 'customer_id', ref('customers'), 'id') }}")
    assert sorted(rows(shop, sql)) == [(13,), (99,)]
    ok = render("{{ test_relationships(ref('customers'), 'id', ref('customers'), 'id') }}")
    assert rows(shop, ok) == []


def test_get_where_subquery(shop: Any) -> None:
    runtime = make_runtime(known_config={"where": "id > 1"})
    wrapped = runtime.render("{{ get_where_subquery(ref('orders')) }}", "t.sql", "proj")
    assert wrapped == '(select * from "memory"."main"."orders" where id > 1) dbt_subquery'
    sql = runtime.render("{{ test_not_null(get_where_subquery(ref('orders')), 'customer_id') }}", "t.sql", "proj")
    assert rows(shop, sql) == [(None,)]
    # no where: the relation itself comes back, not text
    plain = make_runtime().namespace("proj")["get_where_subquery"](Relation("memory", "main", "orders"))
    assert isinstance(plain, Relation)
    # a where set by config() inside the test file is seen too
    text = render("{{ config(where=\"status = 'lost'\") }}{{ test_not_null(get_where_subquery(ref('orders')), "
                  "'customer_id') }}")
    assert "where status = 'lost') dbt_subquery" in text
    assert rows(shop, text) == [(None,)]


def test_generic_tests_on_other_adapters() -> None:
    spark = render("{{ test_unique(ref('orders'), 'id') }}", "spark")
    assert "from main.orders" in flat(spark)
    assert "having count(*) > 1" in spark
    pg = render("{{ test_relationships(ref('orders'), 'customer_id', ref('customers'), 'id') }}", "postgres")
    assert "left join parent" in pg and "where parent.to_field is null" in pg


def test_root_project_overrides_builtin_via_dispatch(shop: Any, tmp_path: Path) -> None:
    (tmp_path / "overrides.sql").write_text(
        "{% macro duckdb__test_unique(model, column_name) %}select 'mine' as marker{% endmacro %}\n"
        "{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}never_used{% endmacro %}\n"
    )
    sql = render("{{ test_unique(ref('orders'), 'id') }}", root_macros=tmp_path)
    assert rows(shop, sql) == [("mine",)]
    # the root project is searched first with every prefix, so its default__ wins over dbt's postgres__
    assert render("{{ dbt.dateadd('day', 1, 'x') }}", root_macros=tmp_path) == "never_used"
    assert render("{{ dbt.dateadd('day', 1, 'x') }}", "spark", root_macros=tmp_path) == "never_used"


# --------------------------------------------------------------------------------------------------
# naming


def _call(runtime: MacroRuntime, name: str, *args: Any) -> Any:
    return runtime.namespace("proj")[name](*args)


def test_generate_schema_name() -> None:
    runtime = make_runtime()
    node = {"name": "orders", "resource_type": "model"}
    assert _call(runtime, "generate_schema_name", None, node) == "main"
    assert _call(runtime, "generate_schema_name", "  staging ", node) == "main_staging"
    assert render("{{ generate_schema_name('marts') }}") == "main_marts"
    assert render("{{ generate_schema_name() }}") == "main"


def test_generate_schema_name_for_env() -> None:
    dev = make_runtime()
    assert _call(dev, "generate_schema_name_for_env", "marts", {}) == "main"
    assert _call(dev, "generate_schema_name_for_env", None, {}) == "main"
    prod = make_runtime(target={**TARGET, "name": "prod", "schema": "analytics"})
    assert _call(prod, "generate_schema_name_for_env", " marts ", {}) == "marts"
    assert _call(prod, "generate_schema_name_for_env", None, {}) == "analytics"


def test_generate_alias_name() -> None:
    runtime = make_runtime()
    assert _call(runtime, "generate_alias_name", None, {"name": "orders"}) == "orders"
    assert _call(runtime, "generate_alias_name", " custom ", {"name": "orders", "version": 2}) == "custom"
    assert _call(runtime, "generate_alias_name", None, {"name": "orders", "version": 2}) == "orders_v2"
    assert _call(runtime, "generate_alias_name", None, {"name": "orders", "version": "1.5"}) == "orders_v1_5"
    assert _call(runtime, "generate_alias_name", None, {"name": "orders", "version": None}) == "orders"


def test_generate_database_name() -> None:
    runtime = make_runtime()
    assert _call(runtime, "generate_database_name", None, {"name": "m"}) == "memory"
    assert _call(runtime, "generate_database_name", " other ", {"name": "m"}) == "other"


def test_root_generate_schema_name_override(tmp_path: Path) -> None:
    (tmp_path / "naming.sql").write_text(
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
        "{{ custom_schema_name or target.schema }}\n"
        "{%- endmacro %}\n"
    )
    runtime = make_runtime(root_macros=tmp_path)
    assert str(_call(runtime, "generate_schema_name", "raw", {})).strip() == "raw"
    # the built-in stays reachable under the dbt namespace
    assert runtime.namespace("proj")["dbt"].generate_schema_name("raw", {}) == "main_raw"
