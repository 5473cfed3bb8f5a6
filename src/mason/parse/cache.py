"""Partial parsing: reuse the last parse when nothing changed, re-parse only edited model files otherwise.

The cache (target/partial_parse.mason, a versioned pickle) holds the bound manifest, the properties YAML
as parsed, every input file's (mtime, size), and the env vars the parse read. Any change to project or
profile settings, --vars, YAML, macros, seeds, snapshots or a new/removed file means a full parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mason import __version__
from mason.background import read_lock, write_detached
from mason.nodes.slim import LazyNodes, SlimNode

FORMAT = 6
CACHE_FILE = "partial_parse.mason"


@dataclass
class ParseCache:
    key: str
    files: dict[str, tuple[int, int]]
    manifest: Any
    properties: Any
    file_nodes: dict[str, str]  # model file path -> unique_id
    env_used: dict[str, str]  # env vars the parse read, and their values

    def env_matches(self, env: Any) -> bool:
        return all(env.get(k) == v for k, v in self.env_used.items())


def project_key(loaded: Any, session: Any) -> str:
    parts = {
        "format": FORMAT,
        "mason": __version__,
        "target": loaded.target.context(),
        "vars": session.cli_vars,
        "packages": [(p.name, str(p.root), repr(p.config)) for p in loaded.packages],
        "selectors": loaded.selectors,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _walk(folder: Path, out: dict[str, tuple[int, int]]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=True):
            _walk(Path(entry.path), out)
        else:
            st = entry.stat()
            out[entry.path] = (st.st_mtime_ns, st.st_size)


def file_states(loaded: Any) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for pkg in loaded.packages:
        cfg = pkg.config
        for rp in dict.fromkeys((*cfg.all_resource_paths(), *cfg.docs_paths)):
            _walk(pkg.root / rp, out)
        for name in ("dbt_project.yml", "selectors.yml", "packages.yml", "dependencies.yml"):
            path = pkg.root / name
            if path.is_file():
                st = path.stat()
                out[str(path)] = (st.st_mtime_ns, st.st_size)
    return out


def _state_path(path: Path) -> Path:
    return path.with_name(path.name + ".state")


def is_current(path: Path, key: str, states: dict[str, tuple[int, int]], env: Any) -> bool:
    """Whether the last parse still holds, read from the small state file without loading the manifest."""
    try:
        with read_lock(_lock_path(path)), _state_path(path).open("rb") as handle:
            header, (ckey, cfiles, env_used) = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
        return False
    return (header == (FORMAT, __version__) and ckey == key and cfiles == states
            and all(env.get(k) == v for k, v in env_used.items()))


# what reading a cache or index file written by another version (or cut short) can raise
_READ_ERRORS = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError)


def load(path: Path) -> ParseCache | None:
    with read_lock(_lock_path(path)):
        return _load_unlocked(path)


def _load_unlocked(path: Path) -> ParseCache | None:
    try:
        with path.open("rb") as handle:
            header = pickle.load(handle)
            if header != (FORMAT, __version__):
                return None
            cache = pickle.load(handle)
    except _READ_ERRORS:
        return None
    return cache if isinstance(cache, ParseCache) else None


def save(path: Path, cache: ParseCache, defer: bool = False) -> None:
    """Write the cache from a detached child (pickling a large manifest takes a second or more and
    nothing in this command needs it): see mason.background. `defer` forks when the command exits, for
    commands that start no threads (`parse`): forking first makes the parent's later writes to the heap
    copy-on-write faults."""
    write_detached(_lock_path(path), lambda: _save(path, cache), defer=defer)


def _tmp(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def _index_path(path: Path) -> Path:
    return path.with_name(path.name + ".index")


def _read_index(handle: Any, properties: bool = True) -> tuple[Any, LazyNodes, Any, dict[str, str]] | None:
    """(slim manifest without nodes, its nodes, properties, file_nodes) from an open index file; without
    `properties` (selecting and listing need neither) the last two are left unread (None, {})."""
    if pickle.load(handle) != (FORMAT, __version__):
        return None
    slim = pickle.load(handle)
    order, groups, eager = pickle.load(handle)
    tests = pickle.load(handle)
    props, file_nodes = pickle.load(handle) if properties else (None, {})
    return slim, LazyNodes(order, eager, tests, groups), props, file_nodes


def _write_index(handle: Any, cache: ParseCache) -> None:
    """The index: the manifest with SlimNodes, its tests pickled apart (see LazyNodes), the properties."""
    eager: dict[str, SlimNode] = {}
    tests: dict[str, SlimNode] = {}
    for uid, slim in _slim_nodes(cache.manifest.nodes).items():
        (tests if slim.resource_type == "test" else eager)[uid] = slim
    groups = {uid: n.group for uid, n in cache.manifest.nodes.items() if n.group}
    dump = pickle.dump
    dump((FORMAT, __version__), handle, protocol=pickle.HIGHEST_PROTOCOL)
    dump(replace(cache.manifest, nodes={}), handle, protocol=pickle.HIGHEST_PROTOCOL)
    dump((list(cache.manifest.nodes), groups, eager), handle, protocol=pickle.HIGHEST_PROTOCOL)
    dump(pickle.dumps(tests, protocol=pickle.HIGHEST_PROTOCOL), handle, protocol=pickle.HIGHEST_PROTOCOL)
    dump((cache.properties, cache.file_nodes), handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_index(path: Path) -> Any:
    """The manifest with SlimNode nodes (see mason.nodes.slim), as of the last parse; None if missing."""
    try:
        with read_lock(_lock_path(path)), _index_path(path).open("rb") as handle:
            found = _read_index(handle, properties=False)
    except _READ_ERRORS:
        return None
    if found is None:
        return None
    slim, nodes, _, _ = found
    return replace(slim, nodes=nodes.materialize())


def load_light(path: Path) -> ParseCache | None:
    """The cache with the index's slim nodes in place of full ones (tests loaded only if read): enough to
    re-parse edited models and patch manifest.json, at a fraction of the loading time. Saved back with
    `save_patch`."""
    try:
        with read_lock(_lock_path(path)):
            with _state_path(path).open("rb") as handle:
                header, (key, files, env_used) = pickle.load(handle)
            if header != (FORMAT, __version__):
                return None
            with _index_path(path).open("rb") as handle:
                found = _read_index(handle)
    except _READ_ERRORS:
        return None
    if found is None:
        return None
    slim, nodes, properties, file_nodes = found
    return ParseCache(key, files, replace(slim, nodes=nodes), properties, file_nodes, env_used)


def save_patch(path: Path, light: ParseCache, replaced: dict[str, Any]) -> None:
    """Save a light cache patched by a partial re-parse: a detached child loads the full cache, swaps in
    the re-parsed nodes and the new edges, and writes it back (with its index)."""

    def work() -> None:
        full = _load_unlocked(path)  # the child holds the exclusive lock itself
        if full is None:
            _state_path(path).unlink(missing_ok=True)  # nothing to patch: the next parse is a full one
            return
        manifest = replace(full.manifest, nodes={**full.manifest.nodes, **replaced},
                           parent_map=light.manifest.parent_map, child_map=light.manifest.child_map)
        _save(path, ParseCache(light.key, light.files, manifest, full.properties, full.file_nodes,
                               light.env_used))

    write_detached(_lock_path(path), work, defer=True)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _save(path: Path, cache: ParseCache) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    with tmp.open("wb") as handle:
        pickle.dump((FORMAT, __version__), handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(cache, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    state_tmp = _tmp(_state_path(path))
    with state_tmp.open("wb") as handle:
        pickle.dump(((FORMAT, __version__), (cache.key, cache.files, cache.env_used)), handle,
                    protocol=pickle.HIGHEST_PROTOCOL)
    index_tmp = _tmp(_index_path(path))
    with index_tmp.open("wb") as handle:
        _write_index(handle, cache)
    os.replace(index_tmp, _index_path(path))
    # the state file last: it is what says the cache (and its index) match the project files
    os.replace(state_tmp, _state_path(path))


def _slim_nodes(nodes: dict[str, Any]) -> dict[str, SlimNode]:
    """Slim copies of the nodes, equal configs shared: the pickle then holds each distinct config once
    (2,000 for 28,000 nodes in the 10,000-model benchmark), which halves the index's loading time."""
    shared: dict[bytes, Any] = {}
    out = {}
    for uid, node in nodes.items():
        slim = SlimNode.of(node)
        try:
            slim.config = shared.setdefault(pickle.dumps(node.config, protocol=pickle.HIGHEST_PROTOCOL), node.config)
        except (pickle.PicklingError, TypeError, AttributeError):
            pass
        out[uid] = slim
    return out


def changed_model_files(cache: ParseCache, states: dict[str, tuple[int, int]]) -> list[str] | None:
    """Model files edited since the cache, or None when anything else changed (a full parse is needed)."""
    if set(states) != set(cache.files):
        return None
    changed = [p for p, st in states.items() if cache.files.get(p) != st]
    if any(p not in cache.file_nodes for p in changed):
        return None
    return changed
