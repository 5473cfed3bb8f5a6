"""The Jinja runtime API packages use (`adapter`, `api`, relations, columns, context entries), rendered
through the real execute-time context over a real in-memory DuckDB adapter."""

from __future__ import annotations

import jinja2
import pytest

from mason.adapters.duckdb.adapter import DuckDBAdapter
from mason.adapters.relation import Relation
from mason.errors import CompileError
from mason.jinja.columns import Column
from mason.jinja.environment import MacroException
from mason.jinja.relations import JinjaRelation

from .runtime_harness import Harness

# ------------------------------------------------------------------------------------------ api.Column


def test_columns_from_duckdb_have_dbt_types(h: Harness) -> None:
    cols = h.value("adapter.get_columns_in_relation(api.Relation.create(database='memory', schema='main', "
                   "identifier='people'))")
    assert [c.name for c in cols] == ["id", "name", "score", "price"]
    by = {c.name: c for c in cols}
    assert isinstance(by["id"], Column)
    assert (by["id"].dtype, by["id"].data_type, by["id"].is_integer(), by["id"].is_number()) == (
        "INTEGER", "INTEGER", True, True)
    assert (by["name"].data_type, by["name"].is_string(), by["name"].string_size(), by["name"].quoted) == (
        "character varying(256)", True, 256, '"name"')
    assert by["score"].is_float() and not by["score"].is_string()
    assert by["price"].data_type == "DECIMAL(10,2)" and by["price"].is_numeric() and by["price"].is_number()


def test_column_api_constructors_and_helpers(h: Harness) -> None:
    out = h.render(
        "{% set a = api.Column.create('x', 'varchar(10)') %}{% set b = api.Column('z', 'character varying', 20) %}"
        "{% set n = api.Column.from_description('n', 'numeric(12,3)') %}"
        "{{ a.data_type }}|{{ a.string_size() }}|{{ a.literal('v') }}|{{ b.data_type }}|{{ a.can_expand_to(b) }}|"
        "{{ b.can_expand_to(a) }}|{{ api.Column.string_type(30) }}|{{ api.Column.numeric_type('numeric', 5, 1) }}|"
        "{{ n.dtype }}:{{ n.numeric_precision }}:{{ n.numeric_scale }}:{{ n.data_type }}|{{ a.column }}|"
        "{{ api.Column.create('s', 'STRING').dtype }}")
    assert out == ("varchar(10)|10|v::varchar(10)|character varying(20)|True|False|character varying(30)|"
                   "numeric(5,1)|numeric:12:3:numeric(12,3)|x|TEXT")


def test_string_size_of_a_number_is_an_error_naming_the_column() -> None:
    with pytest.raises(CompileError, match="'id' of type integer"):
        Column("id", "integer").string_size()


# ------------------------------------------------------------------------------------------ relations


def test_relation_create_and_methods(h: Harness) -> None:
    out = h.render(
        "{% set r = api.Relation.create(database='db', schema='s', identifier='i', type='view') %}"
        "{{ r }}|{{ r.is_view }}|{{ r.is_table }}|{{ r.name }}|{{ r.identifier }}|{{ r.schema }}|{{ r.database }}|"
        "{{ r.incorporate(type='table').type }}|{{ r.incorporate(path={'identifier': 'j'}) }}|"
        "{{ r.quote(identifier=false) }}|{{ r.include(database=false) }}|{{ r.without_identifier() }}|"
        "{{ r.information_schema() }}|{{ r.information_schema('tables') }}|{{ r.render() }}|{{ r.type }}|"
        "{{ r.path.identifier }}|{{ api.Relation.create(identifier='t', type='cte').is_cte }}")
    assert out == ('"db"."s"."i"|True|False|i|i|s|db|table|"db"."s"."j"|"db"."s".i|"s"."i"|"db"."s"|'
                   '"db".INFORMATION_SCHEMA|"db".INFORMATION_SCHEMA.tables|"db"."s"."i"|view|i|True')


