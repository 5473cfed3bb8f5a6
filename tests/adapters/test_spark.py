"""Spark-only features: file_format, partition_by, clustered_by + buckets, location_root, tblproperties,
persist_docs, insert_overwrite (dynamic partitions / whole table), the parquet merge rewrite keeping the
table's definition, seed types, docs generate, debug, and profile errors (no server needed for those)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from .conftest import Project, SparkWarehouse, model


@pytest.fixture(scope="module")
def spark(spark_server: object) -> Iterator[SparkWarehouse]:
    yield SparkWarehouse(spark_server)


def details(p: Project, name: str) -> dict[str, str]:
    """The detail section of DESCRIBE TABLE EXTENDED (Provider, Location, Type, Num Buckets ...)."""
    rows = p.query(f"describe table extended {p.warehouse.qualify(p.schema, name)}")
    out: dict[str, str] = {}
    section = False
    for key, value, _comment in rows:
        if key == "# Detailed Table Information":
            section = True
        elif section and key:
            out[key] = value
    return out


def partition_columns(p: Project, name: str) -> list[str]:
    rows = p.query(f"describe table {p.warehouse.qualify(p.schema, name)}")
    keys = [r[0] for r in rows]
    if "# Partition Information" not in keys:
        return []
    start = keys.index("# Partition Information") + 2  # past the '# col_name' header
    return [k for k in keys[start:] if k and not k.startswith("#")]


def phased(config: str, phase1: str, phase2: str) -> str:
    return (f"{{{{ config({config}) }}}}\n{{% if var('phase') == 1 %}}\n{phase1}\n{{% else %}}\n{phase2}\n"
            "{% endif %}\n")


def files(lake: Path) -> dict[str, str]:
    return {
        "models/as_orc.sql": "{{ config(materialized='table', file_format='orc') }}\nselect 1 as id",
        "models/laid_out.sql": (
            "{{ config(materialized='table', partition_by=['region'], clustered_by='id', buckets=2,\n"
            "          tblproperties={'mason.test': 'yes'}, persist_docs={'relation': true, 'columns': true}) }}\n"
            "select 1 as id, 'eu' as region, 10 as amount union all select 2, 'us', 20"),
        "models/schema.yml": """
            models:
              - name: laid_out
                description: Amounts per region
                columns:
                  - name: amount
                    description: In cents
            """,
        "models/located.sql": phased(f"materialized='table', location_root='{lake}'",
                                     "select 1 as id", "select 2 as id union all select 3"),
        "models/io_parts.sql": phased(
            "materialized='incremental', incremental_strategy='insert_overwrite', partition_by='day'",
            "select 1 as id, 'a' as v, 1 as day union all select 2, 'b', 2",
            "select 3 as id, 'c' as v, 2 as day union all select 4, 'd', 3"),
        "models/io_whole.sql": phased(
            "materialized='incremental', incremental_strategy='insert_overwrite'",
            "select 1 as id union all select 2", "select 3 as id"),
        "models/merged.sql": phased(
            f"materialized='incremental', incremental_strategy='merge', unique_key='id', "
            f"location_root='{lake}', tblproperties={{'kept': 'true'}}",
            "select 1 as id, 'a' as v union all select 2, 'b'",
            "select 2 as id, 'B' as v union all select 3, 'c'"),
        "models/merged_parts.sql": phased(
            "materialized='incremental', incremental_strategy='merge', unique_key='id', partition_by='day'",
            "select 1 as id, 'a' as v, 1 as day union all select 2, 'b', 2",
            "select 2 as id, 'B' as v, 2 as day union all select 3, 'c', 3"),
        "seeds/typed.csv": ("id,big,ratio,day,at,iso,flag,note\n"
                            "1,3000000000,0.5,2024-01-31,2024-01-31 10:00:00,2024-01-31T10:00:00Z,true,null\n"
                            "2,-1,1,2024-02-01,2024-02-01 11:30:00,2024-02-01T11:30:00+00:00,False,x\n"),
        "seeds/typed.yml": """
            seeds:
              - name: typed
                config:
                  column_types: {note: string}
            """,
    }


@pytest.fixture(scope="module")
def state(spark: SparkWarehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("spark_features")
    lake = root / "lake"
    project = Project(root / "project", spark, files(lake))
    first = project.run("build", "--vars", "phase: 1")
    located_1 = details(project, "located")
    after_first = {n: project.rows(n) for n in ("io_parts", "io_whole", "merged", "merged_parts", "located")}
    second = project.run("run", "--vars", "phase: 2")
    docs = project.run("docs", "generate", "--vars", "phase: 2")
    return SimpleNamespace(project=project, lake=lake, first=first, second=second, docs=docs,
                           located_1=located_1, after_first=after_first)


def test_statuses(state: SimpleNamespace) -> None:
    models = ("as_orc", "laid_out", "located", "io_parts", "io_whole", "merged", "merged_parts")
    assert state.first.statuses() == {**{model(n): "success" for n in models}, "seed.conformance.typed": "success"}
    assert state.second.statuses() == {model(n): "success" for n in models}


def test_file_format(state: SimpleNamespace) -> None:
    assert details(state.project, "as_orc")["Provider"] == "orc"
    assert details(state.project, "laid_out")["Provider"] == "parquet"  # the default


def test_partitions_buckets_properties_and_comment(state: SimpleNamespace) -> None:
    p = state.project
    found = details(p, "laid_out")
    assert partition_columns(p, "laid_out") == ["region"]
    assert (found["Num Buckets"], found["Bucket Columns"]) == ("2", "[`id`]")
    assert "mason.test=yes" in found["Table Properties"]
    assert found["Comment"] == "Amounts per region"
    described = {r[0]: r[2] for r in p.query(f"describe table {p.warehouse.qualify(p.schema, 'laid_out')}")}
    assert (described["amount"], described["id"]) == ("In cents", None)
    assert p.rows("laid_out") == [(1, 10, "eu"), (2, 20, "us")]  # partition columns go last on Spark


def test_location_root(state: SimpleNamespace) -> None:
    p = state.project
    assert state.located_1["Type"] == "EXTERNAL"
    assert state.located_1["Location"].rstrip("/").endswith(str(state.lake / "located"))
    # the rebuild writes over the files the first build left at the location
    assert state.after_first["located"] == [(1,)]
    assert p.rows("located") == [(2,), (3,)]
    assert details(p, "located")["Location"] == state.located_1["Location"]


def test_insert_overwrite_replaces_only_the_partitions_it_writes(state: SimpleNamespace) -> None:
    p = state.project
    assert state.after_first["io_parts"] == [(1, "a", 1), (2, "b", 2)]
    assert p.rows("io_parts") == [(1, "a", 1), (3, "c", 2), (4, "d", 3)]


def test_insert_overwrite_without_partitions_replaces_the_table(state: SimpleNamespace) -> None:
    assert state.after_first["io_whole"] == [(1,), (2,)]
    assert state.project.rows("io_whole") == [(3,)]


def test_parquet_merge_rewrite_keeps_the_table_definition(state: SimpleNamespace) -> None:
    p = state.project
    assert p.rows("merged") == [(1, "a"), (2, "B"), (3, "c")]
    found = details(p, "merged")
    assert found["Type"] == "EXTERNAL" and "kept=true" in found["Table Properties"]
    assert found["Location"].rstrip("/").endswith(str(state.lake / "merged"))
    assert p.rows("merged_parts") == [(1, "a", 1), (2, "B", 2), (3, "c", 3)]
    assert partition_columns(p, "merged_parts") == ["day"]


def test_no_temporary_relations_left(state: SimpleNamespace) -> None:
    assert set(state.project.relations()) == {"as_orc", "laid_out", "located", "io_parts", "io_whole", "merged",
                                              "merged_parts", "typed"}


def test_seed_types(state: SimpleNamespace) -> None:
    p = state.project
    assert p.query(f"describe table {p.warehouse.qualify(p.schema, 'typed')}") == [
        ("id", "int", None), ("big", "bigint", None), ("ratio", "double", None), ("day", "date", None),
        ("at", "timestamp", None), ("iso", "timestamp", None), ("flag", "boolean", None), ("note", "string", None)]
    rows = p.rows("typed", columns="id, big, ratio, day, at, flag, note")
    assert rows == [(1, 3000000000, 0.5, dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 10), True, None),
                    (2, -1, 1.0, dt.date(2024, 2, 1), dt.datetime(2024, 2, 1, 11, 30), False, "x")]
    assert p.query(f"select count(*) from {p.warehouse.qualify(p.schema, 'typed')} where at = iso") == [(2,)]


def test_docs_generate_catalog(state: SimpleNamespace) -> None:
    assert state.docs.code == 0, state.docs.output
    catalog = json.loads((state.project.root / "target" / "catalog.json").read_text())
    node = catalog["nodes"]["model.conformance.laid_out"]
    assert node["metadata"]["type"] == "BASE TABLE"
    assert {c: v["type"] for c, v in node["columns"].items()} == {"id": "int", "amount": "int", "region": "string"}
    assert catalog["nodes"]["seed.conformance.typed"]["columns"]["big"]["type"] == "bigint"


def test_debug_reports_the_connection(spark: SparkWarehouse, tmp_path: Path) -> None:
    project = Project(tmp_path, spark, {"models/a.sql": "select 1 as id"})
    run = project.run("debug")
    out = run.stdout
    assert "type: spark" in out and "method: connect" in out and spark.server.url in out, out
    assert "server version: Spark " in out and "Connection test: [OK connection ok]" in out, out


# ------------------------------------------------------------------------------------------ profile errors
def _profile_project(tmp_path: Path, output: str) -> Project:
    class Fixed(SparkWarehouse):
        def profile(self, root: Path, threads: int = 2) -> str:
            return "conformance:\n  target: dev\n  outputs:\n    dev:\n" + textwrap.indent(
                textwrap.dedent(output), "      ")

    return Project(tmp_path, Fixed(None), {"models/a.sql": "select 1 as id"})


@pytest.mark.parametrize("method", ["thrift", "http", "odbc"])
def test_unsupported_methods_are_refused_clearly(tmp_path: Path, method: str) -> None:
    project = _profile_project(tmp_path, f"type: spark\nmethod: {method}\nhost: example\nschema: analytics\n")
    run = project.run("run", expect=1)
    text = run.stdout + run.stderr
    assert f"profile 'conformance', target 'dev': Spark method '{method}' is not supported" in text, text
    assert "method: session" in text and "method: connect" in text and "Traceback" not in text, text


@pytest.mark.parametrize("output, message", [
    ("type: spark\nschema: analytics\n", "a spark target needs a method"),
    ("type: spark\nmethod: session\nschema: analytics\ndatabase: other\n", "database 'other' differs from schema"),
    ("type: spark\nmethod: connect\nschema: analytics\n", "method connect needs host: sc://HOST:PORT"),
    ("type: spark\nmethod: connect\nhost: sc://127.0.0.1:9\nschema: analytics\n",
     "could not reach the Spark Connect server at sc://127.0.0.1:9"),
])
def test_profile_errors(tmp_path: Path, output: str, message: str) -> None:
    run = _profile_project(tmp_path, output).run("run", expect=1)
    text = run.stdout + run.stderr
    assert message in text and "profile 'conformance'" in text and "Traceback" not in text, text


def test_decimal_column_types_on_reload(spark: SparkWarehouse, tmp_path: Path) -> None:
    """A reload keeps the table's types; a file whose columns changed needs --full-refresh, and says so."""
    project = Project(tmp_path, spark, {
        "seeds/prices.csv": "code,amount\n007,10\n",
        "seeds/prices.yml": "seeds:\n  - name: prices\n    config:\n      column_types: {code: string, amount: 'decimal(10,2)'}\n",
    })
    project.run("seed")
    project.write({"seeds/prices.csv": "code,amount\n008,12.5\n"})
    project.run("seed")
    assert project.rows("prices") == [("008", Decimal("12.50"))]
    project.write({"seeds/prices.csv": "code,amount,extra\n009,1,x\n"})
    run = project.run("seed", expect=1)
    assert "--full-refresh" in run.stdout + run.stderr, run.output


