"""`mason serve`: the HTTP API; `mason serve token create|list|revoke`: its bearer tokens."""

from __future__ import annotations

from typing import Any

import click

from mason.cli.options import _global_options, _invoke


@click.group("serve", invoke_without_command=True)
@_global_options
@click.option("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=8580, help="Port (default 8580).")
@click.option("--max-rows", type=int, default=10_000, help="Most rows one query returns.")
@click.option("--statement-timeout", type=float, default=30.0,
              help="Seconds a query may run before it is cancelled (default 30; 0: no limit).")
@click.option("--max-concurrency", type=int, default=4, help="Queries run at once on the warehouse (default 4).")
@click.pass_context
def serve_group(ctx: click.Context, **opts: Any) -> None:
    """Serve the semantic layer over HTTP (JSON API, bearer tokens)."""
    if ctx.invoked_subcommand is not None:
        return

    def body(session: Any) -> int:
        from mason.server.app import serve

        return serve(session, opts["host"], opts["port"], opts["max_rows"], opts["statement_timeout"],
                     opts["max_concurrency"])

    _invoke("serve", opts, body)


@serve_group.group("token")
def token_group() -> None:
    """Bearer tokens for `mason serve` (stored hashed in .mason/tokens.json)."""


@token_group.command("create")
@_global_options
@click.argument("name")
@click.option("--metrics", default=None, help="Only these metrics (comma separated).")
@click.option("--group", "groups", default=None,
              help="Only the metrics of these groups (comma separated; with --metrics, those too).")
def token_create_cmd(name: str, **opts: Any) -> None:
    """Create a token; its secret is printed once."""

    def body(session: Any) -> int:
        from mason.server.tokens import create, store_path

        def listed(key: str) -> tuple[str, ...] | None:
            return tuple(m.strip() for m in opts[key].split(",") if m.strip()) if opts[key] else None

        click.echo(create(store_path(session.project_dir), name, listed("metrics"), listed("groups")))
        return 0

    _invoke("serve", opts, body)


@token_group.command("list")
@_global_options
def token_list_cmd(**opts: Any) -> None:
    """List tokens (names, scopes, dates; never secrets)."""

    def body(session: Any) -> int:
        from mason.server.tokens import load, store_path

        for token in load(store_path(session.project_dir)):
            click.echo(f"{token.name}  {token.scope()}  {token.created_at}")
        return 0

    _invoke("serve", opts, body)


@token_group.command("revoke")
@_global_options
@click.argument("name")
def token_revoke_cmd(name: str, **opts: Any) -> None:
    """Revoke a token."""

    def body(session: Any) -> int:
        from mason.server.tokens import revoke, store_path

        revoke(store_path(session.project_dir), name)
        click.echo(f"Revoked {name}")
        return 0

    _invoke("serve", opts, body)
