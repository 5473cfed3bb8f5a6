"""`mason mesh check --state DIR`: what a change to this project breaks for the projects built on it.

Other projects rely on what production (`--state`) publishes: its public models, each version of them, and
their enforced contracts. Breaking any of these without a new version (a version is a new unique id: the old
one stays as it was) is reported, with the downstream projects and models that use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from mason.mesh.workspace import WorkspaceProject


@dataclass(frozen=True, slots=True)
class Finding:
    unique_id: str
    file: str
    problems: list[str]
    versioned: bool
    users: dict[str, list[str]] = field(default_factory=dict)  # downstream project -> its nodes using it


def breaking_public(manifest: Any, comparison: Any) -> list[Finding]:
    """This project's public models (as production has them) broken by the current project."""
    state = comparison.state.manifest
    out: list[Finding] = []
    for uid, old in sorted(state.nodes.items()):
        if old.resource_type != "model" or old.access != "public" or old.package_name != manifest.project_name \
                or not old.original_file_path:
            continue
        node = manifest.nodes.get(uid)
        versioned = old.version is not None
        if node is None:
            why = "was removed" + (" (a version consumers may pin)" if versioned else "")
            out.append(Finding(uid, old.original_file_path, [why], versioned))
            continue
        problems = []
        if node.access != "public":
            problems.append(f"is no longer public (now {node.access or 'protected'})")
        problems += comparison.breaking(uid, node)
        if problems:
            out.append(Finding(uid, node.original_file_path, problems, versioned or node.version is not None))
    return out


class _DependsOn(msgspec.Struct):
    nodes: list[str] = []


class _UserNode(msgspec.Struct):
    name: str = ""
    package_name: str = ""
    resource_type: str = ""
    depends_on: _DependsOn = msgspec.field(default_factory=_DependsOn)


class _UserManifest(msgspec.Struct):
    nodes: dict[str, _UserNode] = {}
    exposures: dict[str, _UserNode] = {}


def users(consumers: list[WorkspaceProject], target_path: str | None) -> tuple[dict[str, dict[str, list[str]]],
                                                                                 list[str]]:
    """upstream unique id -> {downstream project: [its resources using it]}, from each consumer's last
    manifest; and the consumers that have none (never parsed)."""
    found: dict[str, dict[str, list[str]]] = {}
    unparsed: list[str] = []
    for project in consumers:
        path: Path = project.manifest(target_path)
        try:
            data = msgspec.json.decode(path.read_bytes(), type=_UserManifest)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            unparsed.append(project.name)
            continue
        for table in (data.nodes, data.exposures):
            for node in table.values():
                if node.package_name != project.name or node.resource_type in ("test", "unit_test"):
                    continue
                for dep in node.depends_on.nodes:
                    found.setdefault(dep, {}).setdefault(project.name, []).append(node.name)
    for per_project in found.values():
        for names in per_project.values():
            names.sort()
    return found, unparsed
