"""The `mason` command line: dbt's commands and flags. Heavy imports happen inside commands."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from mason import __version__
from mason.cli.options import (  # noqa: F401 (the exit codes and make_session, for callers of main)
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    _bool,
    _env,
    _global_options,
    _Group,
    _invoke,
    _run_options,
    _selection_options,
    _workspace_option,
    make_session,
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-v", prog_name="mason")
def cli() -> None:
    """Mason: build dbt projects, fast."""


@cli.command("parse")
@_global_options
@_workspace_option
def parse_cmd(**opts: Any) -> None:
    """Parse the project and write target/manifest.json."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.parse(session)

    _invoke("parse", opts, body)


@cli.command("ls")
@_global_options
@_workspace_option
@_selection_options
@click.option("--output", "-o", type=click.Choice(["selector", "name", "path", "json"]), default="selector")
@click.option("--output-keys", multiple=True, help="Keys to print with --output json.")
@_bool("include_saved_query")
def ls_cmd(**opts: Any) -> None:
    """List resources (dbt ls / dbt list)."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.ls(session, opts)

    def whole(folder: Any, make: Any) -> int:
        from mason.api.mesh import ls_workspace

        return ls_workspace(folder, make, opts)

    _invoke("list", opts, body, workspace=whole)


@cli.command("compile")
@_global_options
@_workspace_option
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
    @_workspace_option
    @_selection_options
    @_run_options
    @_bool("export_saved_queries", "Accepted for dbt's sake (saved-query exports run in dbt Cloud).")
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
@_bool("clean_project_files_only", "Refuse to delete paths outside the project (the default).")
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

        return run_deps(session.project_dir, session.cli_vars, session.env, options, echo,
                        profiles_dir=session.profiles_dir, profile=session.profile)

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
    """Documentation: catalog.json and the site (index.html)."""


@docs_group.command("generate")
@_global_options
@_selection_options
@click.option("--no-compile", is_flag=True, default=False)
@click.option("--empty-catalog", is_flag=True, default=False)
@click.option("--no-site", is_flag=True, default=False, help="Only catalog.json, not the site (index.html).")
def docs_generate_cmd(**opts: Any) -> None:
    """Write target/catalog.json and the documentation site target/index.html."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.docs_generate(session, opts)

    _invoke("generate", opts, body)


@docs_group.command("serve")
@_global_options
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--browser/--no-browser", default=True, help="Open the site in a web browser.")
def docs_serve_cmd(**opts: Any) -> None:
    """Serve the site `mason docs generate` wrote (target/index.html) over HTTP."""

    def body(session: Any) -> int:
        from mason.api.docs import serve

        return serve(session, opts, click.echo)

    _invoke("serve", opts, body)


@cli.group("source")
def source_group() -> None:
    """Sources: freshness, contracts."""


@source_group.command("check")
@_global_options
@_selection_options
def source_check_cmd(**opts: Any) -> None:
    """Check the contracted sources against their live tables (exit code 1 when one fails)."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.execute(session, opts, "source_check")

    _invoke("check", opts, body)


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
@click.option("--state", default=None, type=click.Path(), envvar=_env("state"))
@click.option("-f", "--full-refresh", "full_refresh", is_flag=True, default=None, envvar=_env("full_refresh"))
def retry_cmd(**opts: Any) -> None:
    """Re-run the nodes that errored, failed or were skipped last time."""

    def body(session: Any) -> int:
        from mason.api import commands

        return commands.retry(session, opts)

    _invoke("retry", opts, body)


@cli.command("clone")
@_global_options
@_selection_options
@click.option("-f", "--full-refresh", "full_refresh", is_flag=True, default=None, envvar=_env("full_refresh"),
              help="Replace relations this target has.")
def clone_cmd(**opts: Any) -> None:
    """Point this target's relations at --state's (zero-copy clones where the warehouse can, else views)."""

    def body(session: Any) -> int:
        from mason.api.clone import clone

        return clone(session, opts)

    _invoke("clone", opts, body)


def _register() -> None:
    from mason.cli.advise import advise_cmd
    from mason.cli.deploy import deploy_cmd, environments_cmd, rollback_cmd
    from mason.cli.diff import diff_cmd
    from mason.cli.mesh import mesh_group
    from mason.cli.monitor import history_cmd
    from mason.cli.semantic import sl_group
    from mason.cli.serve import serve_group

    for command in (deploy_cmd, rollback_cmd, environments_cmd):
        cli.add_command(command)
    cli.add_command(diff_cmd)
    cli.add_command(history_cmd)
    cli.add_command(advise_cmd)
    cli.add_command(mesh_group)
    cli.add_command(sl_group)
    cli.add_command(serve_group)


_register()


def _hoist_global_flags(argv: list[str]) -> list[str]:
    """`mason --debug run` == `mason run --debug`: move flags given before the command after it."""
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            if i == 0:
                return argv
            if arg in cli.commands or arg == "list":
                return [arg, *argv[i + 1:i + 2], *argv[:i], *argv[i + 2:]] if arg in ("docs", "source", "sl", "mesh") else [arg, *argv[:i], *argv[i + 1:]]
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


def _join_workspace(argv: list[str]) -> list[str]:
    """`mason --workspace DIR build`: the workspace folder travels with its flag when flags are hoisted."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--workspace" and i + 1 < len(argv) and not argv[i + 1].startswith("-") \
                and argv[i + 1] not in cli.commands and argv[i + 1] != "list":
            out.append(f"--workspace={argv[i + 1]}")
            i += 2
            continue
        if not argv[i].startswith("-"):
            return out + argv[i:]
        out.append(argv[i])
        i += 1
    return out


def main() -> None:
    argv = _expand_multi_values(sys.argv[1:])
    if argv and argv[0] not in ("--version", "-v", "--help", "-h"):
        argv = _hoist_global_flags(_join_workspace(argv))
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
