"""A workspace: a folder of projects (a monorepo's `company_dbt/{core_data,finance_analytics,...}`), in the
order their dependencies.yml `projects:` ask for, each upstream before the projects that build on it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mason.deps.spec import read_projects
from mason.errors import ProjectError, UsageError
from mason.project.project import PROJECT_FILE
from mason.project.yamlio import load_yaml_file

_SKIP = frozenset({"dbt_packages", "dbt_modules", "target", "logs", "node_modules", "venv", ".venv"})
_DEPTH = 3


@dataclass(frozen=True, slots=True)
class WorkspaceProject:
    name: str
    root: Path
    upstream: tuple[str, ...]  # the projects its dependencies.yml declares
    target_path: str = "target"

    def manifest(self, target_path: str | None = None) -> Path:
        return self.root / (target_path or self.target_path) / "manifest.json"


def workspace_root(folder: Path) -> Path:
    """The workspace a folder names: itself, or the folder holding it when it is a project."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise UsageError(f"--workspace {folder}: no such folder")
    if (folder / PROJECT_FILE).is_file():
        return folder.parent
    return folder


def _find(folder: Path, depth: int, out: list[Path]) -> None:
    if (folder / PROJECT_FILE).is_file():
        out.append(folder)
        return  # a project's own folders (packages, targets) hold no workspace projects
    if depth == 0:
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in _SKIP:
            _find(Path(entry.path), depth - 1, out)


def discover(folder: Path) -> list[WorkspaceProject]:
    """The workspace's projects, each after the projects it builds on."""
    root = workspace_root(folder)
    found: list[Path] = []
    _find(root, _DEPTH, found)
    if not found:
        raise UsageError(f"no dbt projects (folders with {PROJECT_FILE}) in the workspace {root}",
                         hint="--workspace names the folder holding the projects, e.g. company_dbt/")
    projects: dict[str, WorkspaceProject] = {}
    for path in found:
        raw = load_yaml_file(path / PROJECT_FILE, str(path / PROJECT_FILE))
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            raise ProjectError(f"{path / PROJECT_FILE} has no name:")
        if name in projects:
            raise ProjectError(f"two projects of the workspace are named {name!r}: {projects[name].root} and {path}")
        target = raw.get("target-path") if isinstance(raw, dict) else None
        target_path = target if isinstance(target, str) and "{" not in target else "target"
        upstream = tuple(n for n, _ in read_projects(path))
        projects[name] = WorkspaceProject(name, path, upstream, target_path)
    return _ordered(projects)


def _ordered(projects: dict[str, WorkspaceProject]) -> list[WorkspaceProject]:
    order: list[WorkspaceProject] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name):], name])
            raise ProjectError(f"the workspace's projects depend on each other in a circle: {cycle}",
                               hint="a project may build on another only one way round: move the shared models "
                                    "into the upstream project")
        state[name] = 1
        for up in projects[name].upstream:
            if up in projects:
                visit(up, [*path, name])
        state[name] = 2
        order.append(projects[name])

    for name in sorted(projects):
        visit(name, [])
    return order


def consumers_of(projects: list[WorkspaceProject], name: str) -> list[WorkspaceProject]:
    """The workspace's projects that declare `name` in their dependencies.yml."""
    return [p for p in projects if name in p.upstream]
