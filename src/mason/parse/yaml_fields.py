"""Reading properties-YAML entries into node fields: configs, columns, versions, freshness, test arguments."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mason.jinja.macros import MacroIndex
from mason.jinja.native import has_jinja
from mason.nodes.fast import evolve
from mason.nodes.nodes import Column, Macro
from mason.parse import static
from mason.parse.macros import called_names


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _yaml_config(patch_data: Mapping[str, Any]) -> dict[str, Any]:
    """A properties entry's config: its `config:` block plus the older top-level keys dbt still honours."""
    config: dict[str, Any] = {}
    for key in ("access", "group", "docs", "meta", "tags", "deprecation_date"):
        if key in patch_data and key != "deprecation_date":
            value = patch_data[key]
            config[key] = value
    config.update(patch_data.get("config") or {})
    return config


def _columns(raw: Any) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for col in raw or []:
        if not isinstance(col, dict) or "name" not in col:
            continue
        cfg = col.get("config") or {}
        name = str(col["name"])
        out[name] = Column(
            name=name, description=str(col.get("description") or ""), data_type=col.get("data_type"),
            meta={**(col.get("meta") or {}), **(cfg.get("meta") or {})},
            tags=tuple([*_tags(col.get("tags")), *_tags(cfg.get("tags"))]),
            constraints=tuple(col.get("constraints") or ()), quote=col.get("quote"),
            granularity=col.get("granularity"),
        )
    return out


def _test_entries(data: Mapping[str, Any]) -> list[Any]:
    return [*(data.get("data_tests") or []), *(data.get("tests") or [])]


def _find_line(text: str, entry: Any) -> int | None:
    key = entry if isinstance(entry, str) else next(iter(entry), None) if isinstance(entry, dict) else None
    if not key:
        return None
    idx = text.find(str(key))
    return text.count("\n", 0, idx) + 1 if idx >= 0 else None


def _refs_in_kwargs(args: Mapping[str, Any]) -> tuple[list[tuple[str, str | None, Any]], list[tuple[str, str]]]:
    refs: list[tuple[str, str | None, Any]] = []
    srcs: list[tuple[str, str]] = []
    for value in args.values():
        if isinstance(value, str) and ("ref(" in value or "source(" in value):
            expr = value.strip()
            if has_jinja(expr):
                expr = expr.strip("{} ")
            parsed = static.extract("{{ " + expr + " }}")
            if parsed is not None:
                refs.extend(parsed.refs)
                srcs.extend(parsed.sources)
    return refs, srcs


def _freshness(source: Mapping[str, Any], table: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    if "freshness" in table:
        value = table["freshness"]
        if value is None:
            return None
        base = dict(source.get("freshness") or {})
        base.update(value)
        return base
    if source.get("freshness"):
        return dict(source["freshness"])
    if config.get("freshness"):
        return dict(config["freshness"])
    return None


def _freshness_config(f: Mapping[str, Any] | None) -> dict[str, Any]:
    f = f or {}

    def after(v: Any) -> dict[str, Any]:
        v = v or {}
        return {"count": v.get("count"), "period": v.get("period")}

    return {"warn_after": after(f.get("warn_after")), "error_after": after(f.get("error_after")),
            "filter": f.get("filter")}


def _version_files(versioned: Mapping[str, Mapping[str, Any]],
                   stems: set[str] | frozenset[str] | None = None) -> dict[str, tuple[str, str, str]]:
    """file stem -> (model name, version, latest version) for versioned models.

    A version's file is its `defined_in`, else `<name>_v<v>`; the latest version without either file
    is `<name>.sql`, as in dbt 1.11 (`stems`: the package's model file stems, to tell)."""
    out: dict[str, tuple[str, str, str]] = {}
    for name, data in versioned.items():
        versions = [str(v.get("v")) for v in data.get("versions") or []]
        latest = str(data.get("latest_version") or max(versions, key=_version_key))
        for v in data.get("versions") or []:
            version = str(v.get("v"))
            stem = str(v.get("defined_in") or f"{name}_v{version}")
            if (version == latest and not v.get("defined_in") and stems is not None and stem not in stems
                    and name in stems):
                stem = name
            out[stem] = (name, version, latest)
    return out


def deprecation_date(value: Any) -> str | None:
    """A `deprecation_date:` as dbt writes it: an ISO timestamp with its offset (a bare date is midnight,
    a time without an offset is local time)."""
    import datetime as dt

    if value is None or value == "":
        return None
    when: Any = value
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day)
    if isinstance(when, dt.datetime):
        return (when if when.tzinfo else when.astimezone()).isoformat()
    return str(value)


def deprecation_passed(value: Any) -> bool:
    """Whether a deprecation_date (as deprecation_date() writes it) is in the past."""
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.astimezone()
    return when <= dt.datetime.now(dt.UTC)


def _version_literal(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def _version_key(v: str) -> tuple[int, ...] | tuple[str]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return (v,)


def _merge_version_patch(base: dict[str, Any], vdata: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    merged.pop("versions", None)
    merged.pop("deprecation_date", None)  # dbt gives a version its own deprecation_date only
    for key, value in vdata.items():
        if key in ("v", "defined_in"):
            continue
        if key == "columns":
            base_cols = {c["name"]: c for c in base.get("columns") or [] if isinstance(c, dict) and "name" in c}
            cols: list[dict[str, Any]] = []
            for col in value or []:
                if isinstance(col, dict) and "include" in col:
                    include = col.get("include")
                    exclude = set(col.get("exclude") or [])
                    names = list(base_cols) if include in ("all", "*") else list(include or [])
                    cols.extend(base_cols[n] for n in names if n in base_cols and n not in exclude)
                else:
                    cols.append(col)
            merged["columns"] = cols
        elif key == "config":
            merged["config"] = {**(base.get("config") or {}), **(value or {})}
        else:
            merged[key] = value
    return merged


def _macro_dependencies(macros: list[Macro], index: MacroIndex) -> list[Macro]:
    out = []
    for macro in macros:
        deps = []
        for name in sorted(called_names(macro.macro_sql)):
            if name == macro.name:
                continue
            found = index.find(name, macro.package_name)
            if found is not None:
                deps.append(found.unique_id)
        out.append(evolve(macro, depends_on_macros=tuple(deps)))
    return out
