"""Helpers of the integration tests with the real orchestrator libraries from PyPI (dagster-dbt, astronomer-cosmos with Airflow,
prefect-dbt), each in a virtualenv of its own made by `make test-integrations` (the extras integrations-dagster,
integrations-cosmos, integrations-prefect: the library, dbt-core 1.11 and dbt-duckdb for the comparison, and Mason).
Tests here are marked `integration` and skip when their virtualenv is missing; `make test` leaves them out.

The code they run is the snippets of docs/integrations.md, taken from the page as it is written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.gen_dbt_events import PROJECT, break_project

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).parent / "scripts"
DOCS = ROOT / "docs" / "integrations.md"
VENVS = Path(os.environ.get("MASON_INTEGRATION_VENVS", ROOT / ".venv-integrations"))
ENGINES = ("mason", "dbt")


def snippet(name: str) -> str:
    """The code block marked `<!-- snippet: name -->` in docs/integrations.md."""
    found = re.search(rf"<!-- snippet: {name} -->\n```\w+\n(.*?)```", DOCS.read_text(), re.S)
    assert found, f"no snippet {name} in {DOCS}"
    return found.group(1)


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def copy_project(dest: Path, broken: bool = False) -> Path:
    shutil.copytree(PROJECT, dest, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*", "runs"))
    if broken:
        break_project(dest)
    return dest


@dataclass
class Venv:
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment without the outer DBT_ / MASON_ settings, this virtualenv's programs first on PATH."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DBT_", "MASON_", "PYTHONPATH", "AIRFLOW", "PREFECT"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env

    def run(self, *args: str | Path, env: dict[str, str], timeout: int = 900,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def python(self, script: str, *args: str | Path, env: dict[str, str], timeout: int = 900,
               check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(self.bin / "python", SCRIPTS / script, *args, env=env, timeout=timeout, check=check)

    def parse(self, engine: str, project: Path, env: dict[str, str]) -> None:
        self.run(self.bin / engine, "parse", "--project-dir", project, "--profiles-dir", project, env=env)


def integration_venv(name: str) -> Venv:
    venv = Venv(VENVS / name)
    if not (venv.bin / "mason").exists() or not (venv.bin / "dbt").exists():
        pytest.skip(f"no {name} virtualenv at {venv.root}: `make test-integrations` makes it")
    return venv
