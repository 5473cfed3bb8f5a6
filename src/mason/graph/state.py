"""Another run's artifacts (`--state DIR`, usually production's) and what the `state:`, `result:` and
`source_status:` selectors compare against them.

`state:modified` is the union of its parts, each compared as dbt compares it:

    body                     the file's checksum (seeds: the CSV's; tests: their code and arguments)
    configs                  the configs as written (unrendered_config), apart from database/schema/alias
    relation                 database/schema/alias as written: a dev target whose schema differs from
                             production's is not "modified"; for sources their schema and identifier
    persisted_descriptions   descriptions, where persist_docs writes them into the warehouse
    macros                   a macro the node calls, directly or through other macros, changed
    contract                 the model contract (enforced, its columns' checksum)

New nodes are `state:new` and `state:modified` (and each part of it but macros); nodes absent now (deleted or disabled) are never selected. The state manifest may
come from Mason or from dbt-core: dbt's own macros (package `dbt` and the adapters') are compared only when
both manifests carry the same set of them, so switching tools does not mark every node modified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import msgspec

from mason.errors import UsageError

SUBSELECTORS = ("body", "configs", "relation", "persisted_descriptions", "macros", "contract")
_RELATION_KEYS = frozenset({"database", "schema", "alias"})
_TARGET_MADE = frozenset({"database", "schema", "node_relation"})
_INTERNAL_PACKAGES = frozenset({"dbt", "dbt_duckdb", "dbt_postgres", "dbt_spark", "mason"})
_VOLATILE = frozenset({"created_at", "unique_id", "original_file_path", "path", "root_path", "relation_name",
                       "compiled", "compiled_code", "compiled_path", "extra_ctes", "extra_ctes_injected",
                       "build_path", "patch_path", "deferred", "defer_relation", "unrendered_config",
                       "unrendered_schema", "unrendered_database", "sources", "metadata"})


def _read_json(path: Path, shape: Any = Any) -> Any:
    try:
        return msgspec.json.decode(path.read_bytes(), type=shape)
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise UsageError(f"could not read {path}: {exc}",
                         hint="--state must point at a folder with another run's target/ artifacts") from exc


class _Checksum(msgspec.Struct):
    name: str = "none"
    checksum: str = ""


class _TestMetadata(msgspec.Struct):
    kwargs: Any = None


class _Column(msgspec.Struct):
    description: str | None = ""
    data_type: str | None = None
    constraints: list[dict[str, Any]] = []


class _Config(msgspec.Struct):
    materialized: str | None = None
    file_format: str | None = None
    persist_docs: dict[str, Any] | None = None
    contract: dict[str, Any] | None = None


class _StateNode(msgspec.Struct):
    resource_type: str = ""
    name: str = ""
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    checksum: _Checksum | None = None
    raw_code: str | None = ""
    config: _Config = msgspec.field(default_factory=_Config)
    unrendered_config: dict[str, Any] = {}
    description: str | None = ""
    columns: dict[str, _Column] = {}
    test_metadata: _TestMetadata | None = None
    contract: Any = None
    version: Any = None
    constraints: list[dict[str, Any]] = []
    original_file_path: str = ""
    package_name: str = ""
    access: str | None = None
    latest_version: Any = None


class _StateMacro(msgspec.Struct):
    package_name: str = ""
    macro_sql: str = ""


class _StateManifest(msgspec.Struct):
    """The parts of manifest.json state comparison reads (decoding skips the rest: most of a large one)."""

    nodes: dict[str, _StateNode] = {}
    macros: dict[str, _StateMacro] = {}
    sources: dict[str, Any] = {}
    exposures: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    semantic_models: dict[str, Any] = {}
    saved_queries: dict[str, Any] = {}
    unit_tests: dict[str, Any] = {}


def light(resource_type: str, checksum: str, raw_code: str, config: Mapping[str, Any],
          unrendered: Mapping[str, Any], description: str, columns: Mapping[str, str], kwargs: Any,
          contract: Any) -> dict[str, Any]:
    """A node (model, seed, snapshot, test, analysis) as state comparison reads it, from either side."""
    return {"resource_type": resource_type, "checksum": {"name": "sha256" if checksum else "none",
                                                         "checksum": checksum},
            "raw_code": raw_code if not checksum else "", "config": config, "unrendered_config": unrendered,
            "description": description, "columns": {k: {"description": v} for k, v in columns.items()},
            "test_metadata": {"kwargs": kwargs} if kwargs is not None else None, "contract": contract}


class State:
    """The artifacts of another run: manifest.json (read when first needed), run_results.json and
    sources.json (for `result:` and `source_status:`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise UsageError(f"--state {self.path}: no such folder",
                             hint="point --state (or DBT_STATE / MASON_STATE) at a folder holding production's "
                                  "manifest.json, e.g. a copy of its target/")

    @cached_property
    def manifest(self) -> Any:
        data = _read_json(self.path / "manifest.json", _StateManifest)
        if data is None:
            raise UsageError(f"no manifest.json in {self.path}",
                             hint="copy production's target/manifest.json there (dbt's or Mason's)")
        return data

    @cached_property
    def nodes(self) -> dict[str, Mapping[str, Any]]:
        """Every resource of the state manifest by unique id, as comparison reads it: nodes in their light
        form, sources, exposures, metrics, semantic models, saved queries and unit tests as written."""
        m = self.manifest
        out: dict[str, Mapping[str, Any]] = {}
        for uid, n in m.nodes.items():
            checksum = n.checksum.checksum if n.checksum is not None and n.checksum.name != "none" else ""
            config = {"persist_docs": n.config.persist_docs, "contract": n.config.contract}
            out[uid] = light(n.resource_type, checksum, n.raw_code or "", config, n.unrendered_config,
                             n.description or "", {k: c.description or "" for k, c in n.columns.items()},
                             n.test_metadata.kwargs if n.test_metadata is not None else None, n.contract)
        for part in (m.sources, m.exposures, m.metrics, m.semantic_models, m.saved_queries, m.unit_tests):
            out.update(part)
        return out

    @cached_property
    def macros(self) -> dict[str, Any]:
        """unique id -> (package_name, macro_sql)."""
        return {uid: (m.package_name, m.macro_sql) for uid, m in self.manifest.macros.items()}

    @cached_property
    def run_results(self) -> dict[str, str]:
        """unique id -> status of the state's run_results.json."""
        data = _read_json(self.path / "run_results.json")
        if not isinstance(data, dict):
            raise UsageError(f"no run_results.json in {self.path}", hint="result: selects by another run's results")
        return {str(r.get("unique_id")): str(r.get("status")) for r in data.get("results") or []}

    @cached_property
    def source_freshness(self) -> dict[str, str]:
        """unique id -> max_loaded_at of the state's sources.json."""
        return _freshness(self.path / "sources.json", "the state")

    def built_as(self, unique_id: str) -> dict[str, Any]:
        """How the state built a node: its materialized and file_format configs."""
        node = self.manifest.nodes.get(unique_id)
        if node is None:
            return {}
        return {"materialized": node.config.materialized, "file_format": node.config.file_format}

    def relation_of(self, unique_id: str) -> tuple[str | None, str | None, str | None] | None:
        """(database, schema, alias) of a node as the state built it, or None when it has no relation there."""
        node = self.manifest.nodes.get(unique_id)
        if node is None or node.resource_type not in ("model", "seed", "snapshot"):
            return None
        if node.config.materialized == "ephemeral":
            return None
        return node.database, node.schema, node.alias or node.name


def _freshness(path: Path, what: str) -> dict[str, str]:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise UsageError(f"no sources.json in {path.parent} ({what})",
                         hint="source_status: compares `mason source freshness` runs: run it in both")
    return {str(r.get("unique_id")): str(r.get("max_loaded_at") or "") for r in data.get("results") or []
            if r.get("max_loaded_at")}


# ------------------------------------------------------------------------------------- comparisons
def _body(d: Mapping[str, Any]) -> Any:
    checksum = d.get("checksum")
    if isinstance(checksum, dict) and checksum.get("name") not in (None, "none") and checksum.get("checksum"):
        return checksum["checksum"]
    if d.get("resource_type") == "test":  # a generic test's code is its macro, arguments and YAML config
        return d.get("raw_code"), (d.get("test_metadata") or {}).get("kwargs"), d.get("unrendered_config")
    if d.get("resource_type") in ("model", "seed", "snapshot", "analysis"):
        return d.get("raw_code")
    # a source (whose schema and database are compared as its relation), exposure, metric, ...: its definition,
    # without what the target makes (relations, schemas), as JSON has it (tuples as lists)
    out = msgspec.json.decode(msgspec.json.encode({k: v for k, v in d.items() if k not in _VOLATILE
                                                   and k not in _TARGET_MADE}))
    for export in out.get("exports") or ():  # a saved query's exports land in the target's schema
        if isinstance(export, dict) and isinstance(export.get("config"), dict):
            export["config"] = {k: v for k, v in export["config"].items() if k not in ("schema_name", "database")}
    return out


def _configs(d: Mapping[str, Any]) -> Any:
    if d.get("resource_type") == "source":
        return {k: v for k, v in (d.get("config") or {}).items()}
    unrendered = d.get("unrendered_config") or {}
    return {k: v for k, v in unrendered.items() if k not in _RELATION_KEYS}


def _relation(d: Mapping[str, Any]) -> Any:
    if d.get("resource_type") == "source":  # as written where both manifests say: target-made is not a change
        written = d.get("unrendered_schema")
        return (written if written is not None else d.get("schema")), d.get("identifier")
    u = d.get("unrendered_config") or {}
    return u.get("database"), u.get("schema"), u.get("alias"), u.get("target_database"), u.get("target_schema")


def _persisted(d: Mapping[str, Any]) -> Any:
    docs = (d.get("config") or {}).get("persist_docs") or {}
    out: list[Any] = []
    if docs.get("relation"):
        out.append(d.get("description") or "")
    if docs.get("columns"):
        out.append(sorted((name, (c or {}).get("description") or "") for name, c in (d.get("columns") or {}).items()))
    return out


def _contract(d: Mapping[str, Any]) -> Any:
    contract = (d.get("config") or {}).get("contract") or d.get("contract") or {}
    top = d.get("contract") or {}
    return bool(contract.get("enforced")), top.get("checksum")


_FACETS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "body": _body, "configs": _configs, "relation": _relation, "persisted_descriptions": _persisted,
    "contract": _contract,
}


