"""Reliability of blue/green deploys on DuckDB and PostgreSQL.

- Readers in threads query production without pause while 100 deploys are promoted: never an error, never a
  missing relation, never rows of two deploys in one query (each deploy writes its number into every model).
- A deploy killed (`kill -9`) after its environment is built, and one killed inside the promotion's
  transaction, leave production exactly as it was, and the next deploy succeeds.
- Two deploys at once: the second is refused with a clear message, never a mix.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import Project, Warehouse

FILES = {
    "models/a.sql": "{{ config(materialized='table') }}\nselect {{ var('v', 0) }} as v, 1 as k",
    "models/b.sql": "{{ config(materialized='view') }}\nselect v, k from {{ ref('a') }}",
    "models/c.sql": "{{ config(materialized='table') }}\nselect max(v) as v from {{ ref('b') }}",
}
PROMOTIONS = 100


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    if warehouse.name not in ("duckdb", "postgres"):
        pytest.skip("atomic promotion needs transactions (Spark's limits are in docs/deploy.md)")
    return Project(tmp_path_factory.mktemp("reliable"), warehouse, FILES)


def _session(project: Project, version: int) -> Any:
    from mason.session import Flags, Session

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env["MASON_HISTORY"] = "0"
    return Session(project_dir=project.root, profiles_dir=project.root, cli_vars={"v": version}, env=env,
                   flags=Flags(quiet=True))


def _reader(project: Project) -> Any:
    """A function reading production's three relations in one statement, on a connection of its own."""
    wh = project.warehouse
    sql = (f"select (select max(v) from {wh.qualify(project.schema, 'a')}), "
           f"(select max(v) from {wh.qualify(project.schema, 'b')}), "
           f"(select v from {wh.qualify(project.schema, 'c')})")
    if wh.name == "duckdb":
        import duckdb

        con = duckdb.connect(str(project.root / "warehouse.duckdb"))  # the deploys' own database instance
        return lambda: con.execute(sql).fetchone(), con.close
    import psycopg

    server = wh.server  # type: ignore[attr-defined]
    con = psycopg.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                          dbname=wh.database(project.root), autocommit=True)  # type: ignore[attr-defined]
    return lambda: con.execute(sql).fetchone(), con.close


def test_readers_never_see_a_gap_or_a_mix(project: Project) -> None:
    from mason.api.deploy import deploy

    opts = {"select": (), "exclude": (), "selector": None, "full": True, "keep": 2, "gate": "errors"}
    assert deploy(_session(project, 0), opts) == 0
    stop = threading.Event()
    seen: list[tuple[Any, ...]] = []
    errors: list[str] = []

    def read() -> None:
        query, close = _reader(project)
        last = -1
        try:
            while not stop.is_set():
                try:
                    row = query()
                except Exception as exc:  # any error is a failure of the guarantee
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return
                seen.append(row)
                if len(set(row)) != 1:
                    errors.append(f"rows of two deploys in one query: {row}")
                if row[0] < last:
                    errors.append(f"went back from {last} to {row[0]}")
                last = row[0]
        finally:
            close()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for version in range(1, PROMOTIONS + 1):
            assert deploy(_session(project, version), opts) == 0
            assert not errors, errors[:3]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    assert len({row[0] for row in seen}) > PROMOTIONS // 4  # the readers did see the deploys go by
    assert project.rows("c") == [(PROMOTIONS,)]


def _start(project: Project, pause: str, version: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env.update(MASON_DEPLOY_TEST_PAUSE=pause, MASON_DEPLOY_TEST_PAUSE_SECONDS="60", MASON_HISTORY="0")
    return subprocess.Popen([sys.executable, "-m", "mason", "deploy", "--full", "--vars", f"{{v: {version}}}"],
                            cwd=project.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(proc: subprocess.Popen[str], marker: str) -> str:
    assert proc.stdout is not None
    out = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        out.append(line)
        if marker in line:
            return "".join(out)
    raise AssertionError("the deploy never paused: " + "".join(out))


@pytest.mark.parametrize("where", ["build", "promote"])
def test_a_killed_deploy_leaves_production_as_it_was(project: Project, where: str) -> None:
    project.run("deploy", "--full", "--vars", "{v: 500}")
    before = [project.rows(n) for n in ("a", "b", "c")]
    proc = _start(project, where, 501)
    _wait_for(proc, f"paused at {where}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert [project.rows(n) for n in ("a", "b", "c")] == before
    after = project.run("deploy", "--full", "--vars", "{v: 502}")
    assert "Promoted environment" in after.stdout
    assert project.rows("c") == [(502,)]
    statuses = [line.split()[1] for line in project.run("environments", "list").stdout.splitlines()]
    assert "building" not in statuses


def test_two_deploys_at_once(project: Project) -> None:
    first = _start(project, "build", 600)
    try:
        _wait_for(first, "paused at build")
        second = project.run("deploy", "--full", "--vars", "{v: 601}", expect=None)
        assert second.code != 0
        message = second.stderr + second.stdout
        assert "another deploy or rollback" in message or "holds the file" in message, message
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert project.run("deploy", "--full", "--vars", "{v: 602}").code == 0
    assert project.rows("c") == [(602,)]


def test_promotion_of_many_relations_is_quick(project: Project, tmp_path: Path) -> None:
    """The speed figure lives in bench/deploy.py; here: a 200-relation promotion commits as one."""
    many = {f"models/m{i:03d}.sql": "{{ config(materialized='table') }}\nselect " + str(i) + " as i"
            for i in range(200)}
    project.write(many)
    try:
        out = project.run("deploy")
        assert "Promoted environment" in out.stdout
        assert project.rows("m199") == [(199,)]
    finally:
        project.remove(*many)
