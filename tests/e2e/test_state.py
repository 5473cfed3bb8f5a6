"""Slim CI's selection against dbt-core 1.11: each scenario of state_scenarios.py parsed with the prod target
(its manifest.json kept as the state), edited, then selected with every state: selector; the answers must be
dbt-core's (tests/e2e/expected/state.json, recorded by gen_state_expected.py), apart from the differences
listed in KNOWN_DIFFERENCES, each checked to be exactly that difference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_mason
from .state_scenarios import BASE, KNOWN_DIFFERENCES, SCENARIOS, SELECTORS
from .state_scenarios import write_files as _write

EXPECTED = json.loads((Path(__file__).parent / "expected" / "state.json").read_text())["results"]
SOURCE = "source:st.raw.t1"


def _selector_string(node: object) -> str:
    from mason.api.commands import _selector_string as render

    return render(node)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The base project parsed by Mason with the prod target, and a folder with that manifest."""
    root = tmp_path_factory.mktemp("state")
    project, state = root / "st", root / "prod_state"
    _write(project, dict(BASE))
    parsed = run_mason(project, "parse", "--profiles-dir", ".")
    assert parsed.code == 0, parsed.stderr
    state.mkdir()
    shutil.copy(project / "target" / "manifest.json", state / "manifest.json")
    return project, state


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_state_selection_matches_dbt(base: tuple[Path, Path], tmp_path: Path, scenario: str) -> None:
    from mason import api
    from mason.cli.options import _parse_vars
    from mason.graph.state import State
    from mason.session import Session

    target, edits, extra = SCENARIOS[scenario]
    project = tmp_path / "st"
    shutil.copytree(base[0], project, ignore=shutil.ignore_patterns("target", "*.duckdb*"))
    _write(project, edits)
    cli_vars = _parse_vars(extra[1]) if extra[:1] == ("--vars",) else {}
    session = Session(project_dir=project, profiles_dir=project, target=target, cli_vars=cli_vars, env={})
    parsed = api.parse(session)
    state = State(base[1])
    for selector in SELECTORS:
        ids = api.select(parsed, select=[selector], state=state,
                         resource_types=("model", "seed", "snapshot", "test", "source", "analysis"))
        got = sorted(_selector_string(parsed.manifest.get(uid)) for uid in ids)
        want = EXPECTED[scenario][selector]
        if (scenario, selector) in KNOWN_DIFFERENCES:
            # the one difference: the source is not modified only because the target's database differs
            want = sorted({*want, SOURCE}) if selector == "state:unmodified" else [w for w in want if w != SOURCE]
            assert want != EXPECTED[scenario][selector]
        assert got == want, f"{scenario} {selector}"


def test_cli_state_flags_and_env(base: tuple[Path, Path], tmp_path: Path) -> None:
    project = tmp_path / "st"
    shutil.copytree(base[0], project, ignore=shutil.ignore_patterns("target", "*.duckdb*"))
    _write(project, {"models/b.sql": "select id, 2 as d from {{ ref('a') }}\n"})
    out = run_mason(project, "ls", "--profiles-dir", ".", "-s", "state:modified+", "--state", str(base[1]))
    assert out.code == 0, out.stderr
    assert out.lines == ["st.b", "st.c"]
    via_env = run_mason(project, "ls", "--profiles-dir", ".", "-s", "1+state:modified",
                        env={"DBT_STATE": str(base[1])})
    assert via_env.lines == ["st.a", "st.b", "st.not_null_a_id"]  # a test of a selected model comes along
    missing = run_mason(project, "ls", "--profiles-dir", ".", "-s", "state:modified")
    assert missing.code == 2 and "no --state was given" in missing.stderr
    nowhere = run_mason(project, "ls", "--profiles-dir", ".", "-s", "state:modified", "--state", str(tmp_path / "x"))
    assert nowhere.code == 2 and "no such folder" in nowhere.stderr
    bad = run_mason(project, "ls", "--profiles-dir", ".", "-s", "state:modified.bodies", "--state", str(base[1]))
    assert bad.code == 2 and "unknown state selector" in bad.stderr


