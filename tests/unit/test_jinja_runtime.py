"""The Jinja layer: block-tag preprocessing, error lines, the lazy macro runtime, dispatch and native rendering."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import jinja2
import pytest

from mason.compile.compiler import inject_ctes
from mason.errors import CompileError
from mason.jinja.dispatch import dispatch
from mason.jinja.environment import preprocess, render_template, return_, template, template_line
from mason.jinja.macros import MacroFile, MacroIndex, MacroRuntime
from mason.jinja.native import render_native
from mason.nodes.nodes import Macro
from mason.parse.files import SourceFile
from mason.parse.macros import parse_macro_file

_counter = itertools.count()


def unique_name(stem: str) -> str:
    """Templates are cached per (name, source) for the process; give each test its own name."""
    return f"{stem}_{next(_counter)}.sql"


# ------------------------------------------------------------------------------------------ preprocess


def test_preprocess_test_block_keeps_lines() -> None:
    source = "{% test my_check(model,\n  column_name) %}\nselect 1\nfrom {{ model }}\n{%- endtest %}\n"
    out = preprocess(source)
    assert out.count("\n") == source.count("\n")
    assert "macro test_my_check(" in out
    assert "endmacro" in out and "endtest" not in out
    assert out.splitlines()[2] == "select 1"


def test_preprocess_materialization_blocks() -> None:
    source = (
        "{% materialization table, adapter='duckdb' %}\nx\n{% endmaterialization %}\n"
        "{%- materialization view, default -%}\ny\n{%- endmaterialization -%}"
    )
    out = preprocess(source)
    assert "macro materialization_table_duckdb()" in out
    assert "macro materialization_view_default()" in out
    assert "endmaterialization" not in out
    assert out.count("\n") == source.count("\n")


def test_preprocess_leaves_plain_sql_alone() -> None:
    source = "select 'test' as materialization"
    assert preprocess(source) == source


def test_syntax_error_is_a_compile_error_with_the_line() -> None:
    name = unique_name("broken")
    with pytest.raises(CompileError) as info:
        template("select 1\n-- two\n\nselect {{ x + }}\nfrom t\n", name)
    assert info.value.span is not None
    assert info.value.span.path == name
    assert info.value.span.line == 4


def test_syntax_error_line_after_a_test_block() -> None:
    name = unique_name("broken_test_block")
    source = "{% test t(model) %}\nselect 1\n{% endtest %}\n{{ oops( }}\n"
    with pytest.raises(CompileError) as info:
        template(source, name)
    assert info.value.span is not None and info.value.span.line == 4


def test_template_line_maps_runtime_error_to_template_line() -> None:
    name = unique_name("runtime")

    def boom() -> Any:
        raise ZeroDivisionError("nope")

    tpl = template("select 1\n{% set x = 2 %}\n\n-- four\n{{ boom() }}\n", name)
    with pytest.raises(ZeroDivisionError) as info:
        render_template(tpl, {"boom": boom})
    assert template_line(info.value, name) == 5


def test_template_is_reused_for_same_source() -> None:
    name = unique_name("reuse")
    assert template("x {{ 1 }}", name) is template("x {{ 1 }}", name)


# ------------------------------------------------------------------------------------------ macro runtime


def _index(files: dict[str, dict[str, str]], root: str = "proj", adapter: str = "duckdb",
           dispatch_cfg: list[dict[str, Any]] | None = None) -> MacroIndex:
    macros: list[Macro] = []
    mfiles: dict[str, MacroFile] = {}
    for package, by_path in files.items():
        for rel, text in by_path.items():
            found, mfile = parse_macro_file(SourceFile(package, Path("/nowhere"), "macros", rel, text))
            macros.extend(found)
            mfiles[mfile.file_id] = mfile
    return MacroIndex(macros, mfiles, root, [root, *[p for p in files if p != root]], adapter,
                      dispatch_cfg or [])


def _runtime(files: dict[str, dict[str, str]], **kwargs: Any) -> MacroRuntime:
    return MacroRuntime(_index(files, **kwargs), {"return": return_})


def test_sibling_macro_with_return_gives_its_value() -> None:
    runtime = _runtime({"proj": {"m.sql": (
        "{% macro outer() %}{% set n = inner() %}{{ return(n + 1) }}{% endmacro %}\n"
        "{% macro inner() %}ignored text{{ return(41) }}{% endmacro %}\n"
        "{% macro listy() %}{{ return([1, 'a', none]) }}{% endmacro %}\n"
        "{% macro text_only(x) %}hello {{ x }}{% endmacro %}\n"
    )}})
    ns = runtime.namespace("proj")
    assert ns["outer"]() == 42
    assert ns["listy"]() == [1, "a", None]
    assert str(ns["text_only"]("you")) == "hello you"
    assert runtime.render("{{ outer() * 2 }}", unique_name("model"), "proj") == "84"


def test_macro_in_another_file_is_found_lazily() -> None:
    runtime = _runtime({"proj": {
        "a.sql": "{% macro a() %}{{ return(b() ~ '!') }}{% endmacro %}",
        "b.sql": "{% macro b() %}{{ return('bee') }}{% endmacro %}",
    }})
    assert runtime.evaluate("a()", "proj") == "bee!"


def test_dbt_namespace_and_root_override() -> None:
    runtime = _runtime({
        "dbt": {"h.sql": "{% macro helper() %}{{ return('from dbt') }}{% endmacro %}"
                         "{% macro only_dbt() %}{{ return('dbt only') }}{% endmacro %}"},
        "proj": {"h.sql": "{% macro helper() %}{{ return('from proj') }}{% endmacro %}"},
    })
    assert runtime.evaluate("helper()", "proj") == "from proj"
    assert runtime.evaluate("dbt.helper()", "proj") == "from dbt"
    assert runtime.evaluate("only_dbt()", "proj") == "dbt only"
    assert runtime.evaluate("dbt['only_dbt']()", "proj") == "dbt only"


def test_package_macro_prefers_its_own_package() -> None:
    runtime = _runtime({
        "proj": {"m.sql": "{% macro caller() %}{{ return(pkg.entry()) }}{% endmacro %}"},
        "pkg": {"m.sql": "{% macro entry() %}{{ return(local()) }}{% endmacro %}"
                         "{% macro local() %}{{ return('pkg local') }}{% endmacro %}"},
    })
    assert runtime.evaluate("caller()", "proj") == "pkg local"


def test_unknown_macro_is_undefined() -> None:
    runtime = _runtime({"proj": {}})
    with pytest.raises(jinja2.UndefinedError):
        runtime.evaluate("nope()", "proj")


_DBT_IMPLS = (
    "{% macro default__thing() %}{{ return('dbt default') }}{% endmacro %}"
    "{% macro duckdb__thing() %}{{ return('dbt duckdb') }}{% endmacro %}"
    "{% macro default__other() %}{{ return('dbt other default') }}{% endmacro %}"
    "{% macro postgres__other() %}{{ return('dbt other postgres') }}{% endmacro %}"
)


def test_dispatch_adapter_prefix_before_default() -> None:
    runtime = _runtime({"dbt": {"d.sql": _DBT_IMPLS}, "proj": {}})
    assert dispatch(runtime, "thing", "dbt")() == "dbt duckdb"
    # dbt-duckdb does not inherit postgres__ implementations (checked with dbt-duckdb 1.11): default__ wins
    assert dispatch(runtime, "other", "dbt")() == "dbt other default"
    on_postgres = MacroRuntime(_index({"dbt": {"d.sql": _DBT_IMPLS}, "proj": {}}, adapter="postgres"),
                               {"return": return_})
    assert dispatch(on_postgres, "other", "dbt")() == "dbt other postgres"


def test_dispatch_root_override_beats_dbt() -> None:
    runtime = _runtime({
        "dbt": {"d.sql": _DBT_IMPLS},
        "proj": {"o.sql": "{% macro default__thing() %}{{ return('root default') }}{% endmacro %}"},
    })
    assert dispatch(runtime, "thing", "dbt")() == "root default"
    assert dispatch(runtime, "dbt.thing")() == "root default"
    assert dispatch(runtime, "other", "dbt")() == "dbt other default"


def test_dispatch_search_order_config() -> None:
    runtime = _runtime(
        {
            "dbt": {"d.sql": _DBT_IMPLS},
            "proj": {"o.sql": "{% macro default__thing() %}{{ return('root') }}{% endmacro %}"},
            "shim": {"s.sql": "{% macro default__thing() %}{{ return('shim') }}{% endmacro %}"},
            "utils": {"u.sql": "{% macro default__thing() %}{{ return('utils') }}{% endmacro %}"},
        },
        dispatch_cfg=[{"macro_namespace": "utils", "search_order": ["shim", "utils"]}],
    )
    assert dispatch(runtime, "thing", "utils")() == "shim"


def test_dispatch_not_found() -> None:
    runtime = _runtime({"dbt": {}, "proj": {}})
    with pytest.raises(CompileError) as info:
        dispatch(runtime, "missing", "dbt")
    assert "default__missing" in (info.value.hint or "")


# ------------------------------------------------------------------------------------------ native rendering


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ true }}", True),
        ("{{ 1 == 2 }}", False),
        ("{{ 1 + 1 }}", 2),
        ("{{ 2.5 }}", 2.5),
        ("{{ [1, 2] }}", [1, 2]),
        ("{{ {'a': 1} }}", {"a": 1}),
        ("{{ x }}", "hello"),
        ("{{ n }}", 7),
        ("prefix {{ 1 }}", "prefix 1"),
        ("plain", "plain"),
        ("{{ 'True' | as_bool }}", True),
        ("{{ '3' | as_number }}", 3),
    ],
)
def test_render_native(source: str, expected: Any) -> None:
    result = render_native(source, {"x": "hello", "n": 7}, unique_name("yaml"))
    assert result == expected
    assert type(result) is type(expected)


def test_as_text_keeps_numbery_strings() -> None:
    result = render_native('{{ "1" | as_text }}', {}, unique_name("yaml"))
    assert result == "1" and isinstance(result, str)


def test_string_valued_expression_stays_a_string() -> None:
    result = render_native("{{ s }}", {"s": "42"}, unique_name("yaml"))
    assert result == "42"


# ------------------------------------------------------------------------------------------ inject_ctes

CTE = [("model.proj.eph", " __dbt__cte__eph as (\nselect 1 as id\n)")]


def test_inject_ctes_without_with() -> None:
    out = inject_ctes("select * from __dbt__cte__eph", CTE)
    assert out == "with __dbt__cte__eph as (\nselect 1 as id\n)\nselect * from __dbt__cte__eph"


def test_inject_ctes_merges_with_existing_with() -> None:
    sql = "WITH base as (select * from __dbt__cte__eph)\nselect * from base"
    out = inject_ctes(sql, CTE)
    assert out == (
        "WITH __dbt__cte__eph as (\nselect 1 as id\n), base as (select * from __dbt__cte__eph)\nselect * from base"
    )
    assert out.lower().count("with") == 1


def test_inject_ctes_after_leading_comments() -> None:
    sql = "-- header\n/* block\ncomment */\nwith base as (select 1)\nselect * from base"
    out = inject_ctes(sql, CTE)
    assert out.startswith("-- header\n/* block\ncomment */\nwith __dbt__cte__eph as (")
    assert out.endswith("), base as (select 1)\nselect * from base")


def test_inject_ctes_not_fooled_by_with_in_an_identifier() -> None:
    sql = "select * from within_limits"
    out = inject_ctes(sql, CTE)
    assert out.startswith("with __dbt__cte__eph as (")
    assert out.endswith("\nselect * from within_limits")


def test_inject_several_ctes_in_order() -> None:
    ctes = [("model.proj.e1", " __dbt__cte__e1 as (select 1)"), ("model.proj.e2", " __dbt__cte__e2 as (select 2)")]
    out = inject_ctes("select 1", ctes)
    assert out == "with __dbt__cte__e1 as (select 1),  __dbt__cte__e2 as (select 2)\nselect 1"
