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

from mason.errors import UsageError

SUBSELECTORS = ("body", "configs", "relation", "persisted_descriptions", "macros", "contract")
_RELATION_KEYS = frozenset({"database", "schema", "alias"})
_INTERNAL_PACKAGES = frozenset({"dbt", "dbt_duckdb", "dbt_postgres", "dbt_spark"})
_VOLATILE = frozenset({"created_at", "unique_id", "original_file_path", "path", "root_path", "relation_name",
                       "compiled", "compiled_code", "compiled_path", "extra_ctes", "extra_ctes_injected",
                       "build_path", "patch_path", "deferred", "defer_relation", "unrendered_config",
                       "unrendered_schema", "unrendered_database", "sources", "metadata"})


def _read_json(path: Path) -> Any:
    import msgspec

    try:
        return msgspec.json.decode(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError) as exc:
        raise UsageError(f"could not read {path}: {exc}",
                         hint="--state must point at a folder with another run's target/ artifacts") from exc


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
    def manifest(self) -> dict[str, Any]:
        data = _read_json(self.path / "manifest.json")
        if not isinstance(data, dict):
            raise UsageError(f"no manifest.json in {self.path}",
                             hint="copy production's target/manifest.json there (dbt's or Mason's)")
        return data

    @cached_property
    def nodes(self) -> dict[str, dict[str, Any]]:
        """Every resource of the state manifest by unique id (nodes, sources, exposures, metrics, ...)."""
        m = self.manifest
        out: dict[str, dict[str, Any]] = {}
        for key in ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests"):
            out.update(m.get(key) or {})
        return out

    @cached_property
    def macros(self) -> dict[str, dict[str, Any]]:
        return dict(self.manifest.get("macros") or {})

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

    def relation_of(self, unique_id: str) -> tuple[str | None, str | None, str | None] | None:
        """(database, schema, alias) of a node as the state built it, or None when it has no relation there."""
        node = self.manifest.get("nodes", {}).get(unique_id)
        if node is None or node.get("resource_type") not in ("model", "seed", "snapshot"):
            return None
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            return None
        return node.get("database"), node.get("schema"), node.get("alias") or node.get("name")


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
    # a source, exposure, metric, ...: its definition; a source's database follows the target
    return {k: v for k, v in d.items() if k not in _VOLATILE and not (k == "database" and "source_name" in d)}


def _configs(d: Mapping[str, Any]) -> Any:
    if d.get("resource_type") == "source":
        return {k: v for k, v in (d.get("config") or {}).items()}
    unrendered = d.get("unrendered_config") or {}
    return {k: v for k, v in unrendered.items() if k not in _RELATION_KEYS}


def _relation(d: Mapping[str, Any]) -> Any:
    if d.get("resource_type") == "source":
        return d.get("schema"), d.get("identifier")
    unrendered = d.get("unrendered_config") or {}
    return tuple(unrendered.get(k) for k in ("database", "schema", "alias", "target_database", "target_schema"))


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
                 macros: Mapping[str, Any], macro_deps: Callable[[str], tuple[str, ...]]) -> None:
        self.state = state
        self.current = current  # unique id -> the resource's manifest dict now
        self.macros = macros  # unique id -> the current Macro (macro_sql, package_name)
        self.macro_deps = macro_deps  # a node's or macro's direct macro dependencies
        self._dicts: dict[str, Mapping[str, Any] | None] = {}
        self._closure: dict[str, bool] = {}

    def _now(self, uid: str) -> Mapping[str, Any] | None:
        if uid not in self._dicts:
            self._dicts[uid] = self.current(uid)
        return self._dicts[uid]

    @cached_property
    def _compare_internal(self) -> bool:
        ours = {m for m, macro in self.macros.items() if macro.package_name in _INTERNAL_PACKAGES}
        theirs = {m for m, macro in self.state.macros.items() if macro.get("package_name") in _INTERNAL_PACKAGES}
        return ours == theirs

    @cached_property
    def changed_macros(self) -> frozenset[str]:
        changed = set()
        internal = self._compare_internal
        for uid, macro in self.macros.items():
            if macro.package_name in _INTERNAL_PACKAGES and not internal:
                continue
            old = self.state.macros.get(uid)
            if old is None or old.get("macro_sql") != macro.macro_sql:
                changed.add(uid)
        return frozenset(changed)

    def _macro_changed(self, uid: str, seen: frozenset[str] = frozenset()) -> bool:
        found = self._closure.get(uid)
        if found is not None:
            return found
        if uid in self.changed_macros:
            result = True
        else:
            result = any(self._macro_changed(dep, seen | {uid}) for dep in self.macro_deps(uid) if dep not in seen)
        self._closure[uid] = result
        return result

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
        for name in parts:
            if name == "macros":
                if any(self._macro_changed(m) for m in self.macro_deps(uid)):
                    return True
            elif _FACETS[name](now) != _FACETS[name](old):
                return True
        return False


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
