"""Several projects on one warehouse (docs/mesh.md): cross-project ref() to another project's public
models, read from its published manifest; contracts on public models; breaking-change checks; workspaces.

`setup` reads dependencies.yml and mason_mesh.yml and fetches (or revalidates) each upstream manifest: cheap,
done for every command, as its identity is part of the parse cache key. `upstream_nodes` decodes them, only
when a full parse needs them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mason.errors import MasonError, ParseError, ProjectError, Span
from mason.mesh.config import MESH_FILE, MeshConfig, Upstream, read_config
from mason.mesh.fetch import Fetched, fetch
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node
from mason.nodes.upstream import UpstreamProject


@dataclass(frozen=True, slots=True)
class MeshSetup:
    config: MeshConfig
    fetched: tuple[Fetched, ...] = ()

    @property
    def active(self) -> bool:
        return self.config.active

    @property
    def identity(self) -> str:
        """What the parse cache key adds for the upstream manifests ('' outside a mesh)."""
        if not self.fetched:
            return ""
        text = "\n".join(f"{f.name}={f.location}={f.identity}" for f in self.fetched)
        return hashlib.sha256(text.encode()).hexdigest()


def setup(root: Path, project_name: str, target_dir: Path, cli_vars: Mapping[str, Any], env: Mapping[str, str],
          profiles_dir: Path | None, profile: str | None, project_profile: str | None,
          overrides: Mapping[str, Path] | None = None, warn: Callable[[str], None] | None = None,
          packages: tuple[str, ...] = ()) -> MeshSetup:
    config = read_config(root, project_name, cli_vars, env, profiles_dir, profile, project_profile)
    if not config.upstream:
        return MeshSetup(config)
    fetched = []
    for upstream in config.upstream:
        if upstream.name == project_name or upstream.name in packages:
            what = "this project" if upstream.name == project_name else "an installed package"
            raise ProjectError(f"project {upstream.name!r} in dependencies.yml has the name of {what}",
                               upstream.declared_at, "a package and an upstream project need different names")
        if overrides and upstream.name in overrides:  # a workspace: the sibling's own target/
            upstream = replace(upstream, manifest=str(overrides[upstream.name]))
        fetched.append(fetch(upstream, root, target_dir, warn))
    return MeshSetup(config, tuple(fetched))


def upstream_nodes(mesh: MeshSetup) -> tuple[dict[str, UpstreamProject], dict[str, Node]]:
    """Each upstream project as its manifest describes it, and its public models as nodes."""
    from mason.mesh.upstream import read_upstream

    projects: dict[str, UpstreamProject] = {}
    nodes: dict[str, Node] = {}
    spans = {u.name: u.declared_at for u in mesh.config.upstream}
    for fetched in mesh.fetched:
        project, public = read_upstream(fetched, spans.get(fetched.name))
        projects[project.name] = project
        for node in public:
            nodes[node.unique_id] = node
    return projects, nodes


def inject(manifest: Manifest, mesh: MeshSetup) -> Manifest:
    """The parsed (not yet bound) manifest with the upstream projects and their public models."""
    if not mesh.fetched:
        return manifest
    projects, nodes = upstream_nodes(mesh)
    clash = sorted(uid for uid in nodes if uid in manifest.nodes)
    if clash:
        raise ProjectError(f"{clash[0]} is both a node of this project and a public model of an upstream project")
    return replace(manifest, nodes={**manifest.nodes, **nodes}, upstream=projects)


def contract_findings(manifest: Manifest, policy: str, only: Any = None) -> tuple[list[MasonError], list[str]]:
    """Public models of this project without an enforced contract: errors or warnings, per the policy."""
    errors: list[MasonError] = []
    warnings: list[str] = []
    if policy == "off":
        return errors, warnings
    ids = manifest.nodes if only is None else only
    for uid in ids:
        node = manifest.nodes.get(uid)
        if node is None or node.resource_type != "model" or node.access != "public" or node.is_external:
            continue
        if node.package_name != manifest.project_name:
            continue
        if (node.config.get("contract") or {}).get("enforced"):
            continue
        where = (node.patch_path or "").split("://")[-1] or node.original_file_path
        text = (f"public model {node.unique_id} ({node.original_file_path}) has no enforced contract: other "
                "projects build on its columns")
        hint = (f"add `config: {{contract: {{enforced: true}}}}` and each column's data_type in {where}, or set "
                f"public_model_contracts: off in {MESH_FILE}")
        if policy == "error":
            errors.append(ParseError(text, Span(where), hint))
        else:
            warnings.append(f"{text} ({hint})")
    return errors, warnings


__all__ = ["MESH_FILE", "MeshConfig", "MeshSetup", "Upstream", "contract_findings", "inject", "setup",
           "upstream_nodes"]