def test_relations_are_mappings_as_packages_check(h: Harness) -> None:
    # how dbt_utils-style packages tell a relation from a string before using it
    check = ("{% set r = OBJ %}{{ r is mapping and r.get('metadata', {}).get('type', '').endswith('Relation') }}")
    assert h.render(check.replace("OBJ", "api.Relation.create('d', 's', 'i')")) == "True"
    assert h.render(check.replace("OBJ", "adapter.get_relation('memory', 'main', 'people')")) == "True"
    assert h.render(check.replace("OBJ", "'\"d\".\"s\".\"i\"'")) == "False"
    assert h.render("{{ api.Relation.create('d', 's', 'i', 'view')['type'] }}|"
                    "{{ api.Relation.create('d', 's', 'i').get('schema') }}") == "view|s"


def test_relations_from_the_adapter_compare_equal_to_created_ones(h: Harness) -> None:
    assert h.value("adapter.get_relation('memory', 'main', 'people') == "
                   "api.Relation.create('memory', 'main', 'people', 'table')") is True
    found = h.value("adapter.get_relation('memory', 'main', 'People')")  # names match case-insensitively
    assert isinstance(found, JinjaRelation) and found.type == "table"
    assert found == Relation("memory", "main", "people", "table")
    assert h.value("adapter.get_relation('memory', 'main', 'nope')") is None
    assert h.value("load_relation(api.Relation.create('memory', 'main', 'people_v'))").type == "view"
    assert h.value("load_cached_relation(api.Relation.create('memory', 'main', 'people_v')).is_view") is True


# ------------------------------------------------------------------------------------------ adapter


def test_adapter_lists_relations_without_caching(h: Harness) -> None:
    schema = "api.Relation.create(database='memory', schema='main')"
    assert h.value("adapter.already_exists('main', 'people')") is True
    h.adapter.execute("create table main.late as select 1 as x")  # behind the cache's back
    names = h.value(f"adapter.list_relations_without_caching({schema}) | map(attribute='identifier') | list")
    assert sorted(names) == ["late", "people", "people_v"]
    table = h.value(f"list_relations_without_caching({schema})")
    assert table.column_names == ("database", "name", "schema", "type")
    assert [(r["name"], r["type"]) for r in table.rows] == [("late", "table"), ("people", "table"),
                                                              ("people_v", "view")]


def test_adapter_schema_and_relation_ddl(h: Harness) -> None:
    h.render("{% do adapter.create_schema(api.Relation.create(database='memory', schema='extra')) %}")
    assert h.value("adapter.check_schema_exists('memory', 'extra')") is True
    assert h.value("adapter.check_schema_exists('memory', 'missing')") is False
    h.adapter.execute("create table extra.t1 as select 1 as a union all select 2")
    h.render("{% set r = api.Relation.create(database='memory', schema='extra', identifier='t1') %}"
             "{% do adapter.rename_relation(r, r.incorporate(path={'identifier': 't2'})) %}")
    assert h.sql("select count(*) from extra.t2") == [(2,)]
    h.render("{% do adapter.truncate_relation(api.Relation.create('memory', 'extra', 't2')) %}")
    assert h.sql("select count(*) from extra.t2") == [(0,)]
    # the type is unknown to the caller: the adapter looks it up, so a view is dropped as a view
    h.adapter.execute("create view extra.v as select 1 as a")
    h.render("{% do adapter.drop_relation(api.Relation.create('memory', 'extra', 'v')) %}"
             "{% do drop_relation_if_exists(adapter.get_relation('memory', 'extra', 't2')) %}"
             "{% do drop_relation_if_exists(none) %}")
    assert h.sql("select count(*) from information_schema.tables where table_schema = 'extra'") == [(0,)]
    h.render("{% do adapter.drop_schema(api.Relation.create(database='memory', schema='extra')) %}")
    assert h.value("adapter.check_schema_exists('memory', 'extra')") is False


def test_adapter_quoting(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, [], quoting={"identifier": False})
    assert h.render("{{ adapter.quote('a b') }}|{{ adapter.quote_as_configured('x', 'identifier') }}|"
                    "{{ adapter.quote_as_configured('x', 'schema') }}|{{ adapter.quote_seed_column('c', true) }}|"
                    "{{ adapter.quote_seed_column('c', false) }}|{{ adapter.quote_seed_column('c', none) }}|"
                    "{{ adapter.type() }}") == '"a b"|x|"x"|"c"|c|"c"|duckdb'


