"""An upstream project's manifest.json (Mason's or dbt's) read into what the downstream project needs:
every model's name, version, access, group and file, and its public models as nodes to bind refs to.

The public models join the downstream manifest as model nodes of the upstream's package with no file
(`path` and `original_file_path` empty, as dbt's external nodes): refs bind to them, `ls` and selection
see them, and nothing ever builds them. Their relation is the upstream manifest's database, schema and
alias: production's names, which a deploy of the upstream keeps stable.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from mason.mesh.fetch import Fetched, ManifestMissing
from mason.nodes.nodes import Column, Node
from mason.nodes.upstream import UpstreamModel, UpstreamProject
from mason.project.configs import default_config


class _Checksum(msgspec.Struct):
    name: str = "none"
    checksum: str = ""


class _Column(msgspec.Struct):
    name: str = ""
    description: str | None = ""
    data_type: str | None = None
    constraints: list[dict[str, Any]] = []


class _Config(msgspec.Struct):
    materialized: str | None = None
    contract: dict[str, Any] | None = None
    enabled: bool = True


class _Node(msgspec.Struct):
    resource_type: str = ""
    name: str = ""
    package_name: str = ""
    unique_id: str = ""
    fqn: list[str] = []
    path: str = ""
    original_file_path: str = ""
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    checksum: _Checksum | None = None
    config: _Config = msgspec.field(default_factory=_Config)
    description: str | None = ""
    columns: dict[str, _Column] = {}
    access: str | None = None
    group: str | None = None
    version: Any = None
    latest_version: Any = None
    deprecation_date: str | None = None
    constraints: list[dict[str, Any]] = []
    tags: list[str] = []
    meta: dict[str, Any] = {}


class _Metadata(msgspec.Struct):
    project_name: str | None = None
    generated_at: str | None = None
    adapter_type: str | None = None


class _Manifest(msgspec.Struct):
    metadata: _Metadata = msgspec.field(default_factory=_Metadata)
    nodes: dict[str, _Node] = {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def read_upstream(fetched: Fetched, declared_at: Any = None) -> tuple[UpstreamProject, list[Node]]:
    """The upstream project and its public models as nodes (never built here)."""
    try:
        data = msgspec.json.decode(fetched.path.read_bytes(), type=_Manifest)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ManifestMissing(f"could not read {fetched.name}'s manifest at {fetched.location}: {exc}", declared_at,
                              "it must be a manifest.json written by `mason parse`/`build` or dbt") from None
    found = data.metadata.project_name
    if found and found != fetched.name:
        raise ManifestMissing(f"the manifest at {fetched.location} is project {found!r}'s, not {fetched.name!r}'s",
                              declared_at, "point mason_mesh.yml's manifest: for this project at its own manifest")
    now = time.time()
    models: dict[str, UpstreamModel] = {}
    nodes: list[Node] = []
    for uid, n in data.nodes.items():
        # its own models only: an upstream's manifest also lists the public models of *its* upstreams
        if n.resource_type != "model" or n.package_name != fetched.name or not n.original_file_path \
                or not n.config.enabled:
            continue
        access = n.access or "protected"
        model = UpstreamModel(uid, n.name, access, n.group, n.original_file_path, _text(n.version),
                              _text(n.latest_version), n.deprecation_date, n.config.materialized)
        models[uid] = model
        if access != "public" or n.config.materialized == "ephemeral":
            continue
        config = default_config("model")
        config.update(materialized=n.config.materialized or "view", access="public", group=n.group)
        if n.config.contract is not None:
            config["contract"] = dict(n.config.contract)
        nodes.append(Node(
            unique_id=uid, resource_type="model", package_name=fetched.name, name=n.name, path="",
            original_file_path="", fqn=tuple(n.fqn) or (fetched.name, n.name), raw_code="",
            checksum=n.checksum.checksum if n.checksum is not None else "", config=config,
            database=n.database, schema=n.schema, alias=n.alias or n.name,
            description=n.description or "",
            columns={c.name or k: Column(name=c.name or k, description=c.description or "", data_type=c.data_type,
                                         constraints=tuple(c.constraints))
                     for k, c in n.columns.items()},
            meta=dict(n.meta), tags=tuple(n.tags), group=n.group, access="public", version=_text(n.version),
            latest_version=_text(n.latest_version), deprecation_date=n.deprecation_date,
            constraints=tuple(n.constraints), created_at=now,
        ))
    project = UpstreamProject(fetched.name, fetched.location, fetched.identity, models, data.metadata.generated_at)
    return project, nodes
