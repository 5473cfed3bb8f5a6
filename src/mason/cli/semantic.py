"""`mason sl ...`: the semantic layer from the command line."""

from __future__ import annotations

from typing import Any

import click

from mason.cli.options import _global_options, _invoke


@click.group("sl")
def sl_group() -> None:
    """The semantic layer: list, validate, query and export metrics."""


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


@sl_group.command("export")
@_global_options
@click.option("--saved-query", "saved_queries", multiple=True,
              help="Export only these saved queries (comma separated); all by default.")
def sl_export_cmd(**opts: Any) -> None:
    """Build the saved queries' exports as tables or views in the warehouse."""

    def body(session: Any) -> int:
        from mason.api.semantic_export import export

        done = export(session, _csv(opts["saved_queries"]))
        for item in done:
            if item.error:
                click.echo(f"ERROR exporting {item.saved_query}.{item.export}: {item.error}", err=True)
            else:
                click.echo(f"OK exported {item.saved_query}.{item.export} as {item.kind} {item.relation}")
        failed = sum(1 for item in done if item.error)
        click.echo(f"Done. {len(done) - failed} exported, {failed} failed" if done
                   else "No saved query has exports")
        return 1 if failed else 0

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
@click.argument("what", type=click.Choice(["metrics", "dimensions", "entities", "saved-queries"]))
def sl_list_cmd(what: str, **opts: Any) -> None:
    """List the project's metrics, dimensions, entities or saved queries."""

    def body(session: Any) -> int:
        from mason.api import semantic

        for item in semantic.listing(session, what):
            click.echo("  ".join(str(v) for v in item.values()))
        return 0

    _invoke("sl", opts, body)
