"""PostgreSQL-only features: indexes, unlogged, grants, materialized views, COPY seed types, long names,
atomic rebuilds with hooks, and the MERGE fallback for servers before 15."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from .conftest import PostgresWarehouse, Project, model


@pytest.fixture(scope="module")
def pg(pg_server: object) -> Iterator[PostgresWarehouse]:
    wh = PostgresWarehouse(pg_server)
    try:
        yield wh
    finally:
        wh.cleanup()


def indexes(p: Project, name: str) -> list[tuple[bool, str, str]]:
    """(unique, method, columns) of every index on a relation, sorted."""
    rows = p.query(
        "select ix.indisunique, am.amname, array_to_string(array(select a.attname from unnest(ix.indkey) "
        "with ordinality k(n, o) join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.n order by k.o), ',') "
        "from pg_index ix join pg_class i on i.oid = ix.indexrelid join pg_am am on am.oid = i.relam "
        f"where ix.indrelid = to_regclass('\"{p.schema}\".\"{name}\"')")
    return sorted(rows)


# ------------------------------------------------------------------------------------ indexes, unlogged
FEATURES = {
    "models/indexed.sql": """
        {{ config(materialized='table', indexes=[
            {'columns': ['id'], 'unique': true},
            {'columns': ['a', 'b']},
            {'columns': ['tags'], 'type': 'gin'}]) }}
        select id, id * 2 as a, 'x' as b, array['t' || id] as tags from generate_series(1, 5) as id
        """,
    "models/inc_indexed.sql": """
        {{ config(materialized='incremental', unique_key='id', indexes=[{'columns': ['id'], 'unique': true}]) }}
        select id from generate_series(1, {{ var('n', 3) }}) as id
        """,
    "models/fast.sql": "{{ config(materialized='table', unlogged=true) }}\nselect 1 as id",
    "models/slow.sql": "{{ config(materialized='table') }}\nselect 1 as id",
    "seeds/codes.csv": "code,label\n1,one\n2,two\n",
    "seeds/codes.yml": """
        seeds:
          - name: codes
            config:
              indexes: [{columns: [code], unique: true}]
        """,
}


@pytest.fixture(scope="module")
def features(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = Project(tmp_path_factory.mktemp("pg_features"), pg, FEATURES)
    first = project.run("build")
    second = project.run("build", "--vars", "n: 5")  # rebuilds the tables: fresh index names, no clash
    return SimpleNamespace(project=project, first=first, second=second)


def test_indexes_on_tables_seeds_and_incrementals(features: SimpleNamespace) -> None:
    p = features.project
    assert indexes(p, "indexed") == [(False, "btree", "a,b"), (False, "gin", "tags"), (True, "btree", "id")]
    assert indexes(p, "inc_indexed") == [(True, "btree", "id")]
    assert indexes(p, "codes") == [(True, "btree", "code")]
    assert p.rows("inc_indexed") == [(i,) for i in range(1, 6)]  # the incremental kept its index and grew


def test_unlogged(features: SimpleNamespace) -> None:
    kinds = dict(features.project.query(
        "select relname, relpersistence from pg_class where relname in ('fast', 'slow')"))
    assert kinds == {"fast": "u", "slow": "p"}


def test_bad_index_config_names_the_model(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = Project(tmp_path_factory.mktemp("pg_bad_index"), pg, {
        "models/m.sql": "{{ config(materialized='table', indexes=[{'columns': ['id'], 'type': 'fancy'}]) }}\n"
                        "select 1 as id"})
    run = project.run("run", expect=1)
    message = run.results[model("m")]["message"]
    assert "fancy" in message and "models/m.sql" in message and "btree" in message


# ------------------------------------------------------------------------------------------------ grants
@pytest.fixture(scope="module")
def roles(pg: PostgresWarehouse) -> Iterator[tuple[str, str]]:
    names = (f"reader_{uuid.uuid4().hex[:6]}", f"writer_{uuid.uuid4().hex[:6]}")
    for name in names:
        pg.server.execute(f"create role {name}")
    yield names
    pg.cleanup()  # the databases holding grants to the roles go first
    for name in names:
        pg.server.execute(f"drop role {name}")


def privileges(p: Project, relation: str, role: str) -> set[str]:
    return {priv for priv in ("select", "insert", "update", "delete")
            if p.query(f"select has_table_privilege('{role}', '\"{p.schema}\".\"{relation}\"', '{priv}')")[0][0]}


def test_grants_applied_and_revoked(pg: PostgresWarehouse, roles: tuple[str, str],
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    reader, writer = roles
    files = {
        "models/t.sql": f"{{{{ config(materialized='table', grants={{'select': ['{reader}']}}) }}}}\nselect 1 as id",
        "models/v.sql": f"{{{{ config(grants={{'select': ['{reader}', '{writer}']}}) }}}}\nselect 1 as id",
        "models/inc.sql": ("{{ config(materialized='incremental', grants=var('grants')) }}\n"
                           "select 1 as id"),
    }
    project = Project(tmp_path_factory.mktemp("pg_grants"), pg, files)
    project.run("run", "--vars", f"grants: {{select: [{reader}], insert: [{writer}]}}")
    assert privileges(project, "t", reader) == {"select"} and privileges(project, "t", writer) == set()
    assert privileges(project, "v", reader) == {"select"} and privileges(project, "v", writer) == {"select"}
    assert privileges(project, "inc", writer) == {"insert"}
    # the incremental table is kept, so grants it no longer lists are revoked
    project.run("run", "--select", "inc", "--vars", f"grants: {{select: [{writer}]}}")
    assert privileges(project, "inc", reader) == set()
    assert privileges(project, "inc", writer) == {"select"}


# ------------------------------------------------------------------------------------- materialized view
def test_materialized_view_create_refresh_and_configuration_change(
        pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    files = {
        "models/base.sql": "{{ config(materialized='table') }}\nselect id from generate_series(1, {{ var('n') }}) as id",
        "models/mv.sql": ("{{ config(materialized='materialized_view', indexes=var('idx', []), "
                          "on_configuration_change=var('occ', 'apply')) }}\n"
                          "select count(*) as n from {{ ref('base') }}"),
    }
    project = Project(tmp_path_factory.mktemp("pg_mv"), pg, files)
    project.run("run", "--vars", "n: 2")
    assert project.relations() == {"base": "table", "mv": "materialized_view"}
    assert project.rows("mv") == [(2,)]
    # base is rebuilt (its old table dropped with cascade): the view is rebuilt after it, not lost
    project.run("run", "--vars", "n: 3")
    assert project.rows("mv") == [(3,)]
    # only the view: refreshed in place (it sees the new row), with the index the config now asks for
    project.query_commit(f'insert into "{project.schema}"."base" values (4)')
    assert project.rows("mv") == [(3,)]
    project.run("run", "--select", "mv", "--vars", "{n: 4, idx: [{columns: [n]}]}")
    assert project.rows("mv") == [(4,)]
    assert indexes(project, "mv") == [(False, "btree", "n")]
    failed = project.run("run", "--select", "mv", "--vars", "{n: 4, occ: fail}", expect=1)
    assert "on_configuration_change" in failed.results[model("mv")]["message"]
    project.run("run", "--select", "mv", "--full-refresh", "--vars", "{n: 4, occ: fail}")
    assert indexes(project, "mv") == []
    # docs generate sees materialized views (information_schema does not list them)
    project.run("docs", "generate", "--vars", "n: 4")
    import json

    catalog = json.loads((project.root / "target" / "catalog.json").read_text())
    entry = catalog["nodes"][model("mv")]
    assert entry["metadata"]["type"] == "MATERIALIZED VIEW"
    assert entry["columns"]["n"]["type"] == "bigint"


def test_materialized_view_refused_on_duckdb(tmp_path_factory: pytest.TempPathFactory) -> None:
    from .conftest import DuckDBWarehouse

    project = Project(tmp_path_factory.mktemp("duck_mv"), DuckDBWarehouse(),
                      {"models/mv.sql": "{{ config(materialized='materialized_view') }}\nselect 1 as id"})
    run = project.run("run", expect=1)
    assert "not available on duckdb" in run.results[model("mv")]["message"]


# ---------------------------------------------------------------------------------------------- seeds
TYPED = '''\
id,big,ratio,day,at,iso,flag,note,empty,zip
1,3000000000,1.5,2024-01-31,2024-01-31 10:00:00,2024-01-31T10:00:00+02:00,true,plain,,01234
2,-3,2,2024-2-29,2024-02-29 23:59:59,2024-02-29T23:59:59Z,False,"with, comma",null,00501
3,,-0.25,,,,,"say ""hi""",,
'''


def test_seed_types_through_copy(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = Project(tmp_path_factory.mktemp("pg_seed_types"), pg, {
        "seeds/typed.csv": TYPED,
        "seeds/overridden.csv": "code,amount\n007,1.50\n",
        "seeds/props.yml": """
            seeds:
              - name: overridden
                config: {column_types: {code: "varchar(8)", amount: "numeric(10,2)"}}
            """,
    })
    project.run("seed")
    types = dict(project.query(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = 'analytics.typed'::regclass and attnum > 0"))
    assert types == {"id": "integer", "big": "bigint", "ratio": "double precision", "day": "date",
                     "at": "timestamp without time zone", "iso": "timestamp without time zone", "flag": "boolean",
                     "note": "text", "empty": "integer", "zip": "integer"}
    assert project.rows("typed") == [
        (1, 3000000000, 1.5, dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 10), dt.datetime(2024, 1, 31, 8), True,
         "plain", None, 1234),
        (2, -3, 2.0, dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 23, 59, 59), dt.datetime(2024, 2, 29, 23, 59, 59),
         False, "with, comma", None, 501),
        (3, None, -0.25, None, None, None, None, 'say "hi"', None, None),
    ]
    from decimal import Decimal

    assert project.rows("overridden") == [("007", Decimal("1.50"))]
    assert list(project.columns("overridden").values()) == ["text", "decimal"]


def test_seed_bad_value_names_line_and_column(pg: PostgresWarehouse,
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    project = Project(tmp_path_factory.mktemp("pg_seed_bad"), pg, {
        "seeds/s.csv": "id,amount\n1,10\n2,ten\n",
        "seeds/s.yml": "seeds:\n  - name: s\n    config: {column_types: {amount: integer}}\n",
        "seeds/ragged.csv": "a,b\n1,2\n3\n",
    })
    run = project.run("seed", expect=1)
    bad = run.results["seed.conformance.s"]["message"]
    assert "s.csv:3" in bad and "'ten'" in bad and "amount" in bad, bad
    ragged = run.results["seed.conformance.ragged"]["message"]
    assert "ragged.csv:3" in ragged, ragged
    assert "Traceback" not in run.stdout + run.stderr


# ----------------------------------------------------------------------------- names and atomic rebuilds
LONG = "m" * 60  # fits PostgreSQL's 63 bytes, but not with __dbt_tmp / __dbt_backup appended


def test_long_names_rebuild_and_too_long_names_are_refused(pg: PostgresWarehouse,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    project = Project(tmp_path_factory.mktemp("pg_long"), pg, {
        f"models/{LONG}.sql": "{{ config(materialized='table') }}\nselect {{ var('v', 1) }} as id",
        f"models/{LONG}_v.sql": f"select id from {{{{ ref('{LONG}') }}}}",
        f"models/{LONG}_i.sql": ("{{ config(materialized='incremental', unique_key='id') }}\n"
                                 "select {{ var('v', 1) }} as id"),
    })
    project.run("run")
    project.run("run", "--vars", "v: 2")
    assert project.rows(LONG) == [(2,)]
    assert project.rows(f"{LONG}_v") == [(2,)]
    assert project.rows(f"{LONG}_i") == [(1,), (2,)]
    assert set(project.relations()) == {LONG, f"{LONG}_v", f"{LONG}_i"}

    project.write({"models/" + "x" * 64 + ".sql": "select 1 as id"})
    run = project.run("run", "--select", "x" * 64, expect=1)
    message = run.results[model("x" * 64)]["message"]
    assert "63" in message and "alias" in message


def test_failing_post_hook_rolls_back_the_swap(pg: PostgresWarehouse,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    files = {
        "models/t.sql": ("{{ config(materialized='table', post_hook=var('hook', 'select 1')) }}\n"
                         "select {{ var('v', 1) }} as id"),
        "models/v.sql": ("{{ config(materialized='view', post_hook=var('hook', 'select 1')) }}\n"
                         "select {{ var('v', 1) }} as id, 'view' as kind"),
        "models/dep.sql": "select id from {{ ref('t') }}",
    }
    project = Project(tmp_path_factory.mktemp("pg_atomic"), pg, files)
    project.run("run")
    failed = project.run("run", "--select", "t", "v", "--vars", "{v: 2, hook: 'select * from no_such_table'}",
                         expect=1)
    assert failed.statuses() == {model("t"): "error", model("v"): "error"}
    assert "no_such_table" in failed.results[model("t")]["message"]
    assert project.rows("t") == [(1,)] and project.rows("v") == [(1, "view")]
    # the view depending on t survived: the drop of t's backup (with cascade) was rolled back too
    assert project.relations() == {"t": "table", "v": "view", "dep": "view"}
    assert project.rows("dep") == [(1,)]


def test_merge_falls_back_to_delete_insert_before_postgres_15(pg: PostgresWarehouse,
                                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    """The SQL Mason sends to a server without MERGE, run for real on this server."""
    from dataclasses import replace

    from mason.adapters.postgres.adapter import PostgresAdapter
    from mason.adapters.target import Target
    from mason.execute.materializations import BuildContext, materialize_incremental
    from mason.nodes.nodes import Node

    root = tmp_path_factory.mktemp("pg_merge_fallback")
    server = pg.server
    db = pg.database(root)
    server.execute("create schema s; create table s.t as select 1 as id, 'a' as v union all select 2, 'b'", db)
    target = Target("p", "dev", "postgres", 1, db, "s", {"type": "postgres", "host": server.host, "port": server.port,
                                                           "user": server.user, "password": server.password,
                                                           "dbname": db})
    adapter = PostgresAdapter(target)
    adapter.capabilities = replace(adapter.capabilities, merge=False)
    node = Node(unique_id="model.p.t", resource_type="model", package_name="p", name="t", path="t.sql",
                original_file_path="models/t.sql", fqn=("p", "t"), raw_code="", checksum="",
                config={"materialized": "incremental", "incremental_strategy": "merge", "unique_key": "id"})
    sent: list[str] = []
    try:
        ctx = BuildContext(adapter=adapter, node=node, sql="select 2 as id, 'B' as v union all select 3, 'c'",
                           relation=adapter.make_relation(db, "s", "t", "table"), full_refresh=False,
                           run_hooks=lambda which, inside: None, record_sql=sent.append)
        outcome = materialize_incremental(ctx)
    finally:
        adapter.close()
    assert outcome.status == "success"
    assert not any(s.lstrip().lower().startswith("merge") for s in sent)
    assert any(s.lstrip().lower().startswith("delete") for s in sent)
    with server.connect(db) as conn:
        assert sorted(conn.execute("select id, v from s.t").fetchall()) == [(1, "a"), (2, "B"), (3, "c")]


def test_unquoted_identifiers_rebuild(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    """With quoting.identifier false, PostgreSQL folds names to lower case; rebuilds must find and swap them."""
    project = Project(tmp_path_factory.mktemp("pg_unquoted"), pg, {
        "models/CamelTable.sql": "{{ config(materialized='table') }}\nselect {{ var('v', 1) }} as id",
        "models/CamelView.sql": "select id from {{ ref('CamelTable') }}",
    }, project_yml="quoting:\n  identifier: false\n")
    project.run("run")
    project.run("run", "--vars", "v: 2")
    assert project.relations() == {"cameltable": "table", "camelview": "view"}
    assert project.rows("cameltable") == [(2,)] and project.rows("camelview") == [(2,)]


def test_seed_kinds_hold_beyond_the_first_rows(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Types are guessed from the first rows and checked while loading; a later surprise redoes the load."""
    n = 6000
    lines = ["id,code,big,ts"]
    for i in range(n):
        code = "abc" if i == n - 1 else str(i)          # text, but only the last row says so
        big = "5000000000" if i == n - 2 else str(i)    # bigint, but only near the end
        ts = "2024-01-01T10:00:00+01:00" if i == n - 3 else "2024-01-01T10:00:00"
        lines.append(f"{i},{code},{big},{ts}")
    project = Project(tmp_path_factory.mktemp("pg_seed_late"), pg, {
        "seeds/late.csv": "\n".join(lines) + "\n",
        "seeds/easy.csv": "\n".join(["id,v"] + [f"{i},{i * 2}" for i in range(n)]) + "\n",
    })
    run = project.run("seed")
    assert run.results["seed.conformance.late"]["adapter_response"]["rows_affected"] == n
    assert run.results["seed.conformance.easy"]["adapter_response"]["rows_affected"] == n
    types = dict(project.query("select attname, format_type(atttypid, atttypmod) from pg_attribute "
                               "where attrelid = 'analytics.late'::regclass and attnum > 0"))
    assert types == {"id": "integer", "code": "text", "big": "bigint", "ts": "timestamp without time zone"}
    assert project.query("select code, big, ts from analytics.late where id >= 5997 order by id") == [
        ("5997", 5997, dt.datetime(2024, 1, 1, 9)), ("5998", 5000000000, dt.datetime(2024, 1, 1, 10)),
        ("abc", 5999, dt.datetime(2024, 1, 1, 10))]
    assert project.query("select count(*), sum(v) from analytics.easy") == [(n, sum(i * 2 for i in range(n)))]


def test_store_failures_as_table_and_view_rerun(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = Project(tmp_path_factory.mktemp("pg_store_failures"), pg, {
        "models/m.sql": "{{ config(materialized='table') }}\nselect 1 as id union all select 1 union all select null",
        "models/m.yml": """
            models:
              - name: m
                columns:
                  - name: id
                    data_tests:
                      - unique: {config: {store_failures: true}}
                      - not_null: {config: {store_failures_as: view}}
            """,
    })
    project.run("run")
    for _ in range(2):  # the second run replaces the audit relations
        project.run("test", expect=1)
    audit = f"{project.schema}_dbt_test__audit"
    assert project.relations(audit) == {"unique_m_id": "table", "not_null_m_id": "view"}
    assert project.rows("unique_m_id", schema=audit) == [(1, 2)]
    assert project.rows("not_null_m_id", schema=audit) == [(None,)]


@pytest.mark.parametrize("version", [150000, 180000])
def test_seed_inference_before_and_after_postgres_16(pg: PostgresWarehouse, tmp_path_factory: pytest.TempPathFactory,
                                                     version: int) -> None:
    """Before 16 (no pg_input_is_valid) types are checked with patterns and calendar arithmetic: same result."""
    from mason.adapters.postgres.adapter import PostgresAdapter
    from mason.adapters.target import Target
    from mason.execute.seeds import load_seed

    root = tmp_path_factory.mktemp(f"pg_seed_v{version}")
    csv_path = root / "typed.csv"
    # 2023-02-29 is no date, 25:00:00 no time: those columns are text
    csv_path.write_text(TYPED + "4,5,1e3,2024-12-31,2024-12-31 23:59:59,2024-12-31T23:59,TRUE,x,,7\n")
    bad = root / "bad.csv"
    bad.write_text("d,t,n\n2023-02-29,2024-01-01 25:00:00,1.5.1\n2024-01-01,2024-01-01 10:00:00,2\n")
    s = pg.server
    db = pg.database(root)
    adapter = PostgresAdapter(Target("p", "dev", "postgres", 1, db, "s", {
        "host": s.host, "port": s.port, "user": s.user, "password": s.password, "dbname": db}))
    adapter.server_version_num = version
    node = SimpleNamespace(name="typed", config={}, unique_id="seed.p.typed", original_file_path="seeds/typed.csv")
    try:
        for path in (csv_path, bad):
            node.name = path.stem
            outcome = load_seed(adapter, node, adapter.make_relation(db, "s", path.stem, "table"), path,
                                full_refresh=False)
            assert outcome.status == "success"
    finally:
        adapter.close()
    with s.connect(db) as conn:
        def types(name: str) -> dict[str, str]:
            return dict(conn.execute("select attname, format_type(atttypid, atttypmod) from pg_attribute "
                                     f"where attrelid = 's.{name}'::regclass and attnum > 0").fetchall())

        assert types("typed") == {"id": "integer", "big": "bigint", "ratio": "double precision", "day": "date",
                                  "at": "timestamp without time zone", "iso": "timestamp without time zone",
                                  "flag": "boolean", "note": "text", "empty": "integer", "zip": "integer"}
        assert types("bad") == {"d": "text", "t": "text", "n": "text"}
        assert conn.execute("select ratio, iso from s.typed where id = 4").fetchall() == [
            (1000.0, dt.datetime(2024, 12, 31, 23, 59))]
