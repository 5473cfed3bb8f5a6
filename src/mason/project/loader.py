"""Load stage entry point: the root project, its installed packages and the active target."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.errors import ProjectError, Span
from mason.parse.parser import Package
from mason.project.profiles import Target, load_target
from mason.project.project import PROJECT_FILE, ProjectConfig, load_project
from mason.project.yamlio import load_yaml_file
from mason.session import Session


@dataclass(frozen=True, slots=True)
class LoadedProject:
    project: ProjectConfig
    packages: list[Package]
    target: Target
    selectors: dict[str, Any]

    @property
    def target_dir(self) -> Path:
        return self.project.root / self.project.target_path


def _profile_name(root: Path) -> str:
    raw = load_yaml_file(root / PROJECT_FILE, PROJECT_FILE) or {}
    name = raw.get("profile") if isinstance(raw, dict) else None
    if not name:
        raise ProjectError(f"{PROJECT_FILE} has no profile: key", Span(PROJECT_FILE, 1),
                           "add `profile: <name>` matching an entry in profiles.yml")
    return str(name)


def load(session: Session) -> LoadedProject:
    root = session.project_dir
    profile = session.profile or session.env.get("DBT_PROFILE") or _profile_name(root)
    target = load_target(root, profile, session.target, session.profiles_dir, session.env, session.cli_vars,
                         session.flags.threads)
    project = load_project(root, dict(session.cli_vars), dict(session.env), target.context())
    if session.target_path:
        from dataclasses import replace

        project = replace(project, target_path=session.target_path)
    packages = [Package(project.name, root, project, True)]
    install = root / project.packages_install_path
    if install.is_dir():
        for child in sorted(install.iterdir()):
            if (child / PROJECT_FILE).is_file():
                cfg = load_project(child, dict(session.cli_vars), dict(session.env), target.context(),
                                   f"{project.packages_install_path}/{child.name}/{PROJECT_FILE}")
                if cfg.name != project.name:
                    packages.append(Package(cfg.name, child, cfg, False))
    selectors: dict[str, Any] = {}
    sel_path = root / "selectors.yml"
    if sel_path.is_file():
        from mason.graph.selector import load_selectors

        selectors = load_selectors(load_yaml_file(sel_path, "selectors.yml"))
    return LoadedProject(project, packages, target, selectors)
