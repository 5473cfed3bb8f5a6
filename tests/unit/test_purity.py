"""Which macros are pure (output depends only on arguments), so models calling them skip a parse render."""

from __future__ import annotations

from mason.jinja.macros import MacroIndex
from mason.nodes.nodes import Macro
from mason.parse.purity import Purity


def _index(sources: dict[str, str], package: str = "proj") -> MacroIndex:
    macros = [Macro(unique_id=f"macro.{package}.{name}", package_name=package, name=name, path="m.sql",
                    original_file_path="macros/m.sql", macro_sql=sql) for name, sql in sources.items()]
    return MacroIndex(macros, {}, package, [package], "duckdb")


def _pure(sources: dict[str, str]) -> dict[str, bool]:
    purity = Purity(_index(sources))
    return {name: purity.macro_for_call(name, "proj") is not None for name in sources}


def test_arguments_builtins_and_other_pure_macros_are_pure() -> None:
    assert _pure({
        "cents": "{% macro cents(col, scale=2) %}round({{ col }} / 100, {{ scale }}){% endmacro %}",
        "twice": "{% macro twice(x) %}{% set y = x ~ x %}{{ cents(y) }}{{ range(3) | list }}{% endmacro %}",
        "rec": "{% macro rec(n) %}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}{% endmacro %}",
    }) == {"cents": True, "twice": True, "rec": True}


def test_context_reads_and_effects_are_impure() -> None:
    assert _pure({
        "uses_ref": "{% macro uses_ref() %}{{ ref('x') }}{% endmacro %}",
        "uses_var": "{% macro uses_var() %}{{ var('x') }}{% endmacro %}",
        "uses_target": "{% macro uses_target() %}{{ target.schema }}{% endmacro %}",
        "logs": "{% macro logs() %}{% do log('hi') %}{% endmacro %}",
        "calls_impure": "{% macro calls_impure() %}{{ uses_ref() }}{% endmacro %}",
        "unknown": "{% macro unknown() %}{{ not_a_macro() }}{% endmacro %}",
        "adapter_other": "{% macro adapter_other() %}{{ adapter.quote('x') }}{% endmacro %}",
    }) == {"uses_ref": False, "uses_var": False, "uses_target": False, "logs": False, "calls_impure": False,
           "unknown": False, "adapter_other": False}


def test_literal_dispatch_resolves_to_the_adapter_implementation() -> None:
    pure = _pure({
        "safe_divide": "{% macro safe_divide(a, b) %}{{ return(adapter.dispatch('safe_divide', 'proj')(a, b)) }}"
                       "{% endmacro %}",
        "default__safe_divide": "{% macro default__safe_divide(a, b) %}{{ a }} / {{ b }}{% endmacro %}",
        "bad_dispatch": "{% macro bad_dispatch(a) %}{{ adapter.dispatch('impl')(a) }}{% endmacro %}",
        "duckdb__impl": "{% macro duckdb__impl(a) %}{{ this }}{% endmacro %}",
        "dynamic": "{% macro dynamic(n) %}{{ adapter.dispatch(n)() }}{% endmacro %}",
    })
    assert pure["safe_divide"] is True
    assert pure["bad_dispatch"] is False  # resolves to duckdb__impl, which reads `this`
    assert pure["dynamic"] is False


def test_macros_that_may_call_config_are_found_through_calls_and_dispatch() -> None:
    sources = {
        "test_sets": "{% macro test_sets(model) %}{{ adapter.dispatch('test_sets', 'proj')(model) }}{% endmacro %}",
        "default__test_sets": "{% macro default__test_sets(model) %}{{ config(fail_calc='sum(n)') }}"
                              "{% if not execute %}{{ return('') }}{% endif %}select 1{% endmacro %}",
        "test_via_helper": "{% macro test_via_helper(model) %}{{ helper() }}{% endmacro %}",
        "helper": "{% macro helper() %}{% do config.set('severity', 'warn') %}{% endmacro %}",
        "test_reads": "{% macro test_reads(model) %}{{ config.get('where') }}{{ plain() }}{% endmacro %}",
        "plain": "{% macro plain() %}select 1{% endmacro %}",
        "test_dynamic": "{% macro test_dynamic(model, n) %}{{ adapter.dispatch(n)(model) }}{% endmacro %}",
    }
    index = _index(sources)
    purity = Purity(index)
    found = {name: purity.may_configure(index.find(name, "proj")) for name in sources if name.startswith("test_")}
    assert found == {"test_sets": True, "test_via_helper": True, "test_reads": False, "test_dynamic": True}


def _reads(sources: dict[str, str], context: frozenset[str] = frozenset({"ref", "var", "config", "flags"})
           ) -> dict[str, frozenset[str] | None]:
    purity = Purity(_index(sources))
    index = purity.index
    return {name: purity.config_reads(index.find(name, "proj"), context) for name in sources}  # type: ignore[arg-type]


def test_config_reads_of_generic_test_macros() -> None:
    """A test macro that is pure but for `config.get('literal')` and `flags.X` compiles without a render
    of its own (Compiler._generic_test); anything else renders as usual."""
    found = _reads({
        "test_plain": "{% macro test_plain(model, column_name) %}select {{ column_name }} from {{ model }}{% endmacro %}",
        "should_store": "{% macro should_store() %}{{ return(config.get('store_failures') or flags.STORE_FAILURES)"
                        " }}{% endmacro %}",
        "test_nn": "{% macro test_nn(model, column_name) %}select {{ '*' if should_store() else column_name }} "
                   "from {{ model }}{% endmacro %}",
        "where_sub": "{% macro where_sub(rel) %}{% set w = config.get('where') %}{{ return(rel if not w "
                     "else '(' ~ w ~ ')') }}{% endmacro %}",
        "test_dynamic_key": "{% macro test_dynamic_key(model, k) %}{{ config.get(k) }}{% endmacro %}",
        "test_config_call": "{% macro test_config_call(model) %}{{ config(severity='warn') }}{% endmacro %}",
        "test_var": "{% macro test_var(model) %}{{ var('x') }}{% endmacro %}",
        "test_calls_var": "{% macro test_calls_var(model) %}{{ test_var(model) }}{% endmacro %}",
        "test_loop": "{% macro test_loop(model, values) %}{% for v in values %}'{{ v }}'{% if not loop.last %},"
                     "{% endif %}{% endfor %}{% endmacro %}",
    })
    assert found == {
        "test_plain": frozenset(), "should_store": frozenset({"store_failures"}),
        "test_nn": frozenset({"store_failures"}), "where_sub": frozenset({"where"}),
        "test_dynamic_key": None, "test_config_call": None, "test_var": None, "test_calls_var": None,
        "test_loop": frozenset(),
    }