class Comparison:
    """The current project's resources (as manifest dicts, made on demand) against a State."""

    def __init__(self, state: State, current: Callable[[str], Mapping[str, Any] | None],
                 macros: Mapping[str, Any], macro_deps: Callable[[str], tuple[str, ...]],
                 node_of: Callable[[str], Any] = lambda uid: None) -> None:
        self.state = state
        self.node_of = node_of  # unique id -> the current Node (contract checks read its columns)
        # models whose enforced contract a change breaks: unique id -> (problems, versioned, file)
        self.breaking_changes: dict[str, tuple[list[str], bool, str]] = {}
        self.current = current  # unique id -> the resource's manifest dict now
        self.macros = macros  # unique id -> the current Macro (macro_sql, package_name)
        self.macro_deps = macro_deps  # a node's or macro's direct macro dependencies
        self._dicts: dict[str, Mapping[str, Any] | None] = {}

    def _now(self, uid: str) -> Mapping[str, Any] | None:
        if uid not in self._dicts:
            self._dicts[uid] = self.current(uid)
        return self._dicts[uid]

    @cached_property
    def _dirty_macros(self) -> frozenset[str]:
        """The macros that changed, and every macro calling one of them (directly or not)."""
        ours = {m for m, macro in self.macros.items() if macro.package_name in _INTERNAL_PACKAGES}
        theirs = {m for m, (package, _) in self.state.macros.items() if package in _INTERNAL_PACKAGES}
        internal = ours == theirs  # the same tool (and version) wrote both: compare dbt's own macros too
        dirty: set[str] = set()
        callers: dict[str, list[str]] = {}
        for uid, macro in self.macros.items():
            for dep in self.macro_deps(uid):
                callers.setdefault(dep, []).append(uid)
            if macro.package_name in _INTERNAL_PACKAGES and not internal:
                continue
            old = self.state.macros.get(uid)
            if old is None or old[1] != macro.macro_sql:
                dirty.add(uid)
        todo = list(dirty)
        while todo:
            for caller in callers.get(todo.pop(), ()):
                if caller not in dirty:
                    dirty.add(caller)
                    todo.append(caller)
        return frozenset(dirty)

    def breaking(self, uid: str, node: Any) -> list[str]:
        """What breaks the enforced contract a model had in the state (columns removed or retyped, enforced
        constraints removed, the contract no longer enforced), for the current `node` (a Node)."""
        old = self.state.manifest.nodes.get(uid)
        if old is None or old.resource_type != "model" or not (old.config.contract or {}).get("enforced"):
            return []
        problems: list[str] = []
        if not (node.config.get("contract") or {}).get("enforced"):
            return ["the contract is no longer enforced"]
        removed = [name for name in old.columns if name not in node.columns]
        if removed:
            problems.append("columns were removed: " + ", ".join(removed))
        retyped = [f"{name} ({col.data_type} -> {node.columns[name].data_type})" for name, col in old.columns.items()
                   if name in node.columns and (col.data_type or "").lower()
                   != (node.columns[name].data_type or "").lower()]
        if retyped:
            problems.append("column types changed: " + ", ".join(retyped))
        kinds = {"not_null", "unique", "primary_key", "foreign_key", "check"}
        lost = [f"{name}: {c.get('type')}" for name, col in old.columns.items() for c in col.constraints
                if c.get("type") in kinds and name in node.columns and c.get("type") not in
                {x.get("type") for x in node.columns[name].constraints}]
        lost += [f"model: {c.get('type')} {c.get('columns') or ''}".rstrip() for c in old.constraints
                 if c.get("type") in kinds and not any(x.get("type") == c.get("type") and list(x.get("columns") or [])
                                                       == list(c.get("columns") or []) for x in node.constraints)]
        if lost:
            problems.append("enforced constraints were removed: " + "; ".join(lost))
        return problems

    def is_new(self, uid: str) -> bool:
        return uid not in self.state.nodes

    def is_old(self, uid: str) -> bool:
        return uid in self.state.nodes

    def modified(self, uid: str, part: str | None = None) -> bool:
        """Whether a resource changed (in `part`, or in any part); a new one counts as modified, as in dbt
        (in every part but macros)."""
        old = self.state.nodes.get(uid)
        if old is None:
            return part != "macros" and self._now(uid) is not None
        now = self._now(uid)
        if now is None:
            return False
        parts = (part,) if part else SUBSELECTORS
        if part in (None, "contract") and (old.get("contract") or {}).get("enforced") and \
                _contract(now) != _contract(old):
            self._check_contract(uid)  # whatever else changed, a broken contract is reported
        for name in parts:
            if name == "macros":
                dirty = self._dirty_macros
                if dirty and any(m in dirty for m in self.macro_deps(uid)):
                    return True
            elif _FACETS[name](now) != _FACETS[name](old):
                return True
        return False

    def _check_contract(self, uid: str) -> None:
        node = self.node_of(uid)
        if node is None or uid in self.breaking_changes:
            return
        problems = self.breaking(uid, node)
        if problems:
            self.breaking_changes[uid] = (problems, node.version is not None, node.original_file_path)


def state_path(explicit: str | Path | None, env: Mapping[str, str]) -> Path | None:
    """--state, else DBT_STATE / MASON_STATE / DBT_ARTIFACT_STATE_PATH from the environment."""
    value = explicit or env.get("MASON_STATE") or env.get("DBT_STATE") or env.get("DBT_ARTIFACT_STATE_PATH")
    return Path(value) if value else None


def current_freshness(target_dir: Path) -> dict[str, str]:
    return _freshness(target_dir / "sources.json", "this project's target/")


def later(now: str, before: str | None) -> bool:
    """Whether the timestamp `now` is later than `before` (no `before`: yes)."""
    from datetime import UTC, datetime

    if not before:
        return True

    def parse(value: str) -> datetime:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)

    try:
        return parse(now) > parse(before)
    except ValueError:
        return now > before
