"""What every command shares: the global and selection options, the Session they make, error handling."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Group(click.Group):
    """Accepts global flags after the sub-command too, like dbt (`mason run --debug`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "list":
            cmd_name = "ls"
        return super().get_command(ctx, cmd_name)


def _global_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--project-dir", type=click.Path(file_okay=False), default=None, envvar="DBT_PROJECT_DIR",
                     help="Folder holding dbt_project.yml (default: current or nearest parent)."),
        click.option("--profiles-dir", type=click.Path(file_okay=False), default=None,
                     help="Folder holding profiles.yml (default: DBT_PROFILES_DIR, project dir, ~/.dbt)."),
        click.option("--profile", default=None, help="Profile to use instead of dbt_project.yml's."),
        click.option("-t", "--target", default=None, help="Target (output) of the profile."),
        click.option("--vars", "vars_", default=None, help="Variables as YAML or JSON, e.g. '{key: value}'."),
        click.option("--target-path", default=None, envvar="DBT_TARGET_PATH", help="Where artifacts go."),
        click.option("--log-path", default=None, envvar="DBT_LOG_PATH", help="Where logs go."),
        click.option("-d", "--debug", is_flag=True, default=None, help="Show debug output and tracebacks."),
        click.option("-q", "--quiet", is_flag=True, default=None, help="Only errors and print() output."),
        click.option("--log-format", type=click.Choice(["text", "json", "default", "debug"]), default=None),
        click.option("--threads", type=int, default=None, help="Worker threads (default from the profile)."),
        click.option("--warn-error", is_flag=True, default=None, help="Treat warnings as errors."),
        click.option("--warn-error-options", default=None, help="Which warnings are errors, as YAML."),
        click.option("-x", "--fail-fast", is_flag=True, default=None, help="Stop at the first failure."),
        click.option("--use-colors/--no-use-colors", default=None),
        click.option("--partial-parse/--no-partial-parse", default=None),
        click.option("--version-check/--no-version-check", "version_check", default=True),
        click.option("--printer-width", type=int, default=None),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _workspace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--workspace", is_flag=False, flag_value=".", default=None, type=click.Path(file_okay=False),
        help="Run in every project of this folder (a monorepo of projects), upstream projects first; without a "
             "value, the folder holding the current project (docs/mesh.md).")(fn)