def test_lakehouse_format_without_its_jars_is_refused_before_building(spark: SparkWarehouse, tmp_path: Path) -> None:
    project = Project(tmp_path, spark, {
        "models/lake.sql": "{{ config(materialized='table', file_format='delta') }}\nselect 1 as id"})
    run = project.run("run", expect=1)
    message = run.results[model("lake")]["message"]
    assert "file_format 'delta' is not available on this Spark session" in message, run.output
    assert "lake" not in project.relations()


def test_ctrl_c_interrupts_the_running_spark_job(spark: SparkWarehouse, tmp_path: Path) -> None:
    """Ctrl-C cancels the session's Spark jobs (a query that would run for many minutes stops at once), and the
    previous table is left as it was (the query was running into the temporary table)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    project = Project(tmp_path, spark, {"models/slow.sql": "{{ config(materialized='table') }}\nselect 1 as x"})
    project.run("run")
    project.write({"models/slow.sql": "{{ config(materialized='table') }}\n"
                                      "select count(*) as x from range(1000000000000) where id % 1000003 = 5"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    proc = subprocess.Popen([sys.executable, "-m", "mason", "run"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:  # the job starts right after the model does
            seen.append(line)
            if "START sql table model" in line:
                break
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        out = "".join(seen) + out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out
    assert "Interrupted" in out, out
    assert project.rows("slow") == [(1,)]
