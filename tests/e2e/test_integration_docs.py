"""The cron / CI script of docs/integrations.md, run as written (with a `mason` on PATH), on the example project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.helpers import copy_project, snippet


def _nightly(tmp: Path, broken: bool) -> tuple[subprocess.CompletedProcess[str], Path]:
    project = copy_project(tmp / "jaffle_shop", broken)
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mason"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mason "$@"\n')
    shim.chmod(0o755)
    script = tmp / "nightly.sh"
    script.write_text(snippet("cron"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env.update({"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "DBT_PROJECT_DIR": str(project),
                "TARGET": "dev", "SHOP_DUCKDB_PATH": str(project / "shop.duckdb")})
    run = subprocess.run(["bash", str(script)], cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    (folder,) = (project / "runs").iterdir()
    return run, folder


@pytest.mark.parametrize("broken", [False, True], ids=["clean", "broken"])
def test_the_nightly_script(tmp_path: Path, broken: bool) -> None:
    run, folder = _nightly(tmp_path, broken)
    assert run.returncode == (1 if broken else 0), run.stdout + run.stderr
    assert {"run_results.json", "manifest.json", "dbt.log", "events.jsonl"} <= {p.name for p in folder.iterdir()}
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    stats = next(e for e in events if e["info"]["name"] == "StatsLine")["data"]["stats"]
    # the example project's tests include one anomaly test (docs/monitoring.md)
    assert (stats["error"], stats["pass"]) == ((2, 64) if broken else (0, 66))
    if not broken:
        assert run.stdout.strip() == f"built: {folder}/run_results.json"
