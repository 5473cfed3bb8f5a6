"""The scenario format and the tool-neutral runner shared by the dbt reference generator and the Mason test.

A `Scenario` is a small dbt project (files written as given, plus a DuckDB profile and dbt_project.yml)
and a list of `Step`s. A step first edits the project (writes files, removes those mapped to None), then
runs one command (`seed`, `run`, `build`, `snapshot`, ... with its flags) and finally records:

* the command's exit code,
* each node's status from target/run_results.json,
* the contents of the relations named in `capture` (see capture.py for the normalization).

Arguments may contain `@day-N@` / `@day+N@` tokens, replaced by the UTC date N days from today, for
scenarios that need "now" (microbatch lookback); such scenarios list the columns holding those dates in
`relative_dates` so captures store them as offsets from today.

This module never imports Mason or dbt: the caller passes `invoke(argv, cwd, env) -> exit code`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "analytics"
PROJECT = "scen"
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"

Invoke = Callable[[list[str], Path, dict[str, str]], int]
Capture = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    """Edit the project, run one command, record its outcome and the captured relations."""

    args: tuple[str, ...]
    write: dict[str, str | None] = field(default_factory=dict)
    capture: tuple[str, ...] | None = None  # None: the scenario's default list


@dataclass(frozen=True)
class Scenario:
    name: str
    doc: str
    files: dict[str, str]
    steps: tuple[Step, ...]
    capture: tuple[str, ...]
    project_yml: str = ""
    # relation -> columns whose values are opaque (hashes of clock readings); see capture.py
    opaque: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # relation -> date/timestamp columns stored as day offsets from today (scenarios using @day tokens)
    relative_dates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # why Mason is known to differ (the Mason test marks the scenario xfail); never used by the generator
    xfail: str | None = None


def csv(header: str, *rows: str) -> str:
    """CSV text for a seed."""
    return "\n".join([header, *rows]) + "\n"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_DAY = re.compile(r"@day([+-]\d+)@")


def expand(arg: str, today: dt.date) -> str:
    """Replace `@day±N@` tokens by ISO dates relative to `today`."""
    return _DAY.sub(lambda m: (today + dt.timedelta(days=int(m.group(1)))).isoformat(), arg)


def write_project(scenario: Scenario, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0.0'\nconfig-version: 2\nprofile: {PROJECT}\n"
        + textwrap.dedent(scenario.project_yml).lstrip("\n"))
    (root / "profiles.yml").write_text(textwrap.dedent(f"""\
        {PROJECT}:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: "{root / 'warehouse.duckdb'}"
              schema: {SCHEMA}
              threads: 1
        """))
    apply_files(root, scenario.files)


def apply_files(root: Path, files: dict[str, str | None] | dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def _statuses(root: Path) -> dict[str, str] | None:
    path = root / "target" / "run_results.json"
    if not path.exists():
        return None
    return {r["unique_id"]: r["status"] for r in json.loads(path.read_text())["results"]}


def _relative(captured: dict[str, Any], columns: dict[str, tuple[str, ...]], today: dt.date) -> None:
    """Rewrite date/timestamp text in `columns` as 'day+N[ time]' relative to `today`, and re-sort."""
    from .capture import normalize_rows

    for name, cols in columns.items():
        rel = captured.get(name)
        if not rel:
            continue
        names = [c for c, _ in rel["columns"]]
        for row in rel["rows"]:
            for col in cols:
                i = names.index(col)
                if isinstance(row[i], str) and re.match(r"\d{4}-\d\d-\d\d", row[i]):
                    day = dt.date.fromisoformat(row[i][:10])
                    row[i] = f"day{(day - today).days:+d}{row[i][10:]}"
        rel["rows"] = normalize_rows(rel["rows"], [])


def run_scenario(scenario: Scenario, root: Path, invoke: Invoke, capture: Capture,
                 env: dict[str, str]) -> list[dict[str, Any]]:
    """Run every step in a fresh project at `root`; return one record per step."""
    write_project(scenario, root)
    today = _utcnow().date()
    windows: list[list[str]] = []
    records: list[dict[str, Any]] = []
    results_path = root / "target" / "run_results.json"
    for step in scenario.steps:
        apply_files(root, step.write)
        results_path.unlink(missing_ok=True)
        argv = [expand(a, today) for a in step.args]
        start = _utcnow()
        code = invoke(argv, root, env)
        windows.append([start.isoformat(), _utcnow().isoformat()])
        names = step.capture if step.capture is not None else scenario.capture
        spec = {"schema": SCHEMA, "relations": list(names), "windows": windows,
                "opaque": {k: list(v) for k, v in scenario.opaque.items()}}
        captured = capture(str(root / "warehouse.duckdb"), spec) if names else {}
        _relative(captured, scenario.relative_dates, today)
        records.append({"args": list(step.args), "exit_code": code, "statuses": _statuses(root),
                        "relations": captured})
    return records


def expected_path(name: str) -> Path:
    return EXPECTED_DIR / f"{name}.json"


def dumps(value: Any, indent: str = "") -> str:
    """JSON with one line per row: lists of scalars stay on one line, everything else is indented."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value)


def load_expected(name: str) -> dict[str, Any]:
    return json.loads(expected_path(name).read_text())  # type: ignore[no-any-return]


def all_scenarios() -> list[Scenario]:
    from .defs_incremental import SCENARIOS as incremental
    from .defs_microbatch import SCENARIOS as microbatch
    from .defs_snapshots import SCENARIOS as snapshots

    found = [*incremental, *snapshots, *microbatch]
    names = [s.name for s in found]
    assert len(names) == len(set(names)), f"duplicate scenario names: {names}"
    return found
