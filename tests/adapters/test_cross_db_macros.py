"""Scenario 11: dbt's cross-database macros give the same values on every warehouse."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, model

D1 = "cast('2024-01-31' as date)"
D2 = "cast('2024-03-01' as date)"
T1 = "cast('2024-01-31 10:30:00' as timestamp)"
T2 = "cast('2024-02-01 12:00:00' as timestamp)"

# column -> (SQL built from macros, expected value)
CASES: dict[str, tuple[str, object]] = {
    "add_day": (f"cast({{{{ dbt.dateadd('day', 1, \"{D1}\") }}}} as date)", dt.date(2024, 2, 1)),
    "add_month": (f"cast({{{{ dbt.dateadd('month', 1, \"{D1}\") }}}} as date)", dt.date(2024, 2, 29)),
    "add_quarter": (f"cast({{{{ dbt.dateadd('quarter', -1, \"{D1}\") }}}} as date)", dt.date(2023, 10, 31)),
    "add_hour": (f"{{{{ dbt.dateadd('hour', 2, \"{T1}\") }}}}", dt.datetime(2024, 1, 31, 12, 30)),
    "diff_day": (f"{{{{ dbt.datediff(\"{D1}\", \"{D2}\", 'day') }}}}", 30),
    "diff_month": (f"{{{{ dbt.datediff(\"{D1}\", \"{D2}\", 'month') }}}}", 2),
    "diff_year": (f"{{{{ dbt.datediff(\"{D1}\", \"{D2}\", 'year') }}}}", 0),
    "diff_hour": (f"{{{{ dbt.datediff(\"{T1}\", \"{T2}\", 'hour') }}}}", 26),
    "diff_week": (f"{{{{ dbt.datediff(\"{D1}\", \"{D2}\", 'week') }}}}", 4),
    "last_day": (f"{{{{ dbt.last_day(\"{D1}\", 'quarter') }}}}", dt.date(2024, 3, 31)),
    "trunc_month": (f"cast({{{{ dbt.date_trunc('month', \"{D1}\") }}}} as date)", dt.date(2024, 1, 1)),
    "split_2": ("{{ dbt.split_part(\"'a,b,c'\", \"','\", 2) }}", "b"),
    "split_last": ("{{ dbt.split_part(\"'a,b,c'\", \"','\", -1) }}", "c"),
    "concat": ("{{ dbt.concat([\"'a'\", \"'b'\", \"'c'\"]) }}", "abc"),
    "hash": ("{{ dbt.hash(\"'mason'\") }}", "5c29c2e513aadfe372fd0af7553b5a6c"),
    "length": ("{{ dbt.length(\"'mason'\") }}", 5),
    "position": ("{{ dbt.position(\"'s'\", \"'mason'\") }}", 3),
    "right_3": ("{{ dbt.right(\"'mason'\", 3) }}", "son"),
    "replace": ("{{ dbt.replace(\"'mason'\", \"'s'\", \"'z'\") }}", "mazon"),
    "literal": ("{{ dbt.string_literal(dbt.escape_single_quotes(\"it's\")) }}", "it's"),
    "bool_text": ("{{ dbt.cast_bool_to_text('1 = 1') }}", "true"),
    "as_int": ("{{ dbt.cast(\"'42'\", dbt.type_int()) }}", 42),
    "as_bigint": ("{{ dbt.cast(\"'3000000000'\", dbt.type_bigint()) }}", 3000000000),
    "as_float": ("{{ dbt.cast(\"'1.5'\", dbt.type_float()) }}", 1.5),
    "as_bool": ("{{ dbt.cast(\"'true'\", dbt.type_boolean()) }}", True),
    "as_text": ("{{ dbt.cast('7', dbt.type_string()) }}", "7"),
    "as_ts": ("{{ dbt.cast(\"'2024-01-31 10:30:00'\", dbt.type_timestamp()) }}", dt.datetime(2024, 1, 31, 10, 30)),
    "date_fn": ("{{ dbt.date(2024, 2, 29) }}", dt.date(2024, 2, 29)),
    "equals_nulls": ("{{ dbt.equals('null', 'null') }}", True),
}

AGGREGATES = """
select
    {{ dbt.listagg('v', "'|'", 'order by v') }} as joined,
    {{ dbt.listagg('v', "'|'", 'order by v desc', 2) }} as top_two,
    {{ dbt.any_value('k') }} as any_k,
    {{ dbt.bool_or('v = ' ~ dbt.string_literal('b')) }} as has_b
from (select 'a' as v, 1 as k union all select 'c', 1 union all select 'b', 1) as t
"""

SPINE = """
select cast(date_day as date) as date_day
from ({{ dbt.date_spine('day', "cast('2024-02-27' as date)", "cast('2024-03-02' as date)") }}) as spine
"""

SERIES = "select generated_number from ({{ dbt.generate_series(5) }}) as s"

SETS = """
select x from (select 1 as x union all select 2 union all select 3) a
{{ dbt.except() }}
select x from (select 2 as x) b
"""


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    scalars = "{{ config(materialized='table') }}\nselect\n" + ",\n".join(
        f"    {sql} as {name}" for name, (sql, _) in CASES.items())
    files = {
        "models/scalars.sql": scalars,
        "models/aggregates.sql": "{{ config(materialized='table') }}\n" + AGGREGATES,
        "models/spine.sql": "{{ config(materialized='table') }}\n" + SPINE,
        "models/series.sql": "{{ config(materialized='table') }}\n" + SERIES,
        "models/sets.sql": "{{ config(materialized='table') }}\n" + SETS,
    }
    project = Project(tmp_path_factory.mktemp("macros"), warehouse, files)
    run = project.run("run")
    return SimpleNamespace(project=project, run=run)


def test_all_built(state: SimpleNamespace) -> None:
    names = ("scalars", "aggregates", "spine", "series", "sets")
    assert state.run.statuses() == {model(n): "success" for n in names}


@pytest.mark.parametrize("name", sorted(CASES))
def test_scalar_macro(state: SimpleNamespace, name: str) -> None:
    value = state.project.rows("scalars", columns=name)[0][0]
    expected = CASES[name][1]
    if isinstance(expected, float):
        assert float(value) == pytest.approx(expected)
    elif isinstance(expected, int) and not isinstance(expected, bool):
        assert int(value) == expected
    else:
        assert value == expected


def test_aggregates(state: SimpleNamespace) -> None:
    assert state.project.rows("aggregates") == [("a|b|c", "c|b", 1, True)]


def test_date_spine_and_series(state: SimpleNamespace) -> None:
    assert [r[0] for r in state.project.rows("spine")] == [
        dt.date(2024, 2, 27), dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
    assert [r[0] for r in state.project.rows("series")] == [1, 2, 3, 4, 5]


def test_set_operators(state: SimpleNamespace) -> None:
    assert state.project.rows("sets") == [(1,), (3,)]
