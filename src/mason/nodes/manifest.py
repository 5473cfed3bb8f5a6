"""The Manifest: every parsed resource keyed by unique_id, with the indexes lookups need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mason.nodes.nodes import DocBlock, Exposure, GenericNode, Group, Macro, Node, SourceDefinition
from mason.nodes.upstream import UpstreamProject

AnyNode = Node | SourceDefinition | Exposure | GenericNode


@dataclass(frozen=True, slots=True)
class Manifest:
    project_name: str
    adapter_type: str
    nodes: dict[str, Node]
    sources: dict[str, SourceDefinition]
    macros: dict[str, Macro]
    docs: dict[str, DocBlock]
    exposures: dict[str, Exposure]
    groups: dict[str, Group]
    metrics: dict[str, GenericNode] = field(default_factory=dict)
    semantic_models: dict[str, GenericNode] = field(default_factory=dict)
    saved_queries: dict[str, GenericNode] = field(default_factory=dict)
    unit_tests: dict[str, GenericNode] = field(default_factory=dict)
    disabled: dict[str, list[Any]] = field(default_factory=dict)
    selectors: dict[str, Any] = field(default_factory=dict)
    parent_map: dict[str, list[str]] = field(default_factory=dict)
    child_map: dict[str, list[str]] = field(default_factory=dict)
    project_packages: tuple[str, ...] = ()  # root first
    quoting: dict[str, Any] = field(default_factory=dict)
    macro_files: dict[str, Any] = field(default_factory=dict)  # file id -> MacroFile (source text, for rendering)
    # packages whose dbt_project.yml says `restrict-access: true` (their protected models are theirs alone)
    restrict_access: frozenset[str] = frozenset()
    upstream: dict[str, UpstreamProject] = field(default_factory=dict)  # mesh: project name -> what it publishes

    def get(self, unique_id: str) -> AnyNode | None:
        for table in (self.nodes, self.sources, self.exposures, self.metrics, self.semantic_models,
                      self.saved_queries, self.unit_tests):
            found = table.get(unique_id)
            if found is not None:
                return found  # type: ignore[return-value]
        return None

    def all_resources(self) -> Iterator[AnyNode]:
        yield from self.nodes.values()
        yield from self.sources.values()
        yield from self.exposures.values()
        yield from self.metrics.values()
        yield from self.semantic_models.values()
        yield from self.saved_queries.values()
        yield from self.unit_tests.values()
