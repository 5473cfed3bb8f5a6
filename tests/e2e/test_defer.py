"""--defer, --favor-state and clone on DuckDB, as dbt-core 1.11 behaves on the same project (the state
scenarios' base project, prod and dev targets as two schemas of one file): which nodes run, which relations
their compiled SQL reads, what clone reports. dbt-core's answers, recorded by hand from dbt-core 1.11.16 +
dbt-duckdb 1.11.1 runs of these commands, are the literals below."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from .conftest import run_mason
from .state_scenarios import BASE

FILES = {**BASE, "profiles.yml": "st:\n  target: prod\n  outputs:\n"
                                 "    prod: {type: duckdb, path: wh.duckdb, schema: prod}\n"
                                 "    dev: {type: duckdb, path: wh.duckdb, schema: dev}\n"}
NEW_B = "select id, {{ outer('id') }} as d, 7 as e from {{ ref('a') }}\n"


def _results(project: Path) -> dict[str, tuple[str, str]]:
    data = json.loads((project / "target" / "run_results.json").read_text())
    return {r["unique_id"]: (r["status"], r["message"]) for r in data["results"]}


def _relations(project: Path, schema: str) -> list[str]:
    with duckdb.connect(str(project / "wh.duckdb"), read_only=True) as con:
        return sorted(r[0] for r in con.execute(
            f"select table_name from information_schema.tables where table_schema = '{schema}'").fetchall())


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "st"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    built = run_mason(root, "build", "--profiles-dir", ".")
    assert built.code == 0, built.stdout + built.stderr
    (tmp_path / "state").mkdir()
    shutil.copy(root / "target" / "manifest.json", tmp_path / "state" / "manifest.json")
    (root / "models" / "b.sql").write_text(NEW_B)
    return root


def test_modified_and_downstream_read_the_rest_from_production(project: Path) -> None:
    out = run_mason(project, "build", "--profiles-dir", ".", "-t", "dev", "-s", "state:modified+", "--defer",
                    "--state", "../state")
    assert out.code == 0, out.stdout + out.stderr
    # dbt-core: b and c built in dev (PASS=2), b reads "wh"."prod"."a"
    assert _results(project) == {"model.st.b": ("success", "OK"), "model.st.c": ("success", "OK")}
    assert "from \"wh\".\"prod\".\"a\"" in (project / "target/compiled/st/models/b.sql").read_text()
    assert _relations(project, "dev") == ["b", "c"]
    with duckdb.connect(str(project / "wh.duckdb"), read_only=True) as con:
        assert con.execute("select id, d, e from dev.c order by id").fetchall() == [(1, 2, 7), (2, 4, 7)]


def test_without_defer_the_upstream_is_missing(project: Path) -> None:
    out = run_mason(project, "build", "--profiles-dir", ".", "-t", "dev", "-s", "state:modified+", "--state",
                    "../state")
    assert out.code == 1
    results = _results(project)
    assert results["model.st.b"][0] == "error" and results["model.st.c"][0] == "skipped"


def test_favor_state_reads_production_even_where_dev_has_it(project: Path) -> None:
    assert run_mason(project, "run", "--profiles-dir", ".", "-t", "dev", "-s", "b", "--defer", "--state",
                     "../state").code == 0
    plain = run_mason(project, "run", "--profiles-dir", ".", "-t", "dev", "-s", "c", "--defer", "--state", "../state")
    assert plain.code == 0
    assert "\"wh\".\"dev\".\"b\"" in (project / "target/compiled/st/models/c.sql").read_text()
    favored = run_mason(project, "run", "--profiles-dir", ".", "-t", "dev", "-s", "c", "--defer", "--favor-state",
                        "--state", "../state")
    assert favored.code == 0
    # dbt-core: `select * from "wh"."prod"."b"`
    assert "\"wh\".\"prod\".\"b\"" in (project / "target/compiled/st/models/c.sql").read_text()


def test_compile_and_show_defer(project: Path) -> None:
    compiled = run_mason(project, "compile", "--profiles-dir", ".", "-t", "dev", "-s", "c", "--defer", "--state",
                         "../state")
    assert compiled.code == 0, compiled.stderr
    assert "\"wh\".\"prod\".\"b\"" in compiled.stdout
    shown = run_mason(project, "show", "--profiles-dir", ".", "-t", "dev", "-s", "b", "--defer", "--state",
                      "../state")
    assert shown.code == 0, shown.stderr
    assert shown.stdout.splitlines()[-2:] == ["| 1  | 2 | 7 |", "| 2  | 4 | 7 |"]  # dev has no a: prod's
    needs_state = run_mason(project, "run", "--profiles-dir", ".", "-t", "dev", "-s", "b", "--defer")
    assert needs_state.code == 2 and "--defer needs" in needs_state.stderr


def test_clone_as_dbt_clones(project: Path) -> None:
    assert run_mason(project, "run", "--profiles-dir", ".", "-t", "dev", "-s", "b", "c", "--defer", "--state",
                     "../state").code == 0
    out = run_mason(project, "clone", "--profiles-dir", ".", "-t", "dev", "--state", "../state")
    assert out.code == 0, out.stdout + out.stderr
    # dbt-core 1.11: a, d, s created as views of prod's ("OK"), b and c already there ("No-op"), PASS=5
    assert _results(project) == {"model.st.a": ("success", "OK"), "model.st.b": ("success", "No-op"),
                                 "model.st.c": ("success", "No-op"), "model.st.d": ("success", "OK"),
                                 "seed.st.s": ("success", "OK")}
    assert "Relation \"wh\".\"dev\".\"b\" already exists" in out.stdout
    assert "PASS=5" in out.stdout
    assert _relations(project, "dev") == ["a", "b", "c", "d", "s"]
    with duckdb.connect(str(project / "wh.duckdb"), read_only=True) as con:
        assert con.execute("select * from dev.a order by id").fetchall() == [(1, "a"), (2, "b")]
        assert con.execute("select table_type from information_schema.tables where table_schema = 'dev' "
                           "and table_name = 'a'").fetchone() == ("VIEW",)
    missing = run_mason(project, "clone", "--profiles-dir", ".", "-t", "dev")
    assert missing.code == 2 and "--state" in missing.stderr
