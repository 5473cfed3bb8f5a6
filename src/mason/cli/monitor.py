"""`mason history`: the run history Mason keeps in the warehouse (docs/monitoring.md)."""

from __future__ import annotations

from typing import Any

import click

from mason.cli.options import _global_options, _invoke


@click.command("history")
@_global_options
@click.option("-s", "--select", "select", default=None,
              help="A node (name or unique id): its status and timings over the recent runs.")
@click.option("--flaky", is_flag=True, default=False, help="Only the flaky tests.")
@click.option("--limit", type=int, default=10, show_default=True, help="Runs (or a node's results) to show.")
@click.option("--runs", type=int, default=20, show_default=True,
              help="How many recent runs with tests the flaky-test search looks at.")
@click.option("--min-flips", type=int, default=2, show_default=True,
              help="Status changes between pass and fail that make a test flaky.")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text")
def history_cmd(**opts: Any) -> None:
    """Recent runs and flaky tests from the run history; -s NODE for one node's timing trend."""

    def body(session: Any) -> int:
        from mason.api.monitor import history

        return history(session, opts, click.echo)

    _invoke("history", opts, body)
