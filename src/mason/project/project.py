"""dbt_project.yml: find it, render it (env_var, var, target) and type the keys people use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mason.errors import MasonError, ProjectError, Span
from mason.jinja.base_context import VarLookup, base_functions, make_env_var, secret_outside_profiles
from mason.jinja.native import has_jinja, render_native
from mason.project.yamlio import line_where, load_yaml_file

PROJECT_FILE = "dbt_project.yml"

# Keys whose values stay unrendered at load time (rendered later, at run time or when used).
_DEFERRED_KEYS = frozenset(
    {"vars", "on-run-start", "on-run-end", "pre-hook", "post-hook", "+pre-hook", "+post-hook",
     "pre_hook", "post_hook", "+pre_hook", "+post_hook", "query-comment"}
)

RESOURCE_TREES = {
    "models": "models",
    "seeds": "seeds",
    "snapshots": "snapshots",
    "sources": "sources",
    "data_tests": "data_tests",
    "tests": "data_tests",
    "analyses": "analyses",
    "unit_tests": "unit_tests",
    "metrics": "metrics",
    "semantic-models": "semantic_models",
    "saved-queries": "saved_queries",
    "exposures": "exposures",
}


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    root: Path
    name: str
    version: str | None
    profile: str | None
    model_paths: tuple[str, ...]
    seed_paths: tuple[str, ...]
    test_paths: tuple[str, ...]
    macro_paths: tuple[str, ...]
    snapshot_paths: tuple[str, ...]
    analysis_paths: tuple[str, ...]
    docs_paths: tuple[str, ...]
    target_path: str
    log_path: str
    packages_install_path: str
    clean_targets: tuple[str, ...]
    vars: dict[str, Any]
    on_run_start: tuple[str, ...]
    on_run_end: tuple[str, ...]
    dispatch: tuple[dict[str, Any], ...]
    quoting: dict[str, Any]
    require_dbt_version: tuple[str, ...]
    flags: dict[str, Any]
    query_comment: Any
    trees: dict[str, dict[str, Any]]  # models/seeds/... config trees, keys as in RESOURCE_TREES values
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    # Mason's own blocks (docs/monitoring.md), rendered: the run history and alert destinations
    monitoring: dict[str, Any] = field(repr=False, default_factory=dict)
    alerts: dict[str, Any] = field(repr=False, default_factory=dict)

    def all_resource_paths(self) -> tuple[str, ...]:
        return (*self.model_paths, *self.seed_paths, *self.test_paths, *self.macro_paths,
                *self.snapshot_paths, *self.analysis_paths)


def find_project_dir(start: Path) -> Path:
    """The given folder or its nearest parent that holds dbt_project.yml."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ProjectError(
        f"no {PROJECT_FILE} found in {here} or any parent folder",
        hint="run mason inside a dbt project or pass --project-dir",
    )


def _as_list(value: Any, default: list[str]) -> tuple[str, ...]:
    if value is None:
        return tuple(default)
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _render_tree(value: Any, ctx: dict[str, Any], path: str, key: str | None = None) -> Any:
    if key is not None and key in _DEFERRED_KEYS:
        return value
    if isinstance(value, dict):
        return {k: _render_tree(v, ctx, path, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_tree(v, ctx, path, None) for v in value]
    if isinstance(value, str) and has_jinja(value):
        try:
            return render_native(value, ctx, path)
        except MasonError as exc:
            exc.span = exc.span or Span(path)
            raise
    return value


def load_project(root: Path, cli_vars: dict[str, Any], env: dict[str, str], target: dict[str, Any] | None = None,
                 display_name: str = PROJECT_FILE) -> ProjectConfig:
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(f"{PROJECT_FILE} not found in {root}")
    raw = load_yaml_file(path, display_name)
    if not isinstance(raw, dict):
        raise ProjectError(f"{display_name} must be a mapping of keys to values", Span(display_name, 1))
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ProjectError(
            f"project name {name!r} is not a valid identifier", Span(display_name),
            "use letters, digits and underscores, starting with a letter",
        )
    if "config-version" in raw and raw["config-version"] not in (2, "2"):
        raise ProjectError(
            f"config-version: {raw['config-version']!r} is not supported: dbt 1.5 and later read only version 2",
            Span(display_name, line_where(path, lambda line: line.startswith(("config-version:", '"config-version":')))),
            "write `config-version: 2` (or leave the key out) and move the project to version 2's keys")
    root_vars = raw.get("vars") or {}
    ctx = base_functions(lambda m, i: None)
    ctx["env_var"] = make_env_var(env, allow_secrets=False)
    ctx["secret"] = secret_outside_profiles
    ctx["var"] = VarLookup(cli_vars, root_vars if isinstance(root_vars, dict) else {}, name, name)
    ctx["target"] = target or {}
    ctx["project_name"] = name
    rendered = _render_tree(raw, ctx, display_name)

    if "tests" in rendered and "data_tests" in rendered:
        raise ProjectError("use data_tests: or tests: in dbt_project.yml, not both", Span(display_name))
    trees: dict[str, dict[str, Any]] = {}
    for key, canonical in RESOURCE_TREES.items():
        tree = rendered.get(key)
        if isinstance(tree, dict):
            trees[canonical] = tree
    model_paths = _as_list(rendered.get("model-paths", rendered.get("source-paths")), ["models"])
    seed_paths = _as_list(rendered.get("seed-paths", rendered.get("data-paths")), ["seeds"])
    test_paths = _as_list(rendered.get("test-paths"), ["tests"])
    macro_paths = _as_list(rendered.get("macro-paths"), ["macros"])
    snapshot_paths = _as_list(rendered.get("snapshot-paths"), ["snapshots"])
    analysis_paths = _as_list(rendered.get("analysis-paths"), ["analyses"])
    docs_default = [*model_paths, *seed_paths, *test_paths, *macro_paths, *snapshot_paths, *analysis_paths]
    hooks_start = raw.get("on-run-start") or []
    hooks_end = raw.get("on-run-end") or []
    rdv = rendered.get("require-dbt-version")
    return ProjectConfig(
        root=root,
        name=name,
        version=str(rendered["version"]) if rendered.get("version") is not None else None,
        profile=rendered.get("profile"),
        model_paths=model_paths,
        seed_paths=seed_paths,
        test_paths=test_paths,
        macro_paths=macro_paths,
        snapshot_paths=snapshot_paths,
        analysis_paths=analysis_paths,
        docs_paths=_as_list(rendered.get("docs-paths"), docs_default),
        target_path=str(rendered.get("target-path") or "target"),
        log_path=str(rendered.get("log-path") or "logs"),
        packages_install_path=str(rendered.get("packages-install-path") or "dbt_packages"),
        clean_targets=_as_list(rendered.get("clean-targets"), [str(rendered.get("target-path") or "target")]),
        vars=root_vars if isinstance(root_vars, dict) else {},
        on_run_start=tuple([hooks_start] if isinstance(hooks_start, str) else hooks_start),
        on_run_end=tuple([hooks_end] if isinstance(hooks_end, str) else hooks_end),
        dispatch=tuple(rendered.get("dispatch") or ()),
        quoting=dict(rendered.get("quoting") or {}),
        require_dbt_version=_as_list(rdv, []) if rdv else (),
        flags=dict(rendered.get("flags") or {}),
        query_comment=rendered.get("query-comment"),
        trees=trees,
        raw=raw,
        monitoring=dict(rendered.get("monitoring") or {}) if isinstance(rendered.get("monitoring"), dict) else {},
        alerts=dict(rendered.get("alerts") or {}) if isinstance(rendered.get("alerts"), dict) else {},
    )
