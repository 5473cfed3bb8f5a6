"""The `mason` command line: dbt's commands and flags. Heavy imports happen inside commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from mason import __version__

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
        click.option("--defer/--no-defer", default=False),
        click.option("--state", default=None, type=click.Path()),
        click.option("--favor-state/--no-favor-state", default=False),
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


def _invoke(which: str, opts: dict[str, Any], body: Callable[[Any], int]) -> None:
    """Run a command body with Mason's error handling: one message, exit 1 (2 for misuse)."""
    from mason.errors import MasonError
    from mason.memory import pause_collector

    debug = bool(opts.get("debug")) or os.environ.get("DBT_DEBUG", "").lower() in ("1", "true")
    pause_collector()  # resumed by the stages that render in a loop (see mason.memory)
    try:
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
        click.echo(f"Internal error: {type(exc).__name__}: {exc}\n  run again with --debug for the traceback",
                   err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code)


def _scrub(text: str) -> str:
    from mason.jinja.base_context import SECRET_PREFIXES

    for key, value in os.environ.items():
        if key.startswith(SECRET_PREFIXES) and value:
            text = text.replace(value, "*****")
    return text


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-v", prog_name="mason")
def cli() -> None:
    """Mason: build dbt projects, fast."""


@cli.command("parse")
@_global_options
def parse_cmd(**opts: Any) -> None:
    """Parse the project and write target/manifest.json."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.parse(session)

    _invoke("parse", opts, body)


@cli.command("ls")
@_global_options
@_selection_options
@click.option("--output", "-o", type=click.Choice(["selector", "name", "path", "json"]), default="selector")
@click.option("--output-keys", multiple=True, help="Keys to print with --output json.")
def ls_cmd(**opts: Any) -> None:
    """List resources (dbt ls / dbt list)."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.ls(session, opts)

    _invoke("list", opts, body)


@cli.command("compile")
@_global_options
@_selection_options
@_run_options
@click.option("--inline", default=None, help="Compile this SQL instead of project nodes.")
@click.option("--output", type=click.Choice(["text", "json"]), default="text")
def compile_cmd(**opts: Any) -> None:
    """Render Jinja to SQL under target/compiled/."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.compile_(session, opts)

    _invoke("compile", opts, body)


def _build_command(name: str, help_text: str) -> None:
    @_global_options
    @_selection_options
    @_run_options
    def command(**opts: Any) -> None:
        def body(session: Any) -> int:
            from mason.api import commands

            return commands.execute(session, opts, name)

        _invoke(name, opts, body)

    command.__doc__ = help_text
    cli.command(name)(command)


for _name, _help in (
    ("run", "Build models."),
    ("build", "Seeds, snapshots, models and tests, in DAG order."),
    ("test", "Run data tests."),
    ("seed", "Load CSV seeds."),
    ("snapshot", "Run snapshots."),
):
    _build_command(_name, _help)


@cli.command("show")
@_global_options
@_selection_options
@_run_options
@click.option("--inline", default=None, help="SQL to run instead of a node.")
@click.option("--limit", type=int, default=5, help="Rows to show (negative: all).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text")
def show_cmd(**opts: Any) -> None:
    """Compile and run a node or an inline query, and print a preview."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.show(session, opts)

    _invoke("show", opts, body)


@cli.command("batches")
@_global_options
@_selection_options
@click.option("--output", type=click.Choice(["text", "json"]), default="text")
def batches_cmd(**opts: Any) -> None:
    """Show the built and missing batches of microbatch models (from Mason's batch ledger)."""

    def body(session: Any) -> int:
        from mason.api.batches import report

        return report(session, opts)

    _invoke("batches", opts, body)


