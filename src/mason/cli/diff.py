"""`mason diff`: compare the selected models' relations with production's (--state), for review and CI."""

from __future__ import annotations

import os
from typing import Any

import click

from mason.cli.options import _env, _global_options, _invoke, _scrub


@click.command("diff")
@_global_options
@click.option("-s", "--select", "-m", "--models", "--model", "select", multiple=True,
              help="Models to compare (dbt selection syntax, e.g. state:modified+).")
@click.option("--exclude", multiple=True, help="Models to leave out.")
@click.option("--selector", default=None, help="A named selector from selectors.yml.")
@click.option("--state", default=None, envvar=_env("state"), type=click.Path(),
              help="Folder holding production's manifest.json (the relations compared against).")
@click.option("--state-target", default=None,
              help="The profile output that built the state, when its database is not this target's "
                   "(DuckDB: its file is attached read-only).")
@click.option("--primary-key", "primary_key", multiple=True,
              help="Key columns, comma separated (`id` or `order_id,line`), for every model, or `model=col,...` "
                   "for one. Default: unique_key config, primary_key constraint, unique+not_null tests.")
@click.option("--sample", type=int, default=5, show_default=True, help="Sample rows shown per finding.")
@click.option("--ignore-columns", "ignore_columns", multiple=True,
              help="Columns left out of the comparison, comma separated (e.g. loaded_at).")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text")
@click.option("--fail-on", type=click.Choice(["any", "schema", "rows", "none"]), default="any", show_default=True,
              help="Which differences exit 1. Models that could not be compared exit 2.")
def diff_cmd(**opts: Any) -> None:
    """Compare the selected models with production: schemas, row counts, rows only on one side, changed
    values per column. Exit 0 when nothing differs, 1 on differences, 2 on errors."""

    def body(session: Any) -> int:
        from mason.api.diff import diff
        from mason.errors import MasonError

        try:
            report = diff(session, opts)
        except MasonError as exc:  # exit 1 means "differences" here: every error exits 2
            if opts.get("debug") or os.environ.get("DBT_DEBUG", "").lower() in ("1", "true"):
                import traceback

                traceback.print_exc()
            click.echo(_scrub(f"Error: {exc.render()}"), err=True)
            return 2
        fail_on = opts["fail_on"]
        if opts["output"] == "json":
            import json

            click.echo(json.dumps(report.to_dict(fail_on), indent=2, default=str))
        else:
            from mason.diff.render import render

            click.echo(render(report, fail_on))
        return report.exit_code(fail_on)

    _invoke("diff", opts, body)
