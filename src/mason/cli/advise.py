"""`mason advise`: the slow models and what would make them cheaper (docs/docs_site.md)."""

from __future__ import annotations

from typing import Any

import click

from mason.cli.options import _global_options, _invoke, _selection_options


@click.command("advise")
@_global_options
@_selection_options
@click.option("--min-rows", type=int, default=100_000, show_default=True,
              help="Rows from which a table counts as large.")
@click.option("--max-cte-chain", type=int, default=4, show_default=True,
              help="CTEs in a chain beyond which splitting the model is advised.")
@click.option("--runs", type=int, default=10, show_default=True, help="Recent runs whose median time is a model's cost.")
@click.option("--limit", type=int, default=0, help="Show only this many pieces of advice (0: all).")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text")
def advise_cmd(**opts: Any) -> None:
    """Point at slow models with concrete advice, costliest first."""

    def body(session: Any) -> int:
        from mason.api.advise import advise

        return advise(session, opts, click.echo)

    _invoke("advise", opts, body)
