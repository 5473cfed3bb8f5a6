"""Failure paths: clear one-screen errors with file and line, skips, fail-fast, warn-error, atomic rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from .conftest import PROFILE, run_mason


def make_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n")
    (root / "profiles.yml").write_text(PROFILE.format(db=root / "p.duckdb"))
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def results(root: Path) -> dict[str, dict]:
    data = json.loads((root / "target" / "run_results.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


def test_unknown_ref_names_file_line_and_suggestion(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/stg_orders.sql": "select 1 as id",
        "models/orders.sql": "select *\nfrom {{ ref('stg_order') }}",
    })
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "models/orders.sql:2" in res.stderr
    assert "stg_orders" in res.stderr and "Traceback" not in res.stderr


def test_yaml_error_points_at_line(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id",
        "models/schema.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n     data_tests: [unique]\n",
    })
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "models/schema.yml:6" in res.stderr and "Traceback" not in res.stderr


def test_cycle_reports_whole_path(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select * from {{ ref('c') }}",
        "models/b.sql": "select * from {{ ref('a') }}",
        "models/c.sql": "select * from {{ ref('b') }}",
    })
    res = run_mason(root, "ls")
    assert res.code == 1
    for name in ("model.p.a", "model.p.b", "model.p.c", "models/a.sql"):
        assert name in res.stderr
    assert "cycle" in res.stderr and "Traceback" not in res.stderr


def test_all_parse_errors_reported_together(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select * from {{ ref('nope') }}",
        "models/b.sql": "select * from {{ ref('missing') }}",
        "models/c.sql": "select {{ var('undefined_var') }} as x",
    })
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "nope" in res.stderr and "missing" in res.stderr


def test_jinja_syntax_error_has_line(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/a.sql": "select 1\n{% if true %}\nas x"})
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "models/a.sql" in res.stderr and "Traceback" not in res.stderr


def test_bad_cli_usage_exits_2(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/a.sql": "select 1 as id"})
    assert run_mason(root, "ls", "--select", "@a+").code == 2
    assert run_mason(root, "run", "--no-such-flag").code == 2


def test_sql_error_skips_children_and_exits_one(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/good.sql": "select 1 as id",
        "models/bad.sql": "select * from does_not_exist",
        "models/child.sql": "select * from {{ ref('bad') }}",
        "models/grandchild.sql": "select * from {{ ref('child') }}",
    })
    res = run_mason(root, "run")
    assert res.code == 1
    r = results(root)
    assert r["model.p.good"]["status"] == "success"
    assert r["model.p.bad"]["status"] == "error"
    assert "does_not_exist" in r["model.p.bad"]["message"]
    assert r["model.p.child"]["status"] == "skipped"
    assert r["model.p.grandchild"]["status"] == "skipped"
    assert "Error in model.p.bad (models/bad.sql)" in res.stdout + res.stderr


def test_failed_rebuild_leaves_previous_table(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/t.sql": "{{ config(materialized='table') }}\nselect 1 as id union all select 2",
        "models/v.sql": "select 42 as answer",
    })
    assert run_mason(root, "run").code == 0
    (root / "models" / "t.sql").write_text("{{ config(materialized='table') }}\nselect 1 / 0 as id, nosuchcol")
    (root / "models" / "v.sql").write_text("select * from nowhere")
    assert run_mason(root, "run").code == 1
    con = duckdb.connect(str(root / "p.duckdb"), read_only=True)
    try:
        assert con.execute("select * from main.t order by 1").fetchall() == [(1,), (2,)]
        assert con.execute("select * from main.v").fetchall() == [(42,)]
        names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        con.close()
    assert not any("tmp" in n or "backup" in n for n in names)


def test_failing_test_skips_dependents_in_build(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id union all select 1",
        "models/b.sql": "select * from {{ ref('a') }}",
        "models/schema.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [unique]\n",
    })
    res = run_mason(root, "build")
    assert res.code == 1
    r = results(root)
    test_id = next(u for u in r if u.startswith("test.p.unique_a_id"))
    assert r[test_id]["status"] == "fail" and r[test_id]["failures"] == 1
    assert r["model.p.b"]["status"] == "skipped"


def test_warn_severity_and_warn_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id union all select 1",
        "models/schema.yml": ("version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n"
                              "          - unique:\n              config: {severity: warn}\n"),
    })
    assert run_mason(root, "build").code == 0
    r = results(root)
    test_id = next(u for u in r if u.startswith("test."))
    assert r[test_id]["status"] == "warn"
    assert run_mason(root, "build", "--warn-error").code == 1
    assert results(root)[test_id]["status"] == "fail"


def test_fail_fast_stops_the_run(tmp_path: Path) -> None:
    files = {"models/bad.sql": "select * from missing_table"}
    for i in range(6):
        files[f"models/m{i}.sql"] = f"select {i} as id"
    root = make_project(tmp_path / "p", files)
    (root / "profiles.yml").write_text(PROFILE.format(db=root / "p.duckdb").replace("threads: 2", "threads: 1"))
    res = run_mason(root, "run", "--fail-fast")
    assert res.code == 1
    statuses = [r["status"] for r in results(root).values()]
    assert "error" in statuses and "skipped" in statuses


def test_retry_reruns_only_failures(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/ok.sql": "select 1 as id",
        "models/flaky.sql": "select * from {{ var('src', 'missing_table') }}",
        "models/after.sql": "select * from {{ ref('flaky') }}",
    })
    assert run_mason(root, "run").code == 1
    con = duckdb.connect(str(root / "p.duckdb"))
    con.execute("create table missing_table as select 7 as id")
    con.close()
    res = run_mason(root, "retry")
    assert res.code == 0, res.stdout[-2000:]
    r = results(root)
    assert set(r) >= {"model.p.flaky", "model.p.after"}
    assert "model.p.ok" not in r


def test_secrets_never_reach_artifacts_or_logs(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/a.sql": "select 1 as id"})
    (root / "profiles.yml").write_text(PROFILE.format(db=root / "p.duckdb").replace(
        "threads: 2", "threads: 2\n      password: \"{{ env_var('DBT_ENV_SECRET_TOKEN') }}\""))
    (root / "models" / "b.sql").write_text("select '{{ target.name }}' as t")
    secret = "s3cr3t-value-123"
    res = run_mason(root, "run", "--debug", env={"DBT_ENV_SECRET_TOKEN": secret})
    assert res.code == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert secret not in res.stdout + res.stderr
    for path in (root / "target").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="ignore"), path
    for path in (root / "logs").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="ignore"), path


def test_ctrl_c_cancels_and_leaves_previous_table(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    root = make_project(tmp_path / "p", {"models/slow.sql": "{{ config(materialized='table') }}\nselect 1 as x"})
    assert run_mason(root, "run").code == 0
    (root / "models" / "slow.sql").write_text(
        "{{ config(materialized='table') }}\nselect count(*) as x from range(3000000) a(i), range(3000000) b(j) "
        "where (i * 7 + j) % 1000003 = 5")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    proc = subprocess.Popen([sys.executable, "-m", "mason", "run"], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out
    assert "Interrupted" in out
    con = duckdb.connect(str(root / "p.duckdb"), read_only=True)
    try:
        assert con.execute("select * from main.slow").fetchall() == [(1,)]
    finally:
        con.close()


def test_properties_for_a_missing_model_warn_with_a_suggestion(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/orders.sql": "select 1 as id",
        "models/schema.yml": "version: 2\nmodels:\n  - name: order\n    description: typo\n",
    })
    res = run_mason(root, "parse")
    assert res.code == 0
    assert "models/schema.yml:3" in res.stderr and "'order'" in res.stderr and "orders" in res.stderr
