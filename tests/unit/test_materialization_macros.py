"""The `dbt.` macros Jinja materializations are built from, rendered in the execute-time context and run
on DuckDB: relations, DDL, incremental strategies, schema changes, docs, grants, hooks and test SQL."""

from __future__ import annotations

from typing import Any

import pytest

from mason.jinja.environment import MacroException

from .runtime_harness import Harness, make_node

TARGET = "api.Relation.create(database='memory', schema='main', identifier='target', type='table')"
SOURCE = "api.Relation.create(identifier='source__tmp', type='table')"


@pytest.fixture()
def inc(h: Harness) -> Harness:
    h.adapter.execute("create table main.target as select * from (values (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)) "
                      "t(id, v, n)")
    h.adapter.execute("create temporary table source__tmp as select * from (values (2, 'B', 21), (4, 'd', 40)) "
                      "t(id, v, n)")
    return h


def run(h: Harness, expression: str, node: Any = None) -> None:
    sql = h.value(expression, node)
    h.adapter.execute(str(sql))


def target_rows(h: Harness) -> list[tuple[Any, ...]]:
    return h.sql("select id, v, n from main.target order by id, v, n")


def cols(h: Harness) -> str:
    return f"adapter.get_columns_in_relation({TARGET})"


# ------------------------------------------------------------------------------------------ relations


def test_helper_relations(h: Harness) -> None:
    node = h.nodes[0]
    out = h.render(
        "{% set t = make_temp_relation(this) %}{{ t.schema is none }}|{{ t.database is none }}|"
        "{{ t.identifier.startswith('orders__dbt_tmp') and t.identifier | length > 20 }}|"
        "{{ make_temp_relation(this, '__x').identifier[:10] }}|{{ make_intermediate_relation(this) }}|"
        "{{ make_backup_relation(this, 'view') }}|{{ make_backup_relation(this, 'view').type }}|"
        "{{ make_intermediate_relation(this, '__mine').identifier }}", node)
    assert out == ('True|True|True|orders__x2|"memory"."main"."orders__dbt_tmp"|'
                   '"memory"."main"."orders__dbt_backup"|view|orders__mine')


def test_create_table_and_view_as(h: Harness) -> None:
    node = make_node("built", sql_header="set threads = 1;")
    for expression in ("get_create_table_as_sql(False, this, 'select 1 as a')",
                       "create_view_as(this.incorporate(path={'identifier': 'built_v'}, type='view'), 'select 2 as a')",
                       "get_create_table_as_sql(True, make_temp_relation(this), 'select 3 as a')"):
        sql = h.value(expression, node)
        assert str(sql).startswith("set threads = 1;\ncreate ")
        h.adapter.execute(str(sql))
    assert h.sql("select a from main.built") == [(1,)]
    assert h.sql("select table_type from information_schema.tables where table_name = 'built_v'") == [("VIEW",)]
    assert h.sql("select count(*) from duckdb_tables() where temporary and table_name like 'built__dbt_tmp%'") == [(1,)]
    temporary = str(h.value("create_table_as(True, this, 'select 1')", node))
    assert 'temporary table "built"' in temporary  # DuckDB temporary tables take no schema


def test_quoted_csv_and_alter_column(h: Harness) -> None:
    assert h.value("get_quoted_csv(['a', 'B c'])") == '"a", "B c"'
    h.adapter.execute("create table main.alt as select 1 as a, 2 as z")
    rel = "api.Relation.create(database='memory', schema='main', identifier='alt', type='table')"
    h.render(f"{{% do alter_column_type({rel}, 'a', 'varchar') %}}"
             f"{{% do alter_relation_add_remove_columns({rel}, [api.Column('b', 'integer')], []) %}}")
    # as in dbt, the retyped column keeps its values and moves to the end
    assert h.sql("select column_name, data_type from information_schema.columns where table_name = 'alt' "
                 "order by ordinal_position") == [("z", "INTEGER"), ("a", "VARCHAR"), ("b", "INTEGER")]
    assert h.sql("select a from main.alt") == [("1",)]
    h.render(f"{{% do alter_relation_add_remove_columns({rel}, none, [api.Column('a', 'varchar')]) %}}")
    assert h.sql("select column_name from information_schema.columns where table_name = 'alt' "
                 "order by ordinal_position") == [("z",), ("b",)]


