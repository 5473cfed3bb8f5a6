"""Static extraction of ref/source/config: what it understands, and when it must give up (None)."""

from __future__ import annotations

import pytest

from mason.parse.static import extract, render_static


def test_plain_sql_has_nothing_to_extract() -> None:
    result = extract("select 1 as id")
    assert result is not None
    assert (result.refs, result.sources, result.configs, result.macros) == ([], [], [], [])


def test_literal_refs_one_and_two_args_and_version() -> None:
    sql = (
        "select * from {{ ref('orders') }}\n"
        "join {{ ref(\"other_pkg\", \"customers\") }} using (id)\n"
        "join {{ ref('dim', version=2) }} using (id)\n"
        "join {{ ref('pkg', 'fct', v='3') }} using (id)"
    )
    result = extract(sql)
    assert result is not None
    assert result.refs == [
        ("orders", None, None),
        ("customers", "other_pkg", None),
        ("dim", None, 2),
        ("fct", "pkg", "3"),
    ]


def test_whitespace_control_and_multiline_calls() -> None:
    sql = "{{- ref('a') -}}\n{{\n  source(\n    'raw',\n    'events'\n  )\n}}"
    result = extract(sql)
    assert result is not None
    assert result.refs == [("a", None, None)]
    assert result.sources == [("raw", "events")]


def test_source() -> None:
    result = extract("select * from {{ source('raw', 'orders') }}")
    assert result is not None
    assert result.sources == [("raw", "orders")]
    assert result.refs == []


def test_config_kwargs_keep_python_types() -> None:
    sql = (
        "{{ config(materialized='table', tags=['a', 'b'], meta={'owner': 'x', 'n': -1},"
        " enabled=true, full_refresh=false, alias=none, contract={'enforced': True}) }}\nselect 1"
    )
    result = extract(sql)
    assert result is not None
    assert result.configs == [
        {
            "materialized": "table",
            "tags": ["a", "b"],
            "meta": {"owner": "x", "n": -1},
            "enabled": True,
            "full_refresh": False,
            "alias": None,
            "contract": {"enforced": True},
        }
    ]


def test_this_and_target_need_no_render() -> None:
    result = extract("select * from {{ this }} where s = '{{ target.schema }}' and {{ ref('a') }} is not null")
    assert result is not None
    assert result.refs == [("a", None, None)]


def test_is_incremental_if_branch_skipped_else_branch_recorded() -> None:
    sql = (
        "select * from {{ ref('base') }}\n"
        "{% if is_incremental() %}\n"
        "  where ts > (select max(ts) from {{ this }}) and id in (select id from {{ ref('only_incremental') }})\n"
        "{% else %}\n"
        "  join {{ ref('full_only') }} using (id)\n"
        "{% endif %}"
    )
    result = extract(sql)
    assert result is not None
    assert [r[0] for r in result.refs] == ["base", "full_only"]
    assert "only_incremental" not in [r[0] for r in result.refs]
    assert result.macros == ["macro.dbt.is_incremental"]


def test_is_incremental_with_whitespace_control_and_no_else() -> None:
    sql = "select 1\n{%- if is_incremental() -%}\n{{ ref('x') }}\n{%- endif -%}\n{{ ref('y') }}"
    result = extract(sql)
    assert result is not None
    assert result.refs == [("y", None, None)]
    assert result.macros == ["macro.dbt.is_incremental"]


def test_comments_are_ignored() -> None:
    sql = "{# {{ var('x') }} {% for i in range(3) %} {{ ref('commented') }} #}\nselect * from {{ ref('a') }}"
    result = extract(sql)
    assert result is not None
    assert result.refs == [("a", None, None)]


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("select {{ var('x') }}", id="var"),
        pytest.param("{% for i in [1, 2] %}select {{ i }}{% endfor %}", id="loop"),
        pytest.param("{% set t = 'a' %}select * from {{ ref(t) }}", id="set"),
        pytest.param("select {{ my_macro(column) }}", id="call-with-non-literal"),
        pytest.param("select {{ var('x', 1) }}", id="var-call"),
        pytest.param("select {{ env_var('X') }}", id="env-var-call"),
        pytest.param("select * from {{ ref(model_name) }}", id="non-literal-ref"),
        pytest.param("select * from {{ ref('a' ~ 'b') }}", id="expression-arg"),
        pytest.param("select * from {{ ref('a', 'b', 'c') }}", id="three-args"),
        pytest.param("select * from {{ source('only_one') }}", id="source-one-arg"),
        pytest.param("{{ config('table') }}", id="config-positional"),
        pytest.param("{{ config(**opts) }}", id="config-splat"),
        pytest.param("select * from {{ ref('a').identifier }}", id="attribute"),
        pytest.param("select {{ ref('a') | upper }}", id="filter"),
        pytest.param(
            "{% if is_incremental() %}{% if x %}{{ ref('a') }}{% endif %}{% endif %}", id="nested-if"
        ),
        pytest.param("{% if is_incremental() %}{{ ref('a') }}", id="unclosed-if"),
        pytest.param("{% if is_incremental() %}{{ ref(name) }}{% endif %}", id="non-literal-in-skipped"),
        pytest.param("{% if other() %}{{ ref('a') }}{% endif %}", id="other-if"),
        pytest.param("{% else %}", id="stray-else"),
        pytest.param("select * from {{ ref('a') ", id="unterminated"),
    ],
)
def test_needs_a_render(sql: str) -> None:
    assert extract(sql) is None


def test_macro_calls_with_literal_arguments_are_kept_for_the_parser() -> None:
    result = extract("select {{ safe_divide('a', 'b') }}, {{ ref('x') }} {{ cents(scale=2) }}")
    assert result is not None
    assert result.calls == [("safe_divide", ["a", "b"], {}), ("cents", [], {"scale": 2})]
    assert result.macros == ["?safe_divide", "?cents"]
    assert result.refs == [("x", None, None)]


def test_render_static_renders_macro_calls_through_the_callback() -> None:
    seen = []

    def call_macro(name, args, kwargs):
        seen.append((name, args, kwargs))
        return None if name == "nope" else f"<{name}:{','.join(args)}>"

    ref = lambda *a, **k: "REF"  # noqa: E731
    out = render_static("select {{ f('a', 'b') }} from {{ ref('m') }}", ref, None, None, {}, lambda: False,
                        call_macro)
    assert out == "select <f:a,b> from REF"
    assert render_static("select {{ nope() }}", ref, None, None, {}, lambda: False, call_macro) is None
    assert render_static("select {{ f('a') }}", ref, None, None, {}, lambda: False) is None
    assert seen == [("f", ["a", "b"], {}), ("nope", [], {})]
