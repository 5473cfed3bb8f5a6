"""The site's data: one compact JSON document, embedded into index.html at generate time.

Nodes are a list (a node's parents are indexes into it), each a small object with short keys, so that a
10,000-model project stays a few megabytes and parses in one JSON.parse:

    i id · t resource type · n name · p package · f file (package-relative) · l line · m materialized
    d description · r relation · g tags · c columns [[name, type, description]] · u parent indexes
    s raw SQL · k compiled SQL · x tests [[name, test type, column, status, message]] · z last status
    h timing [last seconds, median seconds, runs seen]

`dash` is the data-quality dashboard (docsite/dashboard.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NODE_TYPES = ("model", "seed", "snapshot", "analysis")
MAX_SQL = 200_000  # characters of raw or compiled SQL kept per node


def _columns(node: Any, catalog: dict[str, Any] | None) -> list[list[str]]:
    documented = {name.lower(): col for name, col in (getattr(node, "columns", None) or {}).items()}
    out: list[list[str]] = []
    seen: set[str] = set()
    listed = (catalog or {}).get("columns") or {}
    for name, col in sorted(listed.items(), key=lambda kv: kv[1].get("index") or 0):
        doc = documented.get(name.lower())
        out.append([name, str(col.get("type") or ""), doc.description if doc else ""])
        seen.add(name.lower())
    for key, doc in documented.items():
        if key not in seen:
            out.append([doc.name, doc.data_type or "", doc.description or ""])
    return out


def _test_targets(test: Any) -> list[str]:
    attached = getattr(test, "attached_node", None)
    if attached:
        return [attached]
    return [d for d in getattr(test, "depends_on_nodes", ()) or () if not d.startswith("macro.")]


def build(manifest: Any, catalog: dict[str, dict[str, Any]], compiled: dict[str, str],
          relations: dict[str, str], statuses: dict[str, tuple[str, str]], timings: dict[str, list[float]],
          dash: dict[str, Any], project: str, adapter_type: str) -> dict[str, Any]:
    """`catalog` maps unique ids to catalog.json entries; `statuses` unique ids (tests and nodes) to their
    latest (status, message); `timings` node ids to [last, median, runs]."""
    shown = [uid for uid, n in manifest.nodes.items() if n.resource_type in NODE_TYPES]
    shown.extend(manifest.sources)
    shown.extend(getattr(manifest, "exposures", {}) or {})
    index = {uid: i for i, uid in enumerate(shown)}
    tests: dict[str, list[list[Any]]] = {}
    for uid, test in manifest.nodes.items():
        if test.resource_type != "test":
            continue
        meta = test.test_metadata
        status, message = statuses.get(uid, ("", ""))
        row = [test.name, meta.name if meta else "singular", test.column_name or "", status, message]
        for target in _test_targets(test):
            tests.setdefault(target, []).append(row)
    for uid, unit in (getattr(manifest, "unit_tests", {}) or {}).items():
        status, message = statuses.get(uid, ("", ""))
        model = _unit_model(manifest, unit)
        if model:
            tests.setdefault(model, []).append([getattr(unit, "name", uid), "unit", "", status, message])
    nodes: list[dict[str, Any]] = []
    for uid in shown:
        node = manifest.nodes.get(uid) or manifest.sources.get(uid) or manifest.exposures.get(uid)
        rtype = node.resource_type
        entry: dict[str, Any] = {"i": uid, "t": rtype, "n": _display_name(node), "p": node.package_name,
                                 "f": node.original_file_path}
        config = getattr(node, "config", None) or {}
        if rtype in NODE_TYPES:
            entry["m"] = config.get("materialized") or ""
            if getattr(node, "line", 1) != 1:
                entry["l"] = node.line
            if node.raw_code:
                entry["s"] = node.raw_code[:MAX_SQL]
            if compiled.get(uid):
                entry["k"] = compiled[uid][:MAX_SQL]
        description = getattr(node, "description", "") or ""
        if rtype == "source" and not description:
            description = getattr(node, "source_description", "") or ""
        if description:
            entry["d"] = description
        relation = relations.get(uid) or getattr(node, "relation_name", None)
        if relation:
            entry["r"] = relation
        if getattr(node, "tags", None):
            entry["g"] = list(node.tags)
        columns = _columns(node, catalog.get(uid))
        if columns:
            entry["c"] = columns
        parents = sorted({index[p] for p in _parents(node) if p in index})
        if parents:
            entry["u"] = parents
        if uid in tests:
            entry["x"] = tests[uid]
        if uid in statuses:
            entry["z"] = statuses[uid][0]
        if uid in timings:
            entry["h"] = timings[uid]
        nodes.append(entry)
    return {"v": 1, "project": project, "adapter": adapter_type,
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "nodes": nodes, "dash": dash}


def _parents(node: Any) -> list[str]:
    depends = getattr(node, "depends_on_nodes", None)
    if depends is None:
        depends = (getattr(node, "depends_on", None) or {}).get("nodes", ())
    return list(depends or ())


def _display_name(node: Any) -> str:
    if node.resource_type == "source":
        return f"{node.source_name}.{node.name}"
    version = getattr(node, "version", None)
    return f"{node.name}.v{version}" if version not in (None, "") else str(node.name)


def _unit_model(manifest: Any, unit: Any) -> str | None:
    for uid in getattr(unit, "depends_on_nodes", ()) or ():
        if uid.startswith("model."):
            return str(uid)
    return None
