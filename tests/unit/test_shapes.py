"""Parse-time renders by shape (mason/jinja/shapes.py): the same refs, sources, configs and macros recorded
as rendering the file as written, one compiled template per shape of Jinja."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mason.adapters.relation import relation_factory
from mason.jinja.parse_context import Recorder, parse_context
from mason.jinja.shapes import render_units, units

from .test_builtin_macros import make_index

MACROS = {
    "helpers.sql": """
{% macro cents(col, scale=2) %}round({{ col }} / 100, {{ scale }}){% endmacro %}
{% macro lookback(col) %}{{ col }} > '{{ var("start", "2020-01-01") }}'{% endmacro %}
{% macro configure() %}{{ config(tags=['from_macro']) }}{% endmacro %}
{% macro uses_ref(name) %}{{ ref(name) }}{% endmacro %}
""",
}

CASES = [
    "select * from {{ ref('a') }} join {{ ref('pkg', 'b') }} on 1 = 1 -- {{ source('s', 't') }}",
    "{{ config(materialized='incremental', unique_key=['id', 'day'], tags=var('tags', ['x']), n=3, f=1.5) }}\n"
    "select {{ cents('amount') }} from {{ ref('a') }}\n{% if is_incremental() %}where x > 1{% endif %}",
    "{% set cols = ['a', 'b'] %}{% for c in cols %}{{ c }}{% if not loop.last %},{% endif %}{% endfor %}"
    "{{ ref(cols[0]) }}{{ ref(cols.1) }}",
    "{% set q %}select * from {{ ref('inside_set') }}{% endset %}{{ config(post_hook=q) }}",
    "{% macro local(x) %}{{ ref(x) }}{% endmacro %}{{ local('via_local') }}{{ uses_ref('via_macro') }}",
    "{% if var('flag', false) %}{{ ref('when_flag') }}{% else %}{{ ref('otherwise') }}{% endif %}",
    "{% if target.name != 'prod' %}{{ ref('dev_only') }}{% endif %}{{ configure() }}",
    "{%- set d = {'a': {'b': 1}} -%}{{ ref('nested_' ~ d['a']['b']) }}{# a comment {{ ref('no') }} #}",
    "{% set ref2 = ref %}{{ ref2('aliased') }}",
    "{% if 9 is divisibleby(3) and 'x' is not none %}{{ ref('tests_kept') }}{% endif %}",
    "{{ ref('a') | upper }}{{ 'x' | replace('x', 'y') }}{{ lookback('d') }}",
    "{{ return(ref('returned')) }}{{ ref('after_return') }}",
    "{% call statement('main') %}select {{ ref('in_call') }}{% endcall %}",
    "{{ ref(\"double\") }}{{ ref('esc\\'aped') }}",
]


@pytest.fixture()
def index(tmp_path: Path) -> Any:
    for name, text in MACROS.items():
        (tmp_path / name).write_text(text)
    return make_index("duckdb", tmp_path)


def _runtime(index: Any, rec: Recorder, env_used: dict[str, str]) -> Any:
    return parse_context(index=index, package="proj", root_package="proj",
                         target={"schema": "main", "database": "memory", "name": "dev", "type": "duckdb"},
                         cli_vars={"flag": True}, root_vars={}, package_vars=None, env={}, env_used=env_used,
                         make_relation=relation_factory("duckdb"), recorder=rec, known_config={}, node_info={},
                         flags=None)


@pytest.mark.parametrize("sql", CASES)
def test_shape_render_records_what_the_render_records(index: Any, sql: str) -> None:
    want, got = Recorder(), Recorder()
    _runtime(index, want, {}).render(sql, "model.sql", "proj")
    found = units(sql)
    assert found is not None
    assert render_units(_runtime(index, got, {}).namespace("proj"), found)
    assert (got.refs, got.sources, got.configs, got.macros) == (want.refs, want.sources, want.configs, want.macros)


def test_shapes_share_templates_and_drop_output_text() -> None:
    one = units("select 1 from {{ ref('a') }} where {{ cents('x') }}")
    two = units("select 2 from {{ ref('b') }}\nwhere {{ cents('y', 3) }}")
    assert one is not None and two is not None
    assert one[0] == ("{{ __mn0 ( __mk0 ) }}", ["a"], ["ref"])
    assert two[0][0] == one[0][0]
    assert one[1][0] != two[1][0]  # another number of arguments: another shape
    kept = units("{% set q %}text {{ ref('x') }}{% endset %}")
    assert kept is not None and "text" in kept[0][0]


@pytest.mark.parametrize("sql", [
    "{% raw %}{{ x }}{% endraw %}",  # a statement not handled
    "{{ ref('a') ",  # unterminated
    "{% if x %}",  # unclosed block
    "{% snapshot s %}select 1{% endsnapshot %}",
])
def test_files_not_understood_render_as_written(sql: str) -> None:
    assert units(sql) is None


def test_a_unit_that_fails_hands_back(index: Any) -> None:
    found = units("{{ ref('a') }}{{ not_a_macro('x') }}")
    assert found is not None
    assert not render_units(_runtime(index, Recorder(), {}).namespace("proj"), found)
