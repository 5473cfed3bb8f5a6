"""Which projects a project builds on, and where each one's published manifest comes from.

`dependencies.yml` names the upstream projects (`projects: [{name: core_data}]`, as dbt Mesh);
`mason_mesh.yml` beside dbt_project.yml (optional) says where their manifests are and how strict to be:

```yaml
projects:
  core_data:
    manifest: https://artifacts.example.com/core_data/manifest.json   # or a path, or s3://… / gs://…
    headers: {Authorization: "Bearer {{ secret('artifacts_token') }}"}
    timeout: 30          # seconds (HTTP and object stores)
    cache_for: 0         # seconds a fetched copy is used without asking the server again
public_model_contracts: warn   # warn | error | off: public models without an enforced contract
```

A project not listed there is read from the monorepo sibling `../<name>/target/manifest.json`. Values are
rendered with env_var(), var() (from --vars) and secret() (profiles.yml's providers), as packages.yml is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mason.deps.spec import DEPENDENCIES_FILE, Renderer, read_projects
from mason.errors import ProjectError, Span
from mason.project.yamlio import load_yaml_file

MESH_FILE = "mason_mesh.yml"
POLICIES = ("warn", "error", "off")
_PROJECT_KEYS = {"manifest", "headers", "timeout", "cache_for"}


@dataclass(frozen=True, slots=True)
class Upstream:
    """One upstream project and where its manifest comes from."""

    name: str
    manifest: str  # a path (absolute, or relative to the project), an http(s) URL or an object-store URL
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    cache_for: float = 0.0
    declared_at: Span | None = None  # the dependencies.yml entry

    @property
    def is_remote(self) -> bool:
        return "://" in self.manifest and not self.manifest.startswith("file://")


@dataclass(frozen=True, slots=True)
class MeshConfig:
    root: Path
    upstream: tuple[Upstream, ...] = ()
    contracts: str = "off"  # what a public model without an enforced contract is: warn | error | off
    has_file: bool = False  # mason_mesh.yml exists

    @property
    def active(self) -> bool:
        return bool(self.upstream) or self.has_file


def read_config(root: Path, project_name: str, cli_vars: Mapping[str, Any], env: Mapping[str, str],
                profiles_dir: Path | None, profile: str | None, project_profile: str | None) -> MeshConfig:
    """The mesh settings of the project in `root` (nothing read but two stats when it takes no part)."""
    declared = read_projects(root)
    path = root / MESH_FILE
    if not declared and not path.is_file():
        return MeshConfig(root)
    raw: dict[str, Any] = {}
    if path.is_file():
        loaded = load_yaml_file(path, MESH_FILE)
        if loaded is not None and not isinstance(loaded, dict):
            raise ProjectError(f"{MESH_FILE} must be a mapping (projects:, public_model_contracts:)", Span(MESH_FILE, 1))
        raw = loaded or {}
    unknown = sorted(set(raw) - {"projects", "public_model_contracts"})
    if unknown:
        raise ProjectError(f"unknown key(s) in {MESH_FILE}: {', '.join(unknown)}", Span(MESH_FILE),
                           "it holds `projects:` (where each upstream manifest is) and `public_model_contracts:`")
    from mason.project.profiles import secret_function

    secret = secret_function(root, profiles_dir, profile or env.get("DBT_PROFILE") or project_profile, env,
                             (path, MESH_FILE))
    renderer = Renderer(cli_vars, env, project_name, secret)
    settings = raw.get("projects") or {}
    if not isinstance(settings, dict):
        raise ProjectError(f"`projects:` in {MESH_FILE} maps each upstream project to its settings",
                           Span(MESH_FILE), "projects:\n  core_data:\n    manifest: ../core_data/target/manifest.json")
    names = [n for n, _ in declared]
    for name in settings:
        if name not in names:
            raise ProjectError(f"{MESH_FILE} configures project {name!r}, which dependencies.yml does not declare",
                               Span(MESH_FILE), f"add `- name: {name}` under `projects:` in {DEPENDENCIES_FILE}")
    upstream = []
    for name, span in declared:
        entry = settings.get(name) or {}
        if not isinstance(entry, dict) or set(entry) - _PROJECT_KEYS:
            raise ProjectError(f"{MESH_FILE}: project {name!r} takes {', '.join(sorted(_PROJECT_KEYS))}",
                               Span(MESH_FILE))
        rendered = renderer.render(dict(entry), Span(MESH_FILE))
        manifest = str(rendered.get("manifest") or f"../{name}/target/manifest.json")
        headers = rendered.get("headers") or {}
        if not isinstance(headers, dict):
            raise ProjectError(f"{MESH_FILE}: headers of {name!r} must be a mapping", Span(MESH_FILE))
        upstream.append(Upstream(name, manifest, {str(k): str(v) for k, v in headers.items()},
                                 _seconds(rendered.get("timeout"), 30.0, name, "timeout"),
                                 _seconds(rendered.get("cache_for"), 0.0, name, "cache_for"), span))
    policy = str(raw.get("public_model_contracts") or "warn").lower()
    if policy not in POLICIES:
        raise ProjectError(f"public_model_contracts: {policy!r} is not one of {', '.join(POLICIES)}", Span(MESH_FILE))
    return MeshConfig(root, tuple(upstream), policy, path.is_file())


def _seconds(value: Any, default: float, name: str, key: str) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProjectError(f"{MESH_FILE}: {key} of {name!r} must be a number of seconds, not {value!r}",
                           Span(MESH_FILE)) from None