def test_truncate_and_schema_macros(h: Harness) -> None:
    h.render("{% do create_schema(api.Relation.create(database='memory', schema='scratch')) %}")
    h.adapter.execute("create table scratch.t as select 1 as a")
    h.render("{% do truncate_relation(api.Relation.create(database='memory', schema='scratch', identifier='t')) %}")
    assert h.sql("select count(*) from scratch.t") == [(0,)]
    exists = h.value("check_schema_exists(api.Relation.create(database='memory').information_schema(), 'scratch')")
    assert exists.rows[0][0] == 1
    assert "scratch" in [r[0] for r in h.value("list_schemas('memory')").rows]
    h.render("{% do drop_schema(api.Relation.create(database='memory', schema='scratch')) %}")
    assert h.value("list_schemas('memory')").columns[0].values().count("scratch") == 0


# ------------------------------------------------------------------------------------------ incremental


def test_merge_with_unique_key(inc: Harness) -> None:
    run(inc, f"get_merge_sql({TARGET}, {SOURCE}, 'id', {cols(inc)})")
    assert target_rows(inc) == [(1, "a", 10), (2, "B", 21), (3, "c", 30), (4, "d", 40)]


def test_merge_with_composite_key_predicates_and_update_columns(inc: Harness) -> None:
    node = make_node("m", merge_update_columns=["n"])
    run(inc, f"get_merge_sql({TARGET}, {SOURCE}, ['id'], {cols(inc)}, ['DBT_INTERNAL_DEST.id > 1'])", node)
    assert target_rows(inc) == [(1, "a", 10), (2, "b", 21), (3, "c", 30), (4, "d", 40)]


def test_merge_excluding_columns_and_without_key(inc: Harness) -> None:
    node = make_node("m", merge_exclude_columns=["v"])
    run(inc, f"get_merge_sql({TARGET}, {SOURCE}, 'id', {cols(inc)})", node)
    assert target_rows(inc)[1] == (2, "b", 21)
    run(inc, f"get_merge_sql({TARGET}, {SOURCE}, none, {cols(inc)})")  # insert only
    assert inc.sql("select count(*) from main.target") == [(6,)]
    with pytest.raises(MacroException, match="cannot both be set"):
        inc.value(f"get_merge_sql({TARGET}, {SOURCE}, 'id', {cols(inc)})",
                  make_node("m", merge_exclude_columns=["v"], merge_update_columns=["n"]))


def test_delete_insert(inc: Harness) -> None:
    run(inc, f"get_delete_insert_merge_sql({TARGET}, {SOURCE}, 'id', {cols(inc)})")
    assert target_rows(inc) == [(1, "a", 10), (2, "B", 21), (3, "c", 30), (4, "d", 40)]


def test_delete_insert_composite_key_with_predicate(inc: Harness) -> None:
    inc.adapter.execute("insert into source__tmp values (3, 'c', 99)")
    run(inc, f"get_delete_insert_merge_sql({TARGET}, {SOURCE}, ['id', 'v'], {cols(inc)}, "
             f"['DBT_INTERNAL_DEST.id < 3'])")
    # (3, 'c') matches but the predicate keeps the old row: both remain
    assert target_rows(inc) == [(1, "a", 10), (2, "B", 21), (2, "b", 20), (3, "c", 30), (3, "c", 99), (4, "d", 40)]


def test_insert_overwrite(inc: Harness) -> None:
    run(inc, f"get_insert_overwrite_merge_sql({TARGET}, {SOURCE}, {cols(inc)}, ['DBT_INTERNAL_DEST.id >= 2'])")
    assert target_rows(inc) == [(1, "a", 10), (2, "B", 21), (4, "d", 40)]


def test_strategy_macros_take_an_arg_dict(inc: Harness) -> None:
    args = f"{{'target_relation': {TARGET}, 'temp_relation': {SOURCE}, 'unique_key': 'id', 'dest_columns': {cols(inc)}}}"
    run(inc, f"get_incremental_default_sql({args})")
    assert target_rows(inc)[1] == (2, "B", 21) and len(target_rows(inc)) == 4
    run(inc, f"get_incremental_append_sql({args})")
    assert len(target_rows(inc)) == 6
    run(inc, f"get_incremental_merge_sql({args})")
    assert len(target_rows(inc)) == 6
    run(inc, f"adapter.get_incremental_strategy_macro(context, 'delete+insert')({args})")
    assert len(target_rows(inc)) == 4
    no_key = args.replace("'unique_key': 'id'", "'unique_key': none")
    run(inc, f"get_incremental_default_sql({no_key})")
    assert len(target_rows(inc)) == 6