def test_result_and_source_status_selectors(tmp_path: Path) -> None:
    """result:<status> reads the state's run_results.json; source_status:fresher compares the sources'
    max_loaded_at in this project's target/sources.json with the state's sources.json."""
    import duckdb

    project = tmp_path / "p"
    files = {
        "dbt_project.yml": "name: rs\nversion: '1.0'\nconfig-version: 2\nprofile: rs\n",
        "profiles.yml": "rs:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: rs.duckdb, schema: main}\n",
        "models/ok.sql": "select 1 as id\n",
        "models/broken.sql": "select * from nowhere_at_all\n",
        "models/after_broken.sql": "select * from {{ ref('broken') }}\n",
        "models/events_daily.sql": "select * from {{ source('raw', 'events') }}\n",
        "models/schema.yml": """models:
  - name: ok
    columns:
      - name: id
        data_tests: [{accepted_values: {values: [2]}}]
sources:
  - name: raw
    schema: main
    tables:
      - name: events
        loaded_at_field: loaded_at
        freshness: {warn_after: {count: 1, period: day}}
""",
    }
    _write(project, files)
    with duckdb.connect(str(project / "rs.duckdb")) as con:
        con.execute("create table main.events as select 1 as id, timestamp '2024-01-01 00:00:00' as loaded_at")
    assert run_mason(project, "build", "--profiles-dir", ".").code == 1
    assert run_mason(project, "source", "freshness", "--profiles-dir", ".").code in (0, 1)
    state = tmp_path / "state"
    shutil.copytree(project / "target", state)
    ls = ["ls", "--profiles-dir", ".", "--state", str(state), "-s"]
    assert run_mason(project, *ls, "result:error").lines == ["rs.broken"]
    assert run_mason(project, *ls, "result:error+").lines == ["rs.after_broken", "rs.broken"]
    assert run_mason(project, *ls, "result:fail").lines == ["rs.accepted_values_ok_id__2"]
    assert run_mason(project, *ls, "result:skipped").lines == ["rs.after_broken"]
    assert run_mason(project, *ls, "result:success", "--resource-type", "model").lines == [
        "rs.events_daily", "rs.ok"]
    assert run_mason(project, *ls, "source_status:fresher").lines == []  # the same freshness on both sides
    with duckdb.connect(str(project / "rs.duckdb")) as con:
        con.execute("insert into main.events values (2, timestamp '2024-06-01 00:00:00')")
    assert run_mason(project, "source", "freshness", "--profiles-dir", ".").code in (0, 1)
    assert run_mason(project, *ls, "source_status:fresher+").lines == ["rs.events_daily", "source:rs.raw.events"]


def test_contract_changes(tmp_path: Path) -> None:
    """state:modified.contract, and a breaking change (a column removed, a type changed, an enforced
    constraint dropped) to an enforced contract: a warning for an unversioned model, an error for a
    versioned one, as in dbt-core 1.11."""
    project = tmp_path / "p"
    schema = """models:
  - name: m
    config: {contract: {enforced: true}, materialized: table}
    columns:
      - {name: id, data_type: integer, constraints: [{type: not_null}]}
      - {name: name, data_type: text}
  - name: v
    latest_version: 1
    config: {contract: {enforced: true}, materialized: table}
    columns:
      - {name: id, data_type: integer}
      - {name: name, data_type: text}
    versions:
      - v: 1
"""
    _write(project, {"dbt_project.yml": "name: ct\nversion: '1.0'\nconfig-version: 2\nprofile: ct\n",
                     "profiles.yml": "ct:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ct.duckdb}\n",
                     "models/m.sql": "select 1 as id, 'a' as name\n", "models/v_v1.sql": "select 1 as id, 'a' as name\n",
                     "models/s.yml": schema})
    assert run_mason(project, "parse", "--profiles-dir", ".").code == 0
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(project / "target" / "manifest.json", state)
    ls = ["ls", "--profiles-dir", ".", "--state", str(state), "-s"]
    # additive: a new column is a contract change, not a breaking one
    _write(project, {"models/m.sql": "select 1 as id, 'a' as name, 2 as extra\n",
                     "models/s.yml": schema.replace("      - {name: name, data_type: text}\n  - name: v",
                                                    "      - {name: name, data_type: text}\n"
                                                    "      - {name: extra, data_type: integer}\n  - name: v")})
    added = run_mason(project, *ls, "state:modified.contract")
    assert added.code == 0 and added.lines == ["ct.m"] and "breaking" not in added.stderr
    # unversioned: the type of name changes and not_null goes: selected, with a warning
    _write(project, {"models/m.sql": "select 1 as id, 1 as name\n",
                     "models/s.yml": schema.replace("data_type: integer, constraints: [{type: not_null}]",
                                                    "data_type: integer").replace(
                         "      - {name: name, data_type: text}\n  - name: v",
                         "      - {name: name, data_type: integer}\n  - name: v")})
    warned = run_mason(project, *ls, "state:modified")
    assert warned.code == 0 and warned.lines == ["ct.m"]
    assert "breaking change to the enforced contract of unversioned model model.ct.m" in warned.stderr
    assert "column types changed: name (text -> integer)" in warned.stderr
    assert "enforced constraints were removed: id: not_null" in warned.stderr
    # versioned: a removed column stops the command
    _write(project, {"models/v_v1.sql": "select 1 as id\n",
                     "models/s.yml": schema.replace("      - {name: name, data_type: text}\n    versions:",
                                                    "    versions:")})
    refused = run_mason(project, *ls, "state:modified")
    assert refused.code == 2
    assert "model.ct.v.v1 (models/v_v1.sql):\n    - columns were removed: name" in refused.stderr
    assert "add a new version" in refused.stderr
