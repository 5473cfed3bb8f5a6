"""`graph` in Jinja: the project's resources as plain dicts shaped like manifest.json, built once per
invocation on first use. Packages walk `graph.nodes.values()` and read keys such as `resource_type`,
`config.materialized`, `depends_on.nodes`, `relation_name` and `test_metadata`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mason.nodes import semantic_dicts as sem
from mason.nodes.dicts import exposure_dict, macro_dict, node_dict, source_dict
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node


def graph_dict(manifest: Manifest, relation_name: Callable[[Node], str | None]) -> dict[str, Any]:
    def first_node(deps: tuple[str, ...]) -> Node | None:
        return next((manifest.nodes[d] for d in deps if d in manifest.nodes), None)

    def semantic_relation(deps: tuple[str, ...]) -> dict[str, Any] | None:
        node = first_node(deps)
        if node is None:
            return None
        return {"alias": node.alias, "schema_name": node.schema, "database": node.database,
                "relation_name": relation_name(node)}

    graph = {
        "nodes": {uid: node_dict(n, relation_name(n)) for uid, n in manifest.nodes.items()},
        "sources": {uid: source_dict(s) for uid, s in manifest.sources.items()},
        "exposures": {uid: exposure_dict(e) for uid, e in manifest.exposures.items()},
        "groups": {uid: {"name": g.name, "resource_type": "group", "package_name": g.package_name,
                         "path": g.path, "original_file_path": g.original_file_path, "unique_id": uid,
                         "owner": {"email": g.owner.get("email"), "name": g.owner.get("name")},
                         "description": g.description, "config": {"meta": {}}}
                   for uid, g in manifest.groups.items()},
        "metrics": {uid: sem.metric_dict(g, list(g.depends_on_nodes)) for uid, g in manifest.metrics.items()},
        "semantic_models": {uid: sem.semantic_model_dict(g, list(g.depends_on_nodes),
                                                         semantic_relation(g.depends_on_nodes))
                            for uid, g in manifest.semantic_models.items()},
        "saved_queries": {uid: sem.saved_query_dict(g, list(g.depends_on_nodes), {})
                          for uid, g in manifest.saved_queries.items()},
        "unit_tests": {uid: sem.unit_test_dict(g, list(g.depends_on_nodes),
                                               getattr(first_node(g.depends_on_nodes), "schema", None), None)
                       for uid, g in manifest.unit_tests.items()},
        "macros": {uid: macro_dict(m) for uid, m in manifest.macros.items()},
        "functions": {},
    }
    # The serializers share lists and dicts with the frozen nodes; a macro that edits what it reads
    # (`do node.config.update(...)`) must not change the project. Tuples become lists, as in the JSON.
    return _plain(graph)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
