"""--debug ends with the costliest nodes (compile and execute milliseconds, rows), and run_results.json's
timing splits each node's time into compile then execute."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from .conftest import PROFILE, run_mason


def test_debug_cost_summary_and_timing(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n")
    (root / "profiles.yml").write_text(PROFILE.format(db=root / "p.duckdb"))
    (root / "models" / "big.sql").write_text("{{ config(materialized='table') }}\n"
                                             "select range as i from range(3000000) order by random()")
    (root / "models" / "small.sql").write_text("{{ config(materialized='table') }}\nselect 1 as i")
    out = run_mason(root, "run", "--debug")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "Costliest nodes (2 of 2" in line)
    table = [line.split() for line in lines[at + 2:at + 4]]
    assert [row[1] for row in table] == ["model.p.big", "model.p.small"]  # the costly one first
    assert int(table[0][-1]) == 3000000  # rows
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    for r in results:
        compile_, execute = r["timing"]

        def at_(value: str) -> datetime:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))

        assert compile_["name"] == "compile" and execute["name"] == "execute"
        assert at_(compile_["started_at"]) <= at_(compile_["completed_at"]) == at_(execute["started_at"])
        assert at_(execute["started_at"]) <= at_(execute["completed_at"])
    big = next(r for r in results if r["unique_id"] == "model.p.big")
    spent = {t["name"]: (datetime.fromisoformat(t["completed_at"].replace("Z", "+00:00"))
                         - datetime.fromisoformat(t["started_at"].replace("Z", "+00:00"))).total_seconds()
             for t in big["timing"]}
    assert spent["execute"] > spent["compile"]
