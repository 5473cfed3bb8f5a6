"""Load stage entry point: the root project, its installed packages and the active target."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.adapters.target import Target
from mason.errors import ProjectError, Span
from mason.project.profiles import load_target
from mason.project.project import PROJECT_FILE, ProjectConfig, load_project
from mason.project.yamlio import load_yaml_file
from mason.session import Session


@dataclass(frozen=True, slots=True)
class Package:
    """The root project or one installed package."""

    name: str
    root: Path
    config: ProjectConfig
    is_root: bool


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
    _check_installed(root, project, len(packages) - 1)
    selectors: dict[str, Any] = {}
    sel_path = root / "selectors.yml"
    if sel_path.is_file():
        from mason.project.selectors import load_selectors

        selectors = load_selectors(_render_selector_defaults(load_yaml_file(sel_path, "selectors.yml"),
                                                             target, session))
    if project.require_dbt_version and not session.flags.no_version_check:
        check_required_version(project.require_dbt_version)
    return LoadedProject(project, packages, target, selectors)


def _check_installed(root: Path, project: ProjectConfig, installed: int) -> None:
    """As dbt: packages.yml (or dependencies.yml) listing more packages than are installed is an error."""
    for name in ("packages.yml", "dependencies.yml"):
        path = root / name
        if not path.is_file():
            continue
        raw = load_yaml_file(path, name)
        entries = raw.get("packages") if isinstance(raw, dict) else None
        if not isinstance(entries, list) or len(entries) <= installed:
            return
        missing = [str(e["local"]) for e in entries if isinstance(e, dict) and isinstance(e.get("local"), str)
                   and "{" not in e["local"] and not (root / e["local"]).is_dir()]
        detail = f"; local: {', '.join(missing)} {'does' if len(missing) == 1 else 'do'} not exist" if missing else ""
        raise ProjectError(
            f"{len(entries)} package{'s' if len(entries) != 1 else ''} listed here but {installed} "
            f"{'is' if installed == 1 else 'are'} installed in {project.packages_install_path}/{detail}",
            Span(name, 1), "run `mason deps` to install them" + (" after fixing the path" if missing else ""))


def _render_selector_defaults(raw: Any, target: Target, session: Session) -> Any:
    """`default: "{{ target.name == 'prod' }}"` is Jinja in selectors.yml."""
    if not isinstance(raw, dict):
        return raw
    from mason.jinja.base_context import base_functions, make_env_var, secret_outside_profiles
    from mason.jinja.native import has_jinja, render_native

    for entry in raw.get("selectors") or []:
        value = entry.get("default") if isinstance(entry, dict) else None
        if isinstance(value, str) and has_jinja(value):
            ctx = base_functions(lambda m, i: None)
            ctx.update(target=target.context(), env_var=make_env_var(session.env, allow_secrets=False),
                       secret=secret_outside_profiles)
            entry["default"] = render_native(value, ctx, "selectors.yml")
    return raw


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts[:3])


def check_required_version(constraints: tuple[str, ...]) -> None:
    """require-dbt-version: Mason implements dbt-core's behaviour as of DBT_COMPAT_VERSION."""
    import operator

    from mason import DBT_COMPAT_VERSION

    ops = (("==", operator.eq), (">=", operator.ge), ("<=", operator.le), ("!=", operator.ne),
           (">", operator.gt), ("<", operator.lt), ("=", operator.eq))
    current = _version_tuple(DBT_COMPAT_VERSION)
    for raw in constraints:
        for text in str(raw).split(","):
            text = text.strip()
            if not text:
                continue
            symbol, compare = next(((sym, op) for sym, op in ops if text.startswith(sym)), ("", operator.eq))
            wanted = text[len(symbol):]
            if not compare(current, _version_tuple(wanted)):
                raise ProjectError(
                    f"this project needs dbt {', '.join(map(str, constraints))}; Mason implements dbt "
                    f"{DBT_COMPAT_VERSION}", Span(PROJECT_FILE),
                    "adjust require-dbt-version, or pass --no-version-check to run anyway")