def test_schema_changes(inc: Harness) -> None:
    inc.adapter.execute("create temporary table wider as select 5 as id, 'e' as v, 50 as n, true as flag")
    wider = "api.Relation.create(identifier='wider', type='table')"
    assert inc.value(f"process_schema_changes('ignore', {wider}, {TARGET})") is None
    assert inc.value("incremental_validate_on_schema_change('bogus')") == "ignore"
    with pytest.raises(MacroException, match="no longer match the model: new \\['flag'\\]"):
        inc.value(f"process_schema_changes('fail', {wider}, {TARGET})")
    after = inc.value(f"process_schema_changes('append_new_columns', {wider}, {TARGET})")
    assert [c.name for c in after] == ["id", "v", "n", "flag"]
    inc.adapter.execute("create temporary table narrower as select 6 as id, 6.5::double as n")
    narrower = "api.Relation.create(identifier='narrower', type='table')"
    synced = inc.value(f"process_schema_changes('sync_all_columns', {narrower}, {TARGET})")
    assert [(c.name, c.dtype) for c in synced] == [("id", "INTEGER"), ("n", "DOUBLE")]


# ------------------------------------------------------------------------------------------ docs, grants, hooks


def test_persist_docs_writes_comments(h: Harness) -> None:
    from dataclasses import replace

    from mason.nodes.nodes import Column as NodeColumn

    node = replace(make_node("documented", persist_docs={"relation": True, "columns": True}),
                   description="it's documented", columns={"a": NodeColumn("a", "the a column")})
    h.adapter.execute("create table main.documented as select 1 as a")
    h.render("{% do persist_docs(this, model) %}", node)
    assert h.sql("select comment from duckdb_tables() where table_name = 'documented'") == [("it's documented",)]
    assert h.sql("select comment from duckdb_columns() where table_name = 'documented'") == [("the a column",)]


def test_grants_are_skipped_on_duckdb(h: Harness) -> None:
    node = h.nodes[1]
    assert h.render("{% do apply_grants(this, config.get('grants'), should_revoke(none)) %}", node) == ""
    assert any("grants are not supported on DuckDB" in m for m in h.logs)
    assert h.value("should_revoke(this, true)", node) is True and h.value("should_revoke(none, true)") is False
    assert " ".join(h.value("dbt.default__get_grant_sql(this, 'select', ['a', 'b'])", node).split()) == \
        'grant select on "memory"."main"."customers" to a, b'


def test_run_hooks_and_noop_statement(h: Harness) -> None:
    hooks = [{"sql": "create table main.h1 as select {{ 40 + 2 }} as x", "transaction": True},
             {"sql": "create table main.h2 as select 2 as x", "transaction": False}]
    h.runtime(None, {"pre_hooks": hooks}).render(
        "{{ run_hooks(pre_hooks, inside_transaction=True) }}{{ run_hooks(pre_hooks, inside_transaction=False) }}",
        "hooks.sql", "proj")
    assert h.sql("select x from main.h1") == [(42,)] and h.sql("select x from main.h2") == [(2,)]
    out = h.render("{% call noop_statement('main', 'did nothing', 'NOOP', 0) %}select 1{% endcall %}"
                   "{{ load_result('main').response.message }}|{{ load_result('main').response.rows_affected }}")
    assert out == "did nothing|0"
    assert h.value("make_hook_config('select 1', false)") == {"sql": "select 1", "transaction": False}


def test_get_test_sql_and_should_store_failures(h: Harness) -> None:
    sql = h.value("get_test_sql('select 1 as x union all select 2', 'count(*)', '> 1', '!= 0', none)")
    assert h.sql(str(sql)) == [(2, True, True)]
    assert h.value("should_store_failures()") is False
    assert h.value("should_store_failures()", make_node("t", store_failures=True)) is True