def _selection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-s", "--select", "-m", "--models", "--model", "select", multiple=True,
                     help="Nodes to include (dbt selection syntax)."),
        click.option("--exclude", multiple=True, help="Nodes to exclude."),
        click.option("--selector", default=None, help="A named selector from selectors.yml."),
        click.option("--indirect-selection", type=click.Choice(["eager", "cautious", "buildable", "empty"]),
                     default=None, envvar="DBT_INDIRECT_SELECTION"),
        click.option("--resource-type", "--resource-types", "resource_type", multiple=True,
                     help="Only these resource types."),
        click.option("--exclude-resource-type", "--exclude-resource-types", "exclude_resource_type",
                     multiple=True, help="Leave out these resource types."),
        click.option("--state", default=None, type=click.Path(),
                     help="Another run's artifacts (production's target/) for state:, result: and --defer "
                          "(or DBT_STATE / MASON_STATE)."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-f", "--full-refresh", is_flag=True, default=False, help="Rebuild incremental models and seeds."),
        click.option("--empty", is_flag=True, default=False, help="Build with zero-row inputs (schema only)."),
        click.option("--store-failures", is_flag=True, default=False, help="Store failing test rows."),
        click.option("--event-time-start", default=None),
        click.option("--event-time-end", default=None),
        click.option("--defer/--no-defer", default=False, envvar="DBT_DEFER",
                     help="Read unselected models that this target lacks from --state's relations."),
        click.option("--defer-state", default=None, type=click.Path(), envvar="DBT_DEFER_STATE",
                     help="The artifacts to defer to, when they differ from --state."),
        click.option("--favor-state/--no-favor-state", default=False, envvar="DBT_FAVOR_STATE",
                     help="With --defer: read unselected models from --state even where this target has them."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _parse_vars(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    import yaml

    from mason.errors import UsageError

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"--vars is not valid YAML or JSON: {exc}", hint="e.g. --vars '{my_var: 1}'") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError("--vars must be a mapping", hint="e.g. --vars '{my_var: 1}'")
    return value


def make_session(which: str, opts: dict[str, Any]) -> Any:
    from mason.errors import UsageError
    from mason.project.project import find_project_dir
    from mason.session import Flags, Session

    project_dir = opts.get("project_dir")
    root = Path(project_dir).resolve() if project_dir else find_project_dir(Path.cwd())
    if project_dir and not (root / "dbt_project.yml").is_file():
        raise UsageError(f"no dbt_project.yml in --project-dir {root}")
    env = dict(os.environ)
    wopts: dict[str, Any] = {}
    if opts.get("warn_error_options"):
        import yaml

        wopts = yaml.safe_load(opts["warn_error_options"]) or {}
    flags = Flags(
        which=which,
        full_refresh=bool(opts.get("full_refresh")),
        store_failures=bool(opts.get("store_failures")),
        empty=bool(opts.get("empty")),
        fail_fast=bool(opts.get("fail_fast")),
        warn_error=bool(opts.get("warn_error")),
        warn_error_options=wopts,
        debug=bool(opts.get("debug")),
        quiet=bool(opts.get("quiet")),
        log_format=opts.get("log_format") or "text",
        threads=opts.get("threads"),
        indirect_selection=opts.get("indirect_selection") or env.get("DBT_INDIRECT_SELECTION") or "eager",
        partial_parse=opts.get("partial_parse") is not False,
        use_colors=opts.get("use_colors") is not False,
        printer_width=opts.get("printer_width") or 80,
        no_version_check=opts.get("version_check") is False,
    )
    return Session(
        project_dir=root,
        profiles_dir=Path(opts["profiles_dir"]).resolve() if opts.get("profiles_dir") else None,
        target=opts.get("target"),
        profile=opts.get("profile"),
        cli_vars=_parse_vars(opts.get("vars_")),
        env=env,
        flags=flags,
        target_path=opts.get("target_path"),
        log_path=opts.get("log_path"),
    )


def _invoke(which: str, opts: dict[str, Any], body: Callable[[Any], int],
            workspace: Callable[[Path, Callable[[Path], Any]], int] | None = None) -> None:
    """Run a command body with Mason's error handling: one message, exit 1 (2 for misuse). With
    `--workspace`, the body runs in each project of the workspace (or `workspace` runs over all of them)."""
    from mason.errors import MasonError
    from mason.memory import pause_collector

    debug = bool(opts.get("debug")) or os.environ.get("DBT_DEBUG", "").lower() in ("1", "true")
    pause_collector()  # resumed by the stages that render in a loop (see mason.memory)
    try:
        folder = opts.pop("workspace", None)
        if folder is not None:
            from mason.api.mesh import run_workspace

            if opts.get("project_dir"):
                from mason.errors import UsageError

                raise UsageError("--workspace and --project-dir do not go together",
                                 hint="--workspace runs in every project of the folder it names")

            def make(root: Path) -> Any:
                return make_session(which, {**opts, "project_dir": str(root)})

            code = workspace(Path(folder), make) if workspace is not None else run_workspace(Path(folder), make, body)
            sys.exit(code)
        session = make_session(which, opts)
        code = body(session)
    except MasonError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(_scrub(f"Error: {exc.render()}"), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted: nothing half-built was left behind.", err=True)
        sys.exit(EXIT_FAIL)
    except Exception as exc:  # an internal error: still no traceback without --debug
        if debug:
            raise
        click.echo(_scrub(f"Internal error: {type(exc).__name__}: {exc}\n  run again with --debug for the "
                          "traceback"), err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code)


def _scrub(text: str) -> str:
    """Secret env vars' values (even when the failure came before profiles.yml was read) and every value
    registered in mason.observe.masking (hidden profile fields, secret() values) become *****."""
    from mason.jinja.base_context import SECRET_PREFIXES
    from mason.observe import masking

    masking.register(value for key, value in os.environ.items() if key.startswith(SECRET_PREFIXES))
    return masking.scrub(text)