def test_missing_columns_and_expanding_types(h: Harness) -> None:
    h.adapter.execute("create table main.narrow as select 1 as id")
    missing = h.value("adapter.get_missing_columns(api.Relation.create('memory', 'main', 'people'), "
                      "api.Relation.create('memory', 'main', 'narrow')) | map(attribute='name') | list")
    assert missing == ["name", "score", "price"]
    assert h.render("{{ adapter.expand_target_column_types(api.Relation.create('memory', 'main', 'people'), "
                    "api.Relation.create('memory', 'main', 'narrow')) }}") == ""


def test_columns_in_query(h: Harness) -> None:
    assert h.value("get_columns_in_query('select 1 as a, 2 as \"B\"')") == ["a", "B"]
    cols = h.value("adapter.get_column_schema_from_query(\"select 1::bigint as a, 'x' as b\")")
    assert [(c.name, c.dtype) for c in cols] == [("a", "BIGINT"), ("b", "VARCHAR")]


def test_incremental_strategy_macro_lookup(h: Harness) -> None:
    assert h.value("adapter.get_incremental_strategy_macro(context, 'delete+insert').name") == \
        "get_incremental_delete_insert_sql"
    with pytest.raises(CompileError, match="get_incremental_nope_sql"):
        h.value("adapter.get_incremental_strategy_macro(context, 'nope')")


# ------------------------------------------------------------------------------------------ context


def test_context_values(h: Harness) -> None:
    node = h.nodes[0]
    out = h.render(
        "{{ dbt_version }}|{{ invocation_id }}|{{ run_started_at.tzinfo }}|{{ run_started_at.year }}|"
        "{{ modules.datetime.date(2020, 1, 2) }}|{{ modules.pytz.timezone('UTC').zone }}|"
        "{{ modules.re.sub('a', 'b', 'aa') }}|{{ modules.itertools.chain([1], [2]) | list }}|"
        "{{ var('color') }}|{{ var('size') }}|{{ var('nope', 'dflt') }}|{{ env_var('MY_ENV') }}|"
        "{{ env_var('NOT_SET', 'fallback') }}|{{ model.unique_id }}|{{ model.config.materialized }}|"
        "{{ model.relation_name }}|{{ this }}|{{ selected_resources | length }}|{{ builtins.ref is defined }}|"
        "{{ context.get('make_temp_relation') is not none }}|{{ context['var']('color') }}", node)
    assert out == ('1.11.0|inv-1|UTC|2024|2020-01-02|UTC|bb|[1, 2]|red|3|dflt|from-env|fallback|'
                   'model.proj.orders|table|"memory"."main"."orders"|"memory"."main"."orders"|2|True|True|red')


def test_serialization_helpers(h: Harness) -> None:
    out = h.render(
        "{{ tojson({'a': [1, 2]}) }}|{{ fromjson('{\"b\": 3}')['b'] }}|{{ fromyaml('x: [1, 2]')['x'][1] }}|"
        "{{ toyaml({'k': 'v'}) | trim }}|{{ zip([1, 2], ['a', 'b']) | list }}|{{ set([1, 1, 2]) | length }}|"
        "{{ fromjson('not json', 'dflt') }}|{{ local_md5('x') }}")
    assert out == ('{"a": [1, 2]}|3|2|k: v|[(1, \'a\'), (2, \'b\')]|2|dflt|9dd4e461268c8034f5c8564e155c67a6')


