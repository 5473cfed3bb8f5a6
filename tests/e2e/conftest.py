"""Helpers for end-to-end tests: run the real `mason` CLI on a copy of a project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECTS = Path(__file__).parent / "projects"
# a DuckDB profile named `p` for small test projects: PROFILE.format(db=path of the database file)
PROFILE = """p:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{db}"
      schema: main
      threads: 2
"""


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]


def run_mason(project: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "mason", *args],
        cwd=cwd or project, env=full_env, capture_output=True, text=True, timeout=600,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def copy_project(name: str, dest: Path) -> Path:
    src = PROJECTS / name
    target = dest / name
    shutil.copytree(src, target, ignore=shutil.ignore_patterns("expected", "target", "logs", "*.duckdb*"))
    return target


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A parsed copy of the shop project (parsing writes target/; the source tree stays clean)."""
    return copy_project("shop", tmp_path_factory.mktemp("shop"))
