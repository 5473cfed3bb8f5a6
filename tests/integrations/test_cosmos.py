"""Airflow through astronomer-cosmos with Mason as the dbt executable: the DAG rendered from Mason's manifest and
from `mason ls` has the tasks and dependencies it has from dbt-core's manifest and `dbt ls`; a task group runs
through `dag.test()` with Mason executing, as it does with dbt-core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integrations.helpers import ENGINES, Venv, copy_project, integration_venv, replace, snippet

SELECT = 'select=["+stg_orders"]),  # leave out to run the whole project'


def _dag_file(engine: str, load: str, whole_project: bool) -> str:
    text = snippet("cosmos")
    if engine == "dbt":
        text = replace(text, 'shutil.which("mason")', 'shutil.which("dbt")')
    if load == "ls":
        text = replace(text, "LOAD = LoadMode.DBT_MANIFEST", "LOAD = LoadMode.DBT_LS")
    if whole_project:
        text = replace(text, SELECT, "),")
    return text


def _airflow(venv: Venv, home: Path, project: Path) -> dict[str, str]:
    env = venv.env(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False", JAFFLE_SHOP_DIR=str(project),
                   SHOP_DUCKDB_PATH=str(project / "shop.duckdb"))
    (home / "dags").mkdir(parents=True)
    venv.run(venv.bin / "airflow", "db", "migrate", env=env, timeout=600)
    return env


def test_rendered_dag_is_the_same_as_with_dbt_core(tmp_path: Path) -> None:
    venv = integration_venv("cosmos")
    rendered = {}
    for engine in ENGINES:
        project = copy_project(tmp_path / engine / "jaffle_shop")
        env = _airflow(venv, tmp_path / engine / "airflow", project)  # dbt ls results are cached in Airflow
        venv.parse(engine, project, env)
        for load in ("manifest", "ls"):
            dag_file = tmp_path / engine / f"dag_{load}.py"
            dag_file.write_text(_dag_file(engine, load, whole_project=True))
            out = tmp_path / engine / f"{load}.json"
            venv.python("cosmos_render.py", dag_file, out, env=env)
            rendered[(engine, load)] = json.loads(out.read_text())
    reference = rendered[("dbt", "manifest")]
    assert len(reference) == 34 and reference["stg_orders.run"] == ["stg_orders.test"]
    for key, tasks in rendered.items():
        assert tasks == reference, key


@pytest.mark.parametrize("engine", ENGINES)
def test_a_task_group_runs_through_dag_test(tmp_path: Path, engine: str) -> None:
    venv = integration_venv("cosmos")
    project = copy_project(tmp_path / "jaffle_shop")
    home = tmp_path / "airflow"
    env = _airflow(venv, home, project)
    venv.parse(engine, project, env)
    dag_file = home / "dags" / "jaffle_shop.py"  # dag.test() runs the DAG as Airflow found it in its dags folder
    dag_file.write_text(_dag_file(engine, "manifest", whole_project=False))
    venv.python("cosmos_test_dag.py", dag_file, tmp_path / "run.json", env=env)
    run = json.loads((tmp_path / "run.json").read_text())
    assert run == {"state": "success", "tasks": {"raw_orders_seed": "success", "stg_orders.run": "success",
                                                 "stg_orders.test": "success"}}
    assert (project / "shop.duckdb").exists()
