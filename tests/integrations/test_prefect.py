"""Prefect (prefect-dbt's DbtCoreOperation) runs `mason build` as it runs `dbt build`: the flow completes with the
same closing line as dbt-core's, and fails when a test fails."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integrations.helpers import Venv, copy_project, integration_venv, replace, snippet


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> tuple[Venv, dict[str, str]]:
    """The virtualenv, and a Prefect home whose database is made once (the flows start a temporary server on it)."""
    venv = integration_venv("prefect")
    env = {"PREFECT_HOME": str(tmp_path_factory.mktemp("prefect_home")), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    venv.run(venv.bin / "prefect", "server", "database", "upgrade", "-y", env=venv.env(**env), timeout=600)
    return venv, env


def _flow(prefect: tuple[Venv, dict[str, str]], tmp: Path, engine: str, broken: bool) -> dict[str, str]:
    venv, prefect_env = prefect
    project = copy_project(tmp / "jaffle_shop", broken)
    flow_file = tmp / "flow.py"
    text = snippet("prefect")
    flow_file.write_text(text if engine == "mason" else replace(text, '"mason build"', '"dbt build"'))
    env = venv.env(SHOP_DUCKDB_PATH=str(project / "shop.duckdb"), **prefect_env)
    venv.python("prefect_flow.py", flow_file, project, tmp / "out.json", env=env)
    return dict(json.loads((tmp / "out.json").read_text()))


@pytest.mark.parametrize("engine", ["mason", "dbt"])
def test_the_flow_builds_the_project(prefect: tuple[Venv, dict[str, str]], tmp_path: Path, engine: str) -> None:
    run = _flow(prefect, tmp_path, engine, broken=False)
    assert run["state"] == "COMPLETED"
    assert re.sub(r"^\S+\s+", "", run["done"]) == "Done. PASS=65 WARN=1 ERROR=0 SKIP=0 NO-OP=2 TOTAL=68"


def test_a_failed_build_fails_the_flow(prefect: tuple[Venv, dict[str, str]], tmp_path: Path) -> None:
    assert _flow(prefect, tmp_path, "mason", broken=True)["state"] == "FAILED"
