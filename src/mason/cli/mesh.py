"""`mason mesh check`: breaking changes to public models, with the projects that use them (docs/mesh.md)."""

from __future__ import annotations

from typing import Any

import click

from mason.cli.options import _global_options, _invoke


@click.group("mesh")
def mesh_group() -> None:
    """Several projects on one warehouse: cross-project refs, public models, versions (docs/mesh.md)."""


@mesh_group.command("check")
@_global_options
@click.option("--state", default=None, type=click.Path(),
              help="Production's artifacts (its target/ with manifest.json), to compare the public models with.")
@click.option("--workspace", "workspace", default=None, type=click.Path(file_okay=False),
              help="Where the downstream projects are (default: the folder holding this project).")
def check_cmd(**opts: Any) -> None:
    """Public models whose contract changed without a new version, and who uses them."""
    where = opts.pop("workspace", None)

    def body(session: Any) -> int:
        from mason.api.mesh import check

        return check(session, {**opts, "workspace": where})

    _invoke("mesh", opts, body)
