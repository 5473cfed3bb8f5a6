"""Scenario 8: a wide DAG (20 independent models feeding one join) built with --threads 4."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, model

WIDTH = 20
LEAVES = [f"m{i:02d}" for i in range(WIDTH)]


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    files = {f"models/{name}.sql": f"{{{{ config(materialized='table') }}}}\nselect {i} as id, {i * i} as sq"
             for i, name in enumerate(LEAVES)}
    files["models/joined.sql"] = (
        "{{ config(materialized='table') }}\n"
        + "\nunion all\n".join(f"select id, sq from {{{{ ref('{name}') }}}}" for name in LEAVES))
    # the profile says 1 thread: --threads 4 must win
    project = Project(tmp_path_factory.mktemp("threads"), warehouse, files, threads=1)
    run = project.run("run", "--threads", "4")
    return SimpleNamespace(project=project, run=run)


def test_all_built(state: SimpleNamespace) -> None:
    assert state.run.statuses() == {model(n): "success" for n in [*LEAVES, "joined"]}
    assert "Concurrency: 4 threads" in state.run.stdout
    assert state.project.rows("joined") == [(i, i * i) for i in range(WIDTH)]
    assert set(state.project.relations()) == {*LEAVES, "joined"}


def test_join_starts_after_every_leaf(state: SimpleNamespace) -> None:
    results = state.run.results
    join_start = results[model("joined")]["timing"][0]["started_at"]
    assert all(results[model(n)]["timing"][-1]["completed_at"] <= join_start for n in LEAVES)


def test_nodes_report_their_worker_thread(state: SimpleNamespace) -> None:
    threads = {r["thread_id"] for r in state.run.results.values()}
    assert "MainThread" not in threads
    assert 1 <= len(threads) <= 4