@cli.command("run-operation")
@_global_options
@click.argument("macro")
@click.option("--args", "args_", default=None, help="Macro arguments as YAML.")
def run_operation_cmd(macro: str, **opts: Any) -> None:
    """Call a macro."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.run_operation(session, macro, opts)

    _invoke("run-operation", opts, body)


@cli.command("debug")
@_global_options
@click.option("--config-dir", is_flag=True, default=False, help="Print the profiles folder and stop.")
@click.option("--connection", is_flag=True, default=False, help="Only test the connection.")
def debug_cmd(**opts: Any) -> None:
    """Show versions, the project and profile found, and test the connection."""
    from mason.api import commands

    sys.exit(commands.debug(make_session, opts))


@cli.command("clean")
@_global_options
def clean_cmd(**opts: Any) -> None:
    """Delete clean-targets (target/ by default)."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.clean(session)

    _invoke("clean", opts, body)


@cli.command("deps")
@_global_options
@click.option("--upgrade", is_flag=True, default=False, help="Resolve again, ignoring package-lock.yml.")
@click.option("--lock", "lock_only", is_flag=True, default=False,
              help="Only resolve and write package-lock.yml; install nothing.")
@click.option("--add-package", default=None, help="Add a package to packages.yml, e.g. dbt-labs/dbt_utils@1.3.0.")
@click.option("--source", type=click.Choice(["hub", "git", "local"]), default="hub",
              help="Where --add-package comes from.")
@click.option("--hub-url", default=None, envvar="MASON_HUB_URL",
              help="Package hub base URL (default https://hub.getdbt.com/).")
def deps_cmd(**opts: Any) -> None:
    """Install the packages in packages.yml / dependencies.yml into packages-install-path."""

    def body(session: Any) -> int:
        from mason.deps.command import DepsOptions, run_deps

        options = DepsOptions(upgrade=opts["upgrade"], lock_only=opts["lock_only"],
                              add_package=opts["add_package"], source=opts["source"], hub_url=opts["hub_url"],
                              version_check=opts.get("version_check") is not False)
        def echo(line: str) -> None:
            if not session.flags.quiet or line.startswith("Warning"):
                click.echo(line)

        return run_deps(session.project_dir, session.cli_vars, session.env, options, echo)

    _invoke("deps", opts, body)


@cli.command("init")
@click.argument("project_name", required=False)
@click.option("--skip-profile-setup", "-s", is_flag=True, default=False)
@click.option("--profiles-dir", default=None)
def init_cmd(project_name: str | None, skip_profile_setup: bool, profiles_dir: str | None) -> None:
    """Create a new project with a DuckDB profile, ready to `mason build`."""
    from mason.api import commands

    sys.exit(commands.init(project_name, skip_profile_setup, profiles_dir))


@cli.group("docs")
def docs_group() -> None:
    """Documentation: catalog.json."""


@docs_group.command("generate")
@_global_options
@_selection_options
@click.option("--no-compile", is_flag=True, default=False)
@click.option("--empty-catalog", is_flag=True, default=False)
def docs_generate_cmd(**opts: Any) -> None:
    """Write target/catalog.json from the warehouse's metadata."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.docs_generate(session, opts)

    _invoke("generate", opts, body)


@cli.group("source")
def source_group() -> None:
    """Sources: freshness."""


@source_group.command("freshness")
@_global_options
@_selection_options
@click.option("--output", "-o", default=None, help="Where to write sources.json.")
def freshness_cmd(**opts: Any) -> None:
    """Check source freshness and write target/sources.json."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.source_freshness(session, opts)

    _invoke("freshness", opts, body)


