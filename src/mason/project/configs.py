"""Node configs: defaults per resource type, dbt's merge rules and the dbt_project.yml config trees."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mason.errors import CompileError

# Keys merged (dicts) or appended (lists) instead of replaced, as dbt does.
_APPEND_KEYS = frozenset({"tags", "pre-hook", "post-hook", "packages"})
_UPDATE_KEYS = frozenset({"meta", "grants", "docs", "contract", "quoting", "column_types", "persist_docs"})
# Config keys whose values are dicts, so a dict value does not mean "sub-folder".
DICT_CONFIGS = frozenset(
    {"meta", "grants", "docs", "contract", "quoting", "column_types", "persist_docs", "freshness",
     "snapshot_meta_column_names", "labels", "partition_by", "store_failures_as", "event_time"}
)
_ALIASES = {"pre_hook": "pre-hook", "post_hook": "post-hook", "predicates": "incremental_predicates"}

KNOWN_CONFIGS = frozenset(
    {"enabled", "materialized", "schema", "database", "alias", "tags", "meta", "group", "access", "docs",
     "persist_docs", "pre-hook", "post-hook", "grants", "contract", "full_refresh", "quoting", "column_types",
     "on_configuration_change", "sql_header", "event_time", "batch_size", "lookback", "begin",
     "concurrent_batches", "unique_key", "on_schema_change", "incremental_strategy", "incremental_predicates",
     "merge_update_columns", "merge_exclude_columns", "packages", "delimiter", "quote_columns", "strategy",
     "updated_at", "check_cols", "hard_deletes", "invalidate_hard_deletes", "dbt_valid_to_current",
     "snapshot_meta_column_names", "target_schema", "target_database", "severity", "warn_if", "error_if",
     "fail_calc", "where", "limit", "store_failures", "store_failures_as", "freshness", "loaded_at_field",
     "loaded_at_query", "file_format", "partition_by", "clustered_by", "buckets", "location_root",
     "indexes", "unlogged", "on_error", "static_analysis", "labels"}
)


def normalize_key(key: str) -> str:
    key = key[1:] if key.startswith("+") else key
    return _ALIASES.get(key, key)


def normalize_hooks(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    hooks: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            hooks.append({"sql": str(item.get("sql", "")), "transaction": bool(item.get("transaction", True)),
                          "index": item.get("index")})
        elif item is not None:
            hooks.append({"sql": str(item), "transaction": True, "index": None})
    return hooks


def normalize_value(key: str, value: Any) -> Any:
    if key in ("pre-hook", "post-hook"):
        return normalize_hooks(value)
    if key == "tags":
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)
    return value


def merge_into(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Apply `update` on top of `base` in place with dbt's rules; returns base."""
    for raw_key, raw_value in update.items():
        key = normalize_key(str(raw_key))
        value = normalize_value(key, raw_value)
        if key in _APPEND_KEYS:
            # appended as dbt does, repeats kept (config.tags lists a tag twice when two layers give it;
            # a node's `tags` field is the deduplicated list)
            base[key] = [*(base.get(key) or ()), *(value or ())]
        elif key in _UPDATE_KEYS and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged_dict = dict(base[key])
            merged_dict.update(value)
            base[key] = merged_dict
        else:
            base[key] = value
    return base


