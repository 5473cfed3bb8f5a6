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


def _env(option: str) -> list[str]:
    from mason.cli.envflags import envvars

    return envvars(option)


def _bool(name: str, help_text: str | None = None, short: str | None = None) -> Callable[..., Any]:
    """`--name/--no-name`, unset (None) unless given or set in the environment."""
    flag = name.replace("_", "-")
    decls = [f"--{flag}/--no-{flag}"] if short is None else [f"{short}", f"--{flag}/--no-{flag}"]
    return click.option(*decls, name, default=None, envvar=_env(name), help=help_text)


_LEVELS = click.Choice(["debug", "info", "warn", "error", "none"], case_sensitive=False)
_FORMATS = click.Choice(["text", "debug", "json", "default"], case_sensitive=False)


def _global_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--project-dir", type=click.Path(file_okay=False), default=None, envvar=_env("project_dir"),
                     help="Folder holding dbt_project.yml (default: current or nearest parent)."),
        click.option("--profiles-dir", type=click.Path(file_okay=False), default=None, envvar=_env("profiles_dir"),
                     help="Folder holding profiles.yml (default: DBT_PROFILES_DIR, project dir, ~/.dbt)."),
        click.option("--profile", default=None, envvar=_env("profile"),
                     help="Profile to use instead of dbt_project.yml's."),
        click.option("-t", "--target", default=None, envvar=_env("target"), help="Target (output) of the profile."),
        click.option("--vars", "vars_", default=None, help="Variables as YAML or JSON, e.g. '{key: value}'."),
        click.option("--target-path", default=None, envvar=_env("target_path"), help="Where artifacts go."),
        click.option("--log-path", default=None, envvar=_env("log_path"), help="Where logs go."),
        _bool("debug", "Show debug output and tracebacks.", "-d"),
        _bool("quiet", "Only errors and print() output.", "-q"),
        click.option("--log-format", type=_FORMATS, default=None, envvar=_env("log_format"),
                     help="text, or json: one dbt-style JSON event per line (what orchestrators parse)."),
        click.option("--log-format-file", type=_FORMATS, default=None, envvar=_env("log_format_file"),
                     help="Format of logs/dbt.log (default: --log-format when given, else debug text)."),
        click.option("--log-level", type=_LEVELS, default=None, envvar=_env("log_level")),
        click.option("--log-level-file", type=_LEVELS, default=None, envvar=_env("log_level_file")),
        click.option("--log-file-max-bytes", type=int, default=None, envvar=_env("log_file_max_bytes"),
                     help="Roll logs/dbt.log over at this size (0: never)."),
        click.option("--threads", type=int, default=None, help="Worker threads (default from the profile)."),
        click.option("--warn-error", "warn_error", is_flag=True, default=None, envvar=_env("warn_error"),
                     help="Treat warnings as errors."),
        click.option("--warn-error-options", default=None, envvar=_env("warn_error_options"),
                     help="Which warnings are errors, as YAML."),
        _bool("fail_fast", "Stop at the first failure.", "-x"),
        _bool("use_colors"),
        _bool("use_colors_file"),
        _bool("partial_parse"),
        click.option("--partial-parse-file-path", default=None, envvar=_env("partial_parse_file_path")),
        _bool("partial_parse_file_diff"),
        _bool("version_check"),
        click.option("--printer-width", type=int, default=None, envvar=_env("printer_width")),
        _bool("print", "Show print() output from Jinja."),
        _bool("write_json", "Write the JSON artifacts (run_results.json, manifest.json)."),
        _bool("static_parser"),
        _bool("use_experimental_parser"),
        _bool("cache_selected_only"),
        _bool("populate_cache"),
        _bool("introspect"),
        _bool("send_anonymous_usage_stats", "Accepted for dbt's sake: Mason sends no usage data."),
        _bool("log_cache_events"),
        _bool("macro_debugging"),
        _bool("single_threaded"),
        _bool("use_fast_test_edges"),
        _bool("upload_to_artifacts_ingest_api"),
        _bool("show_resource_report"),
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
                     default=None, envvar=_env("indirect_selection")),
        click.option("--resource-type", "--resource-types", "resource_type", multiple=True,
                     envvar=_env("resource_type"), help="Only these resource types."),
        click.option("--exclude-resource-type", "--exclude-resource-types", "exclude_resource_type",
                     multiple=True, envvar=_env("exclude_resource_type"), help="Leave out these resource types."),
        click.option("--state", default=None, type=click.Path(), envvar=_env("state"),
                     help="Another run's artifacts (production's target/) for state:, result: and --defer "
                          "(or DBT_STATE / MASON_STATE)."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-f", "--full-refresh", "full_refresh", is_flag=True, default=None, envvar=_env("full_refresh"),
                     help="Rebuild incremental models and seeds."),
        click.option("--empty/--no-empty", "empty", default=None, envvar=_env("empty"),
                     help="Build with zero-row inputs (schema only)."),
        click.option("--store-failures", "store_failures", is_flag=True, default=None,
                     envvar=_env("store_failures"), help="Store failing test rows."),
        click.option("--event-time-start", default=None, envvar=_env("event_time_start")),
        click.option("--event-time-end", default=None, envvar=_env("event_time_end")),
        click.option("--defer/--no-defer", "defer", default=None, envvar=_env("defer"),
                     help="Read unselected models that this target lacks from --state's relations."),
        click.option("--defer-state", default=None, type=click.Path(), envvar=_env("defer_state"),
                     help="The artifacts to defer to, when they differ from --state."),
        click.option("--favor-state/--no-favor-state", "favor_state", default=None, envvar=_env("favor_state"),
                     help="With --defer: read unselected models from --state even where this target has them."),
        click.option("--sample", default=None, envvar=_env("sample"), hidden=True),
        click.option("--sqlparse", default=None, envvar=_env("sqlparse"), hidden=True,
                     help="dbt's sqlparse limits: accepted, Mason does not use sqlparse."),
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
    from mason.cli.envflags import project_flags, resolve

    values = resolve(opts, project_flags(root), env)
    if which in ("run", "build") and values.get("sample"):
        raise UsageError("--sample (DBT_SAMPLE) is not supported by Mason yet",
                         hint="unset DBT_SAMPLE / MASON_SAMPLE, or build the full inputs")
    wopts = values["warn_error_options"]
    if isinstance(wopts, str):
        import yaml

        try:
            wopts = yaml.safe_load(wopts) or {}
        except yaml.YAMLError as exc:
            raise UsageError(f"--warn-error-options is not valid YAML: {exc}") from exc
    log_format = str(values["log_format"]).lower()
    flags = Flags(
        which=which,
        full_refresh=bool(values["full_refresh"]),
        store_failures=bool(values["store_failures"]),
        empty=bool(values["empty"]),
        fail_fast=bool(values["fail_fast"]),
        warn_error=bool(values["warn_error"]),
        warn_error_options=wopts if isinstance(wopts, dict) else {},
        debug=bool(values["debug"]),
        quiet=bool(values["quiet"]),
        log_format="text" if log_format in ("default", "text") else log_format,
        threads=opts.get("threads"),
        indirect_selection=str(values["indirect_selection"]),
        partial_parse=bool(values["partial_parse"]),
        use_colors=bool(values["use_colors"]),
        printer_width=int(values["printer_width"]),
        no_version_check=not values["version_check"],
        log_level=str(values["log_level"]).lower(),
        log_format_file=str(values["log_format_file"]).lower(),
        log_level_file=str(values["log_level_file"]).lower(),
        use_colors_file=bool(values["use_colors_file"]),
        log_file_max_bytes=int(values["log_file_max_bytes"]),
        print_output=bool(values["print"]),
        write_json=bool(values["write_json"]),
        settings={k: v for k, v in values.items() if k not in ("project_dir", "profiles_dir")},
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
    """Run a command body with Mason's error handling: one message, exit 1 (2 for misuse). With --log-format json
    stdout carries only JSON events (an error is dbt's MainEncounteredError event there). With `--workspace`,
    the body runs in each project of the workspace (or `workspace` runs over all of them)."""
    from mason.errors import MasonError
    from mason.memory import pause_collector
    from mason.observe import output

    debug = bool(opts.get("debug"))
    json_log = str(opts.get("log_format") or "").lower() == "json"
    invocation_id = ""
    pause_collector()  # resumed by the stages that render in a loop (see mason.memory)

    def fail(message: str, code: int) -> None:
        text = _scrub(message)
        if json_log:
            from mason.observe.dbt_json import event_line, write_line

            write_line(output.raw_stdout(), event_line("MainEncounteredError", "error", f"Encountered an error:\n{text}",
                                                       {"exc": text}, invocation_id))
        else:
            click.echo(text, err=True)
        sys.exit(code)

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
        json_log = session.flags.log_format == "json"
        invocation_id = session.invocation_id
        output.configure(session.flags.log_format, invocation_id, session.flags.print_output)
        code = body(session)
    except MasonError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        fail(f"Error: {exc.render()}", exc.exit_code)
    except KeyboardInterrupt:
        fail("Interrupted: nothing half-built was left behind.", EXIT_FAIL)
    except Exception as exc:  # an internal error: still no traceback without --debug
        if debug:
            raise
        fail(f"Internal error: {type(exc).__name__}: {exc}\n  run again with --debug for the traceback", EXIT_USAGE)
    sys.exit(code)


def _scrub(text: str) -> str:
    """Secret env vars' values (even when the failure came before profiles.yml was read) and every value
    registered in mason.observe.masking (hidden profile fields, secret() values) become *****."""
    from mason.jinja.base_context import SECRET_PREFIXES
    from mason.observe import masking

    masking.register(value for key, value in os.environ.items() if key.startswith(SECRET_PREFIXES))
    return masking.scrub(text)
