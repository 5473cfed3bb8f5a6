"""Dagster (dagster-dbt) over Mason's manifest with Mason as the dbt executable records what it records with
dbt-core 1.11: the same materializations, asset-check evaluations (pass/fail, severity, failed rows) and metadata
(row counts included), on the example project and on a copy with a model that errors and a test that fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.helpers import ENGINES, copy_project, integration_venv, replace, snippet


def _materialize(tmp: Path, engine: str, broken: bool) -> dict[str, Any]:
    venv = integration_venv("dagster")
    work = tmp / engine
    project = copy_project(work / "jaffle_shop", broken)
    (work / "definitions.py").write_text(
        replace(snippet("dagster"), 'dbt_executable="mason"', f'dbt_executable="{engine}"'))
    env = venv.env(SHOP_DUCKDB_PATH=str(project / "shop.duckdb"), DAGSTER_HOME=str(work / "dagster_home"))
    (work / "dagster_home").mkdir()
    venv.parse(engine, project, env)  # the manifest the assets are defined from: Mason's, or dbt-core's
    venv.python("dagster_materialize.py", work, work / "recorded.json", env=env)
    return dict(json.loads((work / "recorded.json").read_text()))


@pytest.mark.parametrize("scenario", ["clean", "broken"])
def test_dagster_records_the_same_as_with_dbt_core(tmp_path: Path, scenario: str) -> None:
    recorded = {engine: _materialize(tmp_path, engine, scenario == "broken") for engine in ENGINES}
    mason, dbt = recorded["mason"], recorded["dbt"]
    assert mason["materializations"] == dbt["materializations"]
    assert mason["checks"] == dbt["checks"]
    assert mason["success"] == dbt["success"]
    checks = mason["checks"]
    if scenario == "clean":
        assert mason["success"] and len(mason["materializations"]) == 20 and len(checks) == 35
        assert [c["check"] for c in checks if not c["passed"]] == ["is_between_orders_amount__50__0"]
        assert sum(m["row_count"] is not None for m in mason["materializations"]) == 16  # tables; views have none
    else:
        assert not mason["success"]
        assert "reporting/report_settings" not in {m["asset"] for m in mason["materializations"]}
        failed = {c["check"]: (c["severity"], c["failed_rows"]) for c in checks if not c["passed"]}
        assert failed["is_between_orders_amount__50__0"] == ("AssetCheckSeverity.WARN", 3)
