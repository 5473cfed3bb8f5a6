"""Exposures, groups and the semantic-layer resources (semantic models, metrics, saved queries, unit tests)."""

from __future__ import annotations

from typing import Any

from mason.nodes.nodes import Exposure, GenericNode, Group, RefCall
from mason.parse import static
from mason.parse.properties import Properties
from mason.parse.yaml_fields import _tags


def exposures(props: Properties, now: float) -> list[Exposure]:
    out = []
    for data, file in props.exposures:
        name = str(data.get("name"))
        refs, srcs, metrics = [], [], []
        for dep in data.get("depends_on") or []:
            parsed = static.extract("{{ " + str(dep) + " }}") if "metric(" not in str(dep) else None
            if parsed is not None:
                refs.extend(parsed.refs)
                srcs.extend(parsed.sources)
            elif "metric(" in str(dep):
                metrics.append(tuple(a.strip(" '\"") for a in str(dep).split("(", 1)[1].rstrip(")").split(",")))
        out.append(Exposure(
            unique_id=f"exposure.{file.package}.{name}", package_name=file.package, name=name,
            path=file.relative_path, original_file_path=file.original_file_path,
            fqn=(file.package, *file.folders, name), type=str(data.get("type") or ""),
            owner=dict(data.get("owner") or {}), refs=tuple(RefCall(n, p, v) for n, p, v in refs),
            sources=tuple(srcs), metrics=tuple(metrics), description=str(data.get("description") or ""),
            label=data.get("label"), maturity=data.get("maturity"), url=data.get("url"),
            meta={**(data.get("meta") or {}), **((data.get("config") or {}).get("meta") or {})},
            tags=tuple(dict.fromkeys([*_tags(data.get("tags")), *_tags((data.get("config") or {}).get("tags"))])),
            config={"enabled": True, **(data.get("config") or {}),
                    "tags": list(dict.fromkeys([*_tags(data.get("tags")),
                                                *_tags((data.get("config") or {}).get("tags"))])),
                    "meta": {**(data.get("meta") or {}), **((data.get("config") or {}).get("meta") or {})}},
            created_at=now,
        ))
    return out

def groups(props: Properties) -> list[Group]:
    return [
        Group(unique_id=f"group.{file.package}.{data['name']}", package_name=file.package, name=str(data["name"]),
              path=file.relative_path, original_file_path=file.original_file_path,
              owner=dict(data.get("owner") or {}), description=data.get("description"),
              config=dict(data.get("config") or {}))
        for data, file in props.groups
    ]

def semantic_nodes(props: Properties, now: float) -> dict[str, dict[str, GenericNode]]:
    out: dict[str, dict[str, GenericNode]] = {}
    kinds = {"semantic_models": "semantic_model", "metrics": "metric", "saved_queries": "saved_query",
             "unit_tests": "unit_test"}
    for kind, data, file in props.semantic:
        rtype = kinds[kind]
        name = str(data.get("name"))
        refs: list[tuple[str, str | None, Any]] = []
        if rtype == "semantic_model" and data.get("model"):
            parsed = static.extract("{{ " + str(data["model"]).strip().strip("{}").strip() + " }}")
            if parsed:
                refs = parsed.refs
        if rtype == "unit_test":
            uid = f"unit_test.{file.package}.{data.get('model')}.{name}"
            fqn: tuple[str, ...] = (file.package, *file.folders, str(data.get("model")), name)
            refs = [(str(data.get("model")), None, None)]
        else:
            uid = f"{rtype}.{file.package}.{name}"
            fqn = (file.package, *file.folders, name)
        config = {"enabled": True, **(data.get("config") or {})}
        out.setdefault(rtype, {})[uid] = GenericNode(
            unique_id=uid, resource_type=rtype, package_name=file.package, name=name,
            path=file.relative_path, original_file_path=file.original_file_path, fqn=fqn, data=data,
            refs=tuple(RefCall(n, p, v) for n, p, v in refs), config=config,
            tags=tuple(_tags(config.get("tags"))), description=str(data.get("description") or ""),
            created_at=now,
        )
    return out