def replace_into(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Apply `update` on top of `base` in place, each key replacing the one before (dbt's plain dict update
    for unrendered_config: tags not appended, dicts not merged, values as written); returns base."""
    for raw_key, value in update.items():  # values as written (a hook stays a string)
        base[normalize_key(str(raw_key))] = value
    return base


_COMMON: dict[str, Any] = {
    "enabled": True,
    "alias": None,
    "schema": None,
    "database": None,
    "tags": [],
    "meta": {},
    "group": None,
    "static_analysis": None,
}

_MODEL_LIKE = {
    **_COMMON,
    "materialized": "view",
    "incremental_strategy": None,
    "batch_size": None,
    "lookback": 1,
    "begin": None,
    "persist_docs": {},
    "post-hook": [],
    "pre-hook": [],
    "quoting": {},
    "column_types": {},
    "full_refresh": None,
    "unique_key": None,
    "on_schema_change": "ignore",
    "on_configuration_change": "apply",
    "grants": {},
    "packages": [],
    "docs": {"show": True, "node_color": None},
    "contract": {"enforced": False, "alias_types": True},
    "event_time": None,
    "concurrent_batches": None,
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "model": {**_MODEL_LIKE, "access": "protected", "freshness": None},
    "seed": {**_MODEL_LIKE, "materialized": "seed", "delimiter": ",", "quote_columns": None},
    "snapshot": {**_MODEL_LIKE, "materialized": "snapshot", "strategy": None, "target_schema": None,
                 "target_database": None, "updated_at": None, "check_cols": None,
                 "snapshot_meta_column_names": {"dbt_valid_to": None, "dbt_valid_from": None, "dbt_scd_id": None,
                                                "dbt_updated_at": None, "dbt_is_deleted": None},
                 "dbt_valid_to_current": None, "unique_key": None},
    "analysis": {**_MODEL_LIKE},
    "test": {**_COMMON, "materialized": "test", "severity": "ERROR", "store_failures": None,
             "store_failures_as": None, "where": None, "limit": None, "fail_calc": "count(*)",
             "warn_if": "!= 0", "error_if": "!= 0", "schema": "dbt_test__audit"},
    "source": {"enabled": True, "event_time": None, "freshness": None, "loaded_at_field": None,
               "loaded_at_query": None, "meta": {}, "tags": []},
    "exposure": {"enabled": True, "tags": [], "meta": {}},
}


APPEND_KEYS = _APPEND_KEYS


def settle_store_failures(config: dict[str, Any]) -> dict[str, Any]:
    """A data test's store_failures and store_failures_as made to agree, as dbt 1.11 does at parse:
    store_failures_as wins (`ephemeral` = not stored), else store_failures true -> `table`, false ->
    `ephemeral`; neither set leaves both None (the --store-failures flag decides)."""
    as_ = config.get("store_failures_as")
    if as_ is not None:
        config["store_failures"] = as_ != "ephemeral"
    elif config.get("store_failures") is not None:
        config["store_failures_as"] = "table" if config["store_failures"] else "ephemeral"
    return config


def default_config(resource_type: str) -> dict[str, Any]:
    """A fresh defaults dict (values are scalars, or flat lists/dicts of scalars: one level of copying)."""
    return {k: (v.copy() if isinstance(v, dict | list) else v) for k, v in DEFAULTS.get(resource_type, _COMMON).items()}


def _is_config_key(key: str, value: Any) -> bool:
    if key.startswith("+"):
        return True
    norm = normalize_key(key)
    if norm not in KNOWN_CONFIGS:
        return False
    return not isinstance(value, dict) or norm in DICT_CONFIGS


class ConfigTree:
    """One resource tree from dbt_project.yml (e.g. `models:`), resolved against node fqns.

    Results are cached per folder path, so a 10,000-model project walks each folder once.
    """

    def __init__(self, tree: Mapping[str, Any] | None) -> None:
        self._tree = tree or {}
        self._cache: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._own: dict[int, dict[str, Any]] = {}  # a tree level's own configs, by id of the level

    def layers(self, fqn: Iterable[str]) -> list[dict[str, Any]]:
        """The config dicts that apply to `fqn`, least specific first."""
        key = tuple(fqn)
        found = self._cache.get(key)
        if found is not None:
            return found
        layers: list[dict[str, Any]] = []
        level: Mapping[str, Any] | None = self._tree
        depth = 0
        while level is not None:
            own = self._own.get(id(level))
            if own is None:
                own = self._own[id(level)] = {k: v for k, v in level.items() if _is_config_key(str(k), v)}
            if own:
                layers.append(own)
            if depth >= len(key):
                break
            child = level.get(key[depth])
            level = child if isinstance(child, dict) else None
            depth += 1
        self._cache[key] = layers
        return layers

    def unknown_paths(self, known_prefixes: set[tuple[str, ...]]) -> list[str]:
        """Tree paths that match no node (dbt warns about these)."""
        out: list[str] = []

        def walk(level: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
            for k, v in level.items():
                if _is_config_key(str(k), v) or not isinstance(v, dict):
                    continue
                path = (*prefix, str(k))
                if path not in known_prefixes:
                    out.append(".".join(path))
                else:
                    walk(v, path)

        walk(self._tree, ())
        return out


HARD_DELETE_MODES = ("ignore", "invalidate", "new_record")


def hard_deletes_mode(hard: Any, legacy: Any) -> str:
    """What happens to rows gone from the source, as dbt decides it: `hard_deletes` (ignore, invalidate or
    new_record; ignore when unset), or the older `invalidate_hard_deletes: true` (invalidate). Setting both
    is an error whatever their values, as in dbt. Used by snapshots and by the Jinja adapter API."""
    if hard is not None and legacy is not None:
        raise CompileError("invalidate_hard_deletes and hard_deletes are both set",
                           hint="remove the legacy invalidate_hard_deletes setting")
    if hard in (None, ""):
        return "invalidate" if legacy else "ignore"
    mode = str(hard).lower()
    if mode not in HARD_DELETE_MODES:
        raise CompileError(f"unknown hard_deletes value {mode!r}", hint="use one of 'ignore', 'invalidate' or 'new_record'")
    return mode
