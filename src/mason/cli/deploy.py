"""`mason deploy`, `mason rollback`, `mason environments list|show|diff|drop` (docs/deploy.md)."""

from __future__ import annotations

from typing import Any

import click

from mason.cli.options import _global_options, _invoke, _selection_options

_schema = click.option("--deploy-schema", default=None,
                       help="Schema of the environments' records (default mason_deploy, or MASON_DEPLOY_SCHEMA).")


@click.command("deploy")
@_global_options
@_selection_options
@_schema
@click.option("--gate", type=click.Choice(["errors", "warnings"]), default="errors", show_default=True,
              help="What stops a promotion: test errors and failures, or warnings too.")
@click.option("--gate-sql", "gate_sql", multiple=True, type=click.Path(),
              help="A SQL file (Jinja; ref() reads the new environment) that must return no rows.")
@click.option("--keep", type=int, default=2, show_default=True,
              help="Environments kept: production and those it can be rolled back to.")
@click.option("--full", is_flag=True, default=False, help="Build every selected model, changed or not.")
@click.option("-f", "--full-refresh", is_flag=True, default=False)
def deploy_cmd(**opts: Any) -> None:
    """Build what changed beside production, test it there, promote it atomically."""

    def body(session: Any) -> int:
        from mason.api.deploy import deploy

        return deploy(session, opts)

    _invoke("deploy", opts, body)


@click.command("rollback")
@_global_options
@_schema
def rollback_cmd(**opts: Any) -> None:
    """Restore the production the last deploy replaced."""

    def body(session: Any) -> int:
        from mason.api.deploy import rollback_

        return rollback_(session, opts)

    _invoke("rollback", opts, body)


@click.command("environments")
@_global_options
@_schema
@click.argument("action", type=click.Choice(["list", "show", "diff", "drop"]))
@click.argument("names", nargs=-1)
def environments_cmd(action: str, names: tuple[str, ...], **opts: Any) -> None:
    """What each deploy environment holds: list, show ID, diff A B, drop ID..."""

    def body(session: Any) -> int:
        from mason.api.deploy import environments
        from mason.errors import UsageError

        wanted = {"list": 0, "show": 1, "diff": 2}.get(action)
        if (wanted is not None and len(names) != wanted) or (action == "drop" and not names):
            raise UsageError(f"environments {action} takes {wanted if wanted is not None else 'one or more'} "
                             "environment name(s)", hint="mason environments list shows them")
        return environments(session, opts, action, names)

    _invoke("environments", opts, body)
