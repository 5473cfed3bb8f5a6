"""Frozen node types. A change is `dataclasses.replace`; dict fields are never mutated after parse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mason.nodes.fast import fast_pickle

# Resource types that become relations or run SQL, in dbt's spelling.
EXECUTABLE_TYPES = frozenset({"model", "seed", "snapshot", "test", "analysis"})


@fast_pickle
@dataclass(frozen=True, slots=True)
class RefCall:
    name: str
    package: str | None = None
    version: Any = None  # as written: ref('m', version=2) keeps the int


@fast_pickle
@dataclass(frozen=True, slots=True)
class Column:
    name: str
    description: str = ""
    data_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    constraints: tuple[dict[str, Any], ...] = ()
    quote: bool | None = None
    granularity: str | None = None
    doc_blocks: tuple[str, ...] = ()  # the doc blocks its description calls, e.g. ('doc.pkg.name',)


@fast_pickle
@dataclass(frozen=True, slots=True)
class TestMetadata:
    name: str
    kwargs: dict[str, Any]
    namespace: str | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class Node:
    """A model, seed, snapshot, test (generic or singular) or analysis."""

    unique_id: str
    resource_type: str
    package_name: str
    name: str
    path: str  # relative to its resource folder (models/, seeds/ ...)
    original_file_path: str  # relative to the package root
    fqn: tuple[str, ...]
    raw_code: str
    checksum: str
    config: dict[str, Any]
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    language: str = "sql"
    refs: tuple[RefCall, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    macro_calls: tuple[str, ...] = ()  # macro names called directly (resolved to ids in the graph stage)
    depends_on_nodes: tuple[str, ...] = ()
    depends_on_macros: tuple[str, ...] = ()
    description: str = ""
    columns: dict[str, Column] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    patch_path: str | None = None
    unrendered_config: dict[str, Any] = field(default_factory=dict)
    config_call_dict: dict[str, Any] = field(default_factory=dict)
    docs: dict[str, Any] = field(default_factory=lambda: {"show": True, "node_color": None})
    group: str | None = None
    access: str | None = None
    version: str | None = None
    latest_version: str | None = None
    constraints: tuple[dict[str, Any], ...] = ()
    deprecation_date: str | None = None
    time_spine: dict[str, Any] | None = None  # a model's `time_spine:` property (the semantic layer's spine)
    # tests
    test_metadata: TestMetadata | None = None
    column_name: str | None = None
    attached_node: str | None = None
    file_key_name: str | None = None
    doc_blocks: tuple[str, ...] = ()
    # whether the Jinja had to be rendered at parse time (static extraction was not enough)
    rendered_at_parse: bool = False
    line: int = 1
    # the root of the package this node lives in (absolute), to find the file again
    root_path: str = ""
    created_at: float = 0.0

    @property
    def materialized(self) -> str:
        return str(self.config.get("materialized", ""))

    @property
    def is_ephemeral(self) -> bool:
        return self.resource_type == "model" and self.config.get("materialized") == "ephemeral"

    @property
    def search_name(self) -> str:
        return self.name if self.version is None else f"{self.name}.v{self.version}"

    @property
    def is_external(self) -> bool:
        """A public model of an upstream project (mason.mesh): referenced, listed and selected, never built.
        Such nodes have no file here, as dbt's external nodes (path and original_file_path empty)."""
        return not self.original_file_path and not self.path and self.resource_type == "model"


@fast_pickle
@dataclass(frozen=True, slots=True)
class SourceDefinition:
    unique_id: str
    package_name: str
    source_name: str
    name: str
    identifier: str
    database: str | None
    schema: str
    path: str
    original_file_path: str
    fqn: tuple[str, ...]
    config: dict[str, Any]
    description: str = ""
    source_description: str = ""
    doc_blocks: tuple[str, ...] = ()
    loader: str = ""
    loaded_at_field: str | None = None
    loaded_at_query: str | None = None
    freshness: dict[str, Any] | None = None
    quoting: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    source_meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    external: dict[str, Any] | None = None
    relation_name: str | None = None
    created_at: float = 0.0
    unrendered_schema: str | None = None  # schema and database as written in the YAML (Jinja unrendered)
    unrendered_database: str | None = None

    resource_type: str = "source"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Macro:
    unique_id: str
    package_name: str
    name: str
    path: str
    original_file_path: str
    macro_sql: str
    line: int = 1
    file_id: str = ""  # the file the macro is defined in (package:path), for template reuse
    depends_on_macros: tuple[str, ...] = ()
    description: str = ""
    arguments: tuple[dict[str, Any], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    patch_path: str | None = None
    created_at: float = 0.0

    resource_type: str = "macro"


@fast_pickle
@dataclass(frozen=True, slots=True)
class DocBlock:
    unique_id: str
    package_name: str
    name: str
    path: str
    original_file_path: str
    block_contents: str
    resource_type: str = "doc"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Exposure:
    unique_id: str
    package_name: str
    name: str
    path: str
    original_file_path: str
    fqn: tuple[str, ...]
    type: str
    owner: dict[str, Any]
    refs: tuple[RefCall, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    metrics: tuple[tuple[str, ...], ...] = ()
    depends_on_nodes: tuple[str, ...] = ()
    description: str = ""
    label: str | None = None
    maturity: str | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    created_at: float = 0.0

    resource_type: str = "exposure"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Group:
    unique_id: str
    package_name: str
    name: str
    path: str
    original_file_path: str
    owner: dict[str, Any]
    description: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    resource_type: str = "group"


@fast_pickle
@dataclass(frozen=True, slots=True)
class GenericNode:
    """Semantic models, metrics, saved queries and unit tests: parsed and kept, with their raw YAML."""

    unique_id: str
    resource_type: str  # semantic_model | metric | saved_query | unit_test
    package_name: str
    name: str
    path: str
    original_file_path: str
    fqn: tuple[str, ...]
    data: dict[str, Any]
    refs: tuple[RefCall, ...] = ()
    depends_on_nodes: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    tags: tuple[str, ...] = ()
    description: str = ""
    created_at: float = 0.0
