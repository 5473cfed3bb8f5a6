"""Connecting to PostgreSQL: env_var passwords, `mason debug`, clear errors for bad profiles, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PostgresWarehouse, Project


@pytest.fixture(scope="module")
def pg(pg_server: object) -> Iterator[PostgresWarehouse]:
    wh = PostgresWarehouse(pg_server)
    try:
        yield wh
    finally:
        wh.cleanup()


def write_profile(root: Path, **fields: object) -> None:
    lines = "\n".join(f"      {k}: {v}" for k, v in fields.items())
    (root / "profiles.yml").write_text(f"conformance:\n  target: dev\n  outputs:\n    dev:\n{lines}\n")


def run(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_TEST_"))}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "mason", *args], cwd=root, env=full, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def project(pg: PostgresWarehouse, tmp_path: Path) -> Project:
    return Project(tmp_path / "p", pg, {"models/one.sql": "select 1 as id"})


def base_fields(pg: PostgresWarehouse, project: Project) -> dict[str, object]:
    s = pg.server
    return {"type": "postgres", "host": s.host, "port": s.port, "user": s.user,
            "dbname": pg.database(project.root), "schema": "analytics", "threads": 1}


def test_password_from_env_var(pg: PostgresWarehouse, project: Project) -> None:
    write_profile(project.root, **base_fields(pg, project),
                  password="\"{{ env_var('MASON_TEST_PG_PASSWORD') }}\"", search_path="analytics,public",
                  keepalives_idle=30, connect_timeout=5, retries=2, application_name="mason-tests", sslmode="disable")
    ok = run(project.root, "run", env={"MASON_TEST_PG_PASSWORD": pg.server.password})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert project.rows("one") == [(1,)]
    missing = run(project.root, "run")
    assert missing.returncode != 0
    assert "MASON_TEST_PG_PASSWORD" in missing.stdout + missing.stderr
    assert "Traceback" not in missing.stdout + missing.stderr


def test_debug_reports_adapter_server_and_connection(pg: PostgresWarehouse, project: Project) -> None:
    result = run(project.root, "debug")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "type: postgres" in out
    assert f"host: {pg.server.host}" in out and f"port: {pg.server.port}" in out
    assert f"server version: PostgreSQL {pg.server.version_num // 10000}" in out
    assert "Connection test: [OK connection ok]" in out
    assert pg.server.password not in out


@pytest.mark.parametrize("change, expected", [
    ({"port": 1}, ["127.0.0.1:1", "connection refused", "profile 'conformance'", "host and port"]),
    ({"password": "wrong"}, ["refused the login of user 'postgres'", "password"]),
    ({"dbname": "no_such_db"}, ["database 'no_such_db' does not exist", "create database"]),
    ({"host": None}, ["has no 'host'", "profiles.yml"]),
])
def test_connection_errors_are_clear(pg: PostgresWarehouse, project: Project, change: dict[str, object],
                                     expected: list[str]) -> None:
    fields = {**base_fields(pg, project), "password": f'"{pg.server.password}"', **change}
    write_profile(project.root, **{k: v for k, v in fields.items() if v is not None})
    for args in (("run",), ("debug",)):
        result = run(project.root, *args)
        text = result.stdout + result.stderr
        assert result.returncode == 1, text
        assert "Traceback" not in text
        for piece in expected:
            assert piece in text, f"{piece!r} not in:\n{text}"


def test_ctrl_c_cancels_running_queries(pg: PostgresWarehouse, tmp_path: Path) -> None:
    project = Project(tmp_path / "cancel", pg, {
        "models/slow_a.sql": "{{ config(materialized='table') }}\nselect 1 as id from pg_sleep(60)",
        "models/slow_b.sql": "{{ config(materialized='table') }}\nselect 1 as id from pg_sleep(60)",
    })
    db = pg.database(project.root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    proc = subprocess.Popen([sys.executable, "-m", "mason", "run"], cwd=project.root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sleeping() -> int:
        rows = pg.server.scalar(f"select count(*) from pg_stat_activity where datname = '{db}' "
                                "and query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()")
        return int(rows)

    deadline = time.monotonic() + 60
    while sleeping() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sleeping() == 2, "both models should be running"
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 15
    assert proc.returncode != 0
    assert "Interrupted" in out + err
    assert sleeping() == 0
    assert "slow_a" not in project.relations() and "slow_b" not in project.relations()
    # no half-built relations are left behind either
    assert not [r for r in project.relations() if "__dbt" in r]


def test_cross_database_reference_is_refused(pg: PostgresWarehouse, project: Project) -> None:
    project.write({"models/elsewhere.sql": "{{ config(database='another_db') }}\nselect 1 as id"})
    result = run(project.root, "run", "--select", "elsewhere")
    assert result.returncode == 1
    text = result.stdout + result.stderr
    assert "cross-database" in text and "another_db" in text and "Traceback" not in text


def test_profile_rendering_keeps_numbers(pg: PostgresWarehouse, project: Project) -> None:
    """A port given through env_var (a string) works like a number."""
    fields = {**base_fields(pg, project), "password": f'"{pg.server.password}"',
              "port": "\"{{ env_var('MASON_TEST_PG_PORT') }}\""}
    write_profile(project.root, **fields)
    ok = run(project.root, "run", env={"MASON_TEST_PG_PORT": str(pg.server.port)})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert project.rows("one") == [(1,)]


def test_role_search_path_and_application_name(pg: PostgresWarehouse, project: Project) -> None:
    role = f"builder_{uuid.uuid4().hex[:6]}"
    pg.server.execute(f"create role {role}")
    pg.server.execute(f"grant {role} to {pg.server.user}")
    db = pg.database(project.root)
    pg.server.execute(f"grant create on database {db} to {role}")
    try:
        write_profile(project.root, **base_fields(pg, project), password=f'"{pg.server.password}"', role=role,
                      search_path='"analytics, public"', application_name="mason-tests")
        project.write({"models/session.sql": (
            "{{ config(materialized='table') }}\n"
            "select current_user::text as usr, current_setting('search_path') as sp, "
            "current_setting('application_name') as app")})
        result = run(project.root, "run", "--select", "session")
        assert result.returncode == 0, result.stdout + result.stderr
        assert project.rows("session") == [(role, "analytics, public", "mason-tests")]
        owner = project.query("select tableowner from pg_tables where tablename = 'session'")
        assert owner == [(role,)]
    finally:
        pg.cleanup()
        pg.server.execute(f"drop role {role}")


def test_get_columns_types_like_dbt_postgres(pg: PostgresWarehouse, project: Project) -> None:
    from mason.adapters.postgres.adapter import PostgresAdapter
    from mason.adapters.target import Target

    db = pg.database(project.root)
    pg.server.execute("create schema s; create table s.t (a varchar(32), b numeric(10,2), c timestamp(3), "
                      "d text, e integer[], f character(3), g timestamptz, h numeric); "
                      "create materialized view s.mv as select * from s.t", db)
    s = pg.server
    adapter = PostgresAdapter(Target("p", "dev", "postgres", 1, db, "s", {
        "host": s.host, "port": s.port, "user": s.user, "password": s.password, "dbname": db}))
    try:
        for name in ("t", "mv"):
            cols = adapter.get_columns(adapter.make_relation(db, "s", name))
            assert [(c.name, c.dtype, c.data_type) for c in cols] == [
                ("a", "character varying", "character varying(32)"), ("b", "numeric", "numeric(10,2)"),
                ("c", "timestamp without time zone", "timestamp without time zone"), ("d", "text", "text"),
                ("e", "integer[]", "integer[]"), ("f", "character", "character(3)"),
                ("g", "timestamp with time zone", "timestamp with time zone"), ("h", "numeric", "numeric")]
            assert cols[0].is_string() and cols[0].string_size() == 32 and cols[1].is_numeric()
        rel = adapter.get_relation(db, "s", "mv")
        assert rel is not None and rel.type == "materialized_view"
        assert adapter.get_relation(db, "s", "nope") is None
    finally:
        adapter.close()