def test_run_query_returns_an_agate_like_table(h: Harness) -> None:
    table = h.value("run_query('select id, name from main.people order by id')")
    assert table.column_names == ("id", "name")
    assert table.columns[0].values() == (1, 2)
    assert table.columns["name"].values() == ("ann", "bob")
    assert table.rows[1]["name"] == "bob" and table.rows[0][0] == 1 and len(table) == 2
    assert h.render("{% set t = run_query('select 41 + 1 as n') %}{{ t.columns[0].values()[0] }}") == "42"
    # the rest of agate's Table API that macros use
    assert h.render("{% set t = run_query('select id, name from main.people order by id') %}"
                    "{{ t[0][1] }}|{{ t[1]['id'] }}|{{ t.select(['name']).column_names }}|"
                    "{{ t.order_by('id', reverse=true).rows[0]['name'] }}|{{ t.limit(1) | length }}|"
                    "{{ t.rows[0].values() | list }}|{{ t[:1] | length }}") == \
        "ann|2|('name',)|bob|1|[1, 'ann']|1"
    assert [r["name"] for r in table.where(lambda r: r["id"] > 1)] == ["bob"]


def test_statement_and_load_result(h: Harness) -> None:
    out = h.render(
        "{% call statement('q', fetch_result=True) %}select count(*) as n from main.people{% endcall %}"
        "{% set r = load_result('q') %}{{ r['data'][0][0] }}|{{ r.table.columns['n'].values()[0] }}|"
        "{{ r.response.message }}"
        "{% call statement('nofetch') %}select 1{% endcall %}|{{ load_result('nofetch').table.rows | length }}|"
        "{{ load_result('never') is none }}")
    assert out == "2|2|OK|0|True"


def test_log_and_exceptions(h: Harness) -> None:
    assert h.render("{{ log('to the log', info=true) }}{% do exceptions.warn('careful') %}") == ""
    assert "to the log" in h.logs and any("careful" in m for m in h.logs)
    with pytest.raises(MacroException, match="stop here"):
        h.render("{{ exceptions.raise_compiler_error('stop here') }}")
    with pytest.raises(MacroException, match="database error: relation is wrong"):
        h.render("{{ exceptions.raise_database_error('relation is wrong') }}")


def test_graph_is_shaped_like_the_manifest(h: Harness) -> None:
    out = h.render(
        "{% for n in graph.nodes.values() | sort(attribute='name') %}"
        "{{ n.name }}:{{ n.resource_type }}:{{ n.config.materialized }}:{{ n.relation_name }}:{{ n.tags }};"
        "{% endfor %}{{ graph.sources | length }}|{{ graph.exposures | length }}|{{ graph.metrics | length }}|"
        "{{ graph.semantic_models | length }}|{{ 'macros' in graph }}")
    assert out == ('customers:model:view:"memory"."main"."customers":[\'nightly\'];'
                   'orders:model:table:"memory"."main"."orders":[\'nightly\'];0|0|0|0|True')
    # macros editing what they read do not change the project
    h.render("{% do graph.nodes['model.proj.orders'].config.update({'materialized': 'view'}) %}")
    assert h.nodes[0].config["materialized"] == "table"


def test_return_gives_python_values(h: Harness) -> None:
    assert h.value("make_backup_relation(this, 'view')", h.nodes[0]).type == "view"
    assert h.value("dbt.get_or_create_relation('memory', 'main', 'people', 'table')")[0] is True
    exists, rel = h.value("dbt.get_or_create_relation('memory', 'main', 'newone', 'table')")
    assert exists is False and rel.identifier == "newone"


def test_clear_errors_for_common_mistakes(h: Harness) -> None:
    with pytest.raises(CompileError, match="adapter.get_columns_in_relation needs a relation .* got str 'people'"):
        h.value("adapter.get_columns_in_relation('people')")
    with pytest.raises(jinja2.UndefinedError, match="macro 'dbt.create_tabel_as' is not defined "
                                                    "\\(did you mean 'create_table_as'"):
        h.render("{{ dbt.create_tabel_as(false, this, 'select 1') }}", h.nodes[0])
    assert h.render("{{ dbt.no_such_macro is defined }}|{{ dbt.is_incremental() }}|{{ 'statement' in dbt }}",
                    h.nodes[0]) == "False|False|True"
    with pytest.raises(CompileError, match="a rename stays in its schema"):
        h.render("{% do adapter.rename_relation(api.Relation.create('memory', 'main', 'people'), "
                 "api.Relation.create('memory', 'other', 'people2')) %}")