@cli.command("retry")
@_global_options
@click.option("--state", default=None, type=click.Path())
@click.option("-f", "--full-refresh", is_flag=True, default=False)
def retry_cmd(**opts: Any) -> None:
    """Re-run the nodes that errored, failed or were skipped last time."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.retry(session, opts)

    _invoke("retry", opts, body)


@cli.group("sl")
def sl_group() -> None:
    """The semantic layer: list and query metrics."""


def _csv(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@sl_group.command("query")
@_global_options
@click.option("--metrics", multiple=True, help="Metric names, comma separated.")
@click.option("--saved-query", default=None, help="Run a saved query (its metrics, group-bys and filters).")
@click.option("--start-time", default=None, help="Only metric_time from this date or timestamp on.")
@click.option("--end-time", default=None, help="Only metric_time up to this date or timestamp.")
@click.option("--group-by", multiple=True, help="metric_time__month, customer__region, ...")
@click.option("--where", multiple=True, help="A filter: {{ Dimension('customer__region') }} = 'EU'")
@click.option("--order-by", multiple=True, help="A metric or group-by; -name sorts descending.")
@click.option("--limit", type=int, default=None)
@click.option("--explain", is_flag=True, default=False, help="Print the SQL instead of running it.")
@click.option("--csv", "csv_path", default=None, help="Write the rows to this CSV file.")
def sl_query_cmd(**opts: Any) -> None:
    """Query metrics, grouped and filtered, on the target's warehouse."""

    def body(session: Any) -> int:
        from mason.adapters.table import Table, format_table
        from mason.api import semantic
        from mason.semantic.sql import Query

        q = Query(_csv(opts["metrics"]), _csv(opts["group_by"]), tuple(opts["where"]), _csv(opts["order_by"]),
                  opts["limit"], opts["start_time"], opts["end_time"])
        result = semantic.query(session, q, explain=opts["explain"], saved=opts["saved_query"])
        if opts["explain"]:
            click.echo(result.sql)
            return 0
        if opts["csv_path"]:
            import csv

            with open(opts["csv_path"], "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(result.columns)
                writer.writerows(result.rows)
        click.echo(format_table(Table(result.columns, result.rows), None))
        return 0

    _invoke("sl", opts, body)


@sl_group.command("validate")
@_global_options
def sl_validate_cmd(**opts: Any) -> None:
    """Check every metric and saved query compiles: unknown measures, joins, time dimensions."""

    def body(session: Any) -> int:
        from mason.api import semantic

        problems = semantic.validate(session)
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found" if problems
                   else "Semantic layer: every metric and saved query compiles")
        return 1 if problems else 0

    _invoke("sl", opts, body)


@sl_group.command("list")
@_global_options
@click.argument("what", type=click.Choice(["metrics", "dimensions", "entities"]))
def sl_list_cmd(what: str, **opts: Any) -> None:
    """List the project's metrics, dimensions or entities."""

    def body(session: Any) -> int:
        from mason.api import semantic

        for item in semantic.listing(session, what):
            click.echo("  ".join(str(v) for v in item.values()))
        return 0

    _invoke("sl", opts, body)


def _hoist_global_flags(argv: list[str]) -> list[str]:
    """`mason --debug run` == `mason run --debug`: move flags given before the command after it."""
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            if i == 0:
                return argv
            if arg in cli.commands or arg == "list":
                return [arg, *argv[i + 1:i + 2], *argv[:i], *argv[i + 2:]] if arg in ("docs", "source", "sl") else [arg, *argv[:i], *argv[i + 1:]]
            return argv
    return argv


_MULTI_VALUE = frozenset({"-s", "--select", "-m", "--models", "--model", "--exclude", "--output-keys",
                          "--resource-type", "--resource-types", "--exclude-resource-type",
                          "--exclude-resource-types"})


def _expand_multi_values(argv: list[str]) -> list[str]:
    """dbt lets `--select a b` take several values; click wants `--select a --select b`."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        out.append(arg)
        i += 1
        if arg in _MULTI_VALUE:
            first = True
            while i < len(argv) and not argv[i].startswith("-"):
                if not first:
                    out.append(arg)
                out.append(argv[i])
                first = False
                i += 1
    return out


def main() -> None:
    argv = _expand_multi_values(sys.argv[1:])
    if argv and argv[0] not in ("--version", "-v", "--help", "-h"):
        argv = _hoist_global_flags(argv)
    try:
        cli.main(args=argv, prog_name="mason")
    except SystemExit as exc:
        _exit(exc.code)
    _exit(0)


def _exit(code: object) -> None:
    """Leave without tearing the heap down object by object: after a large parse that takes longer than
    some commands (half a second at 10,000 models). Exit handlers still run and every stream is flushed;
    files Mason writes are complete (written atomically) before this point."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    status = code if isinstance(code, int) else (0 if code is None else 1)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
