"""The facade every front end uses (the CLI, Python users, the coming HTTP server): parse, select and the
commands in api/commands.py and api/run.py. Below it sit the stages; nothing below imports it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mason.artifacts.writer import register_secrets, write_json
from mason.errors import MasonError, ParseErrors, UsageError, did_you_mean
from mason.observe.masking import scrub
from mason.parse import cache as cache_mod
from mason.parse.result import Parsed, Prepared
from mason.project.loader import LoadedProject, load
from mason.session import Session

if TYPE_CHECKING:
    from mason.nodes.manifest import Manifest


def parse(session: Session, light: bool = False, prepared: Prepared | None = None) -> Parsed:
    """Load and parse the project; with partial parsing on, reuse or patch the last parse when possible.

    The cyclic garbage collector should be paused around this (see mason.memory): the CLI does so.
    With `light`, a partial re-parse works from the cache's slim index (mason.nodes.slim): the result's
    unchanged nodes are SlimNodes, which is enough to write the artifacts (`mason parse`), not to run.
    """
    loaded, key, states, mesh = prepared or prepare(session)
    defer = light  # `parse` starts no threads: its cache write can fork at exit (see cache.save)
    cache_path = loaded.target_dir / cache_mod.CACHE_FILE
    if key is not None and states is not None:
        cache = cache_mod.load_light(cache_path) if light else None
        if cache is None or cache.key != key or not cache.env_matches(session.env) or \
                cache_mod.changed_model_files(cache, states) in ([], None):
            cache, light = cache_mod.load(cache_path), False
        if cache is not None and cache.key == key and cache.env_matches(session.env):
            changed = cache_mod.changed_model_files(cache, states)
            if changed == []:
                return Parsed(loaded, cache.manifest, unchanged=True)
            if changed:
                patched = _reparse(session, loaded, cache, changed, states, mesh)
                if patched is not None:
                    ids = frozenset(cache.file_nodes[path] for path in changed)
                    cache.manifest, cache.files = patched, states
                    if light:
                        cache_mod.save_patch(cache_path, cache, {uid: patched.nodes[uid] for uid in ids})
                    else:
                        cache_mod.save(cache_path, cache, defer=defer)
                    return Parsed(loaded, patched, patched=ids, light=light)
    from mason.graph.dag import bind
    from mason.parse.parser import ProjectParser  # imported here: `ls` on an unchanged project needs neither

    parser = ProjectParser(session, loaded.packages, loaded.target.context(), loaded.target.type)
    parsed = parser.parse()
    errors = list(parser.errors)
    warnings = list(parser.warnings)
    if mesh is not None and mesh.fetched:
        from mason.mesh import inject

        parsed = inject(parsed, mesh)
    try:
        manifest = bind(parsed, warnings)
    except ParseErrors as exc:
        errors.extend(exc.errors)
    except MasonError as exc:
        errors.append(exc)
    if mesh is not None and mesh.active and not errors:
        from mason.mesh import contract_findings

        found, said = contract_findings(manifest, mesh.config.contracts)
        errors.extend(found)
        warnings.extend(said)
    if errors:
        raise errors[0] if len(errors) == 1 else ParseErrors(errors)
    manifest = replace(manifest, selectors=loaded.selectors)
    _warn(warnings)
    if session.flags.partial_parse and key is not None and states is not None:
        file_nodes = {str(Path(n.root_path) / n.original_file_path): uid for uid, n in manifest.nodes.items()
                      if n.resource_type == "model" and n.root_path}
        cache_mod.save(cache_path, cache_mod.ParseCache(key, states, manifest, parser.properties, file_nodes,
                                                        dict(parser.env_used)), defer=defer)
    return Parsed(loaded, manifest)


def _warn(warnings: list[str]) -> None:
    import sys

    for warning in warnings:
        print(scrub(f"Warning: {warning}"), file=sys.stderr)


# Selection methods that read only SlimNode fields (no state, results or source freshness).
_INDEX_METHODS = frozenset({"fqn", "tag", "path", "file", "package", "config", "resource_type", "source",
                            "exposure", "metric", "semantic_model", "saved_query", "unit_test", "test_type",
                            "test_name", "group", "access", "version"})


def parse_from_index(session: Session, select: Iterable[str], exclude: Iterable[str]) -> Parsed | None:
    """The last parse with slim nodes (mason.nodes.slim), for selecting and listing on an unchanged
    project without loading the full cache; None when the project changed or the selection needs more."""
    if not session.flags.partial_parse:
        return None
    for token in (*select, *exclude):
        for word in token.replace(",", " ").split():
            method = word.lstrip("+@0123456789").partition(":")[0].partition(".")[0] if ":" in word else "fqn"
            if method not in _INDEX_METHODS:
                return None
    from mason.nodes.manifest import Manifest
    from mason.project.selectors import default_selector

    loaded = load(session)
    if default_selector(loaded.selectors) is not None or not (loaded.target_dir / "manifest.json").is_file():
        return None
    path = loaded.target_dir / cache_mod.CACHE_FILE
    key = _cache_key(loaded, session, mesh_setup(session, loaded))
    if not cache_mod.is_current(path, key, cache_mod.file_states(loaded), session.env):
        return None
    manifest = cache_mod.load_index(path)
    return Parsed(loaded, manifest, unchanged=True) if isinstance(manifest, Manifest) else None


def prepare(session: Session) -> Prepared:
    loaded = load(session)
    mesh = mesh_setup(session, loaded)
    if not session.flags.partial_parse:
        return Prepared(loaded, None, None, mesh)
    return Prepared(loaded, _cache_key(loaded, session, mesh), cache_mod.file_states(loaded), mesh)


def mesh_setup(session: Session, loaded: LoadedProject) -> Any:
    """The upstream projects of dependencies.yml, their manifests fetched or revalidated (mason.mesh)."""
    from mason.mesh import setup

    project = loaded.project
    return setup(project.root, project.name, loaded.target_dir, session.cli_vars, session.env, session.profiles_dir,
                 session.profile, project.profile, session.upstream_manifests, lambda text: _warn([text]),
                 tuple(p.name for p in loaded.packages if not p.is_root))


def _cache_key(loaded: LoadedProject, session: Session, mesh: Any) -> str:
    key = cache_mod.project_key(loaded, session)
    identity = mesh.identity if mesh is not None else ""
    if not identity:
        return key
    import hashlib

    return hashlib.sha256(f"{key}\n{identity}".encode()).hexdigest()


def parse_is_current(session: Session, prepared: Prepared | None = None) -> bool:
    """True when partial parsing can tell, cheaply, that the last parse (and its manifest.json) still holds."""
    if not session.flags.partial_parse:
        return False
    loaded, key, states, _ = prepared or prepare(session)
    if key is None or states is None or not (loaded.target_dir / "manifest.json").is_file():
        return False
    return cache_mod.is_current(loaded.target_dir / cache_mod.CACHE_FILE, key, states, session.env)


def _reparse(session: Session, loaded: LoadedProject, cache: cache_mod.ParseCache,
             changed: list[str], states: dict[str, tuple[int, int]], mesh: Any = None) -> Manifest | None:
    """Re-parse edited model files and re-bind just those nodes; None means do a full parse instead."""
    from mason.graph.dag import rebind
    from mason.parse.files import SourceFile
    from mason.parse.parser import ProjectParser

    manifest: Manifest = cache.manifest
    files: list[Any] = []
    for path in changed:
        old = manifest.nodes.get(cache.file_nodes[path])
        if old is None:
            return None
        pkg = next((p for p in loaded.packages if p.name == old.package_name), None)
        if pkg is None:
            return None
        rel = old.original_file_path
        resource_path, _, inner = rel.partition("/")
        files.append(SourceFile(pkg.name, pkg.root, resource_path, inner, Path(path).read_text(encoding="utf-8")))
    parser = ProjectParser(session, loaded.packages, loaded.target.context(), loaded.target.type)
    fresh = parser.reparse_models(files, cache.properties, _model_stems(loaded, cache.properties, states))
    if parser.errors:
        raise parser.errors[0] if len(parser.errors) == 1 else ParseErrors(parser.errors)
    replaced = {}
    for node in fresh:
        old = manifest.nodes.get(node.unique_id)
        # a changed group/enabled/name ripples into tests and other nodes: re-parse everything
        if old is None or old.group != node.group or old.access != node.access or not node.config.get("enabled", True):
            return None
        replaced[node.unique_id] = node
    if len(replaced) != len(changed):
        return None
    cache.env_used.update(parser.env_used)
    warnings = list(parser.warnings)
    bound = rebind(manifest, replaced, warnings)
    if mesh is not None and mesh.active:
        from mason.mesh import contract_findings

        found, said = contract_findings(bound, mesh.config.contracts, list(replaced))
        if found:
            raise found[0] if len(found) == 1 else ParseErrors(found)
        warnings.extend(said)
    _warn(warnings)
    return bound


def _model_stems(loaded: LoadedProject, props: Any, states: dict[str, tuple[int, int]]) -> dict[str, set[str]]:
    """Each package's model file stems (from the files' states), where it has versioned models: which file
    is a version's (`<name>.sql` is the latest when `<name>_v<latest>.sql` does not exist)."""
    versioned = {package for (kind, package, _), patch in props.patches.items()
                 if kind == "models" and patch.data.get("versions")}
    out: dict[str, set[str]] = {}
    for pkg in loaded.packages:
        if pkg.name not in versioned:
            continue
        prefixes = tuple(str(pkg.root / mp).rstrip("/") + "/" for mp in pkg.config.model_paths)
        out[pkg.name] = {Path(p).stem for p in states if p.endswith(".sql") and p.startswith(prefixes)}
    return out


def comparison(parsed: Parsed, state: Any) -> Any:
    """The current project against another run's artifacts (a mason.graph.state.State), for state:
    selection: each resource's manifest dict made on demand, the macros and their dependencies."""
    from mason.graph.state import Comparison, light
    from mason.nodes import dicts as art
    from mason.nodes import semantic_dicts as sem
    from mason.nodes.nodes import Exposure, GenericNode, Node, SourceDefinition

    manifest = parsed.manifest

    def current(uid: str) -> dict[str, Any] | None:
        node = (manifest.nodes.get(uid) or manifest.sources.get(uid) or manifest.exposures.get(uid)
                or manifest.metrics.get(uid) or manifest.semantic_models.get(uid)
                or manifest.saved_queries.get(uid) or manifest.unit_tests.get(uid))
        if isinstance(node, Node):
            contract: Any = None
            if node.resource_type == "model":
                enforced = (node.config.get("contract") or {}).get("enforced")
                contract = art.node_dict(node, None)["contract"] if enforced else {"enforced": False,
                                                                                    "checksum": None}
            return light(node.resource_type, node.checksum, node.raw_code, node.config, node.unrendered_config,
                         node.description, {k: c.description for k, c in node.columns.items()},
                         node.test_metadata.kwargs if node.test_metadata is not None else None, contract)
        if isinstance(node, SourceDefinition):
            return art.source_dict(node)
        if isinstance(node, Exposure):
            return art.exposure_dict(node)
        if isinstance(node, GenericNode):  # as manifest.json writes it (target-made fields are not compared)
            deps = list(node.depends_on_nodes)
            if node.resource_type == "metric":
                return sem.metric_dict(node, deps)
            if node.resource_type == "semantic_model":
                return sem.semantic_model_dict(node, deps, None)
            if node.resource_type == "saved_query":
                return sem.saved_query_dict(node, deps, {})
            if node.resource_type == "unit_test":
                return sem.unit_test_dict(node, deps, None, None)
            return art.generic_dict(node)
        return None

    def macro_deps(uid: str) -> tuple[str, ...]:
        node = manifest.nodes.get(uid)
        if node is not None:
            return tuple(node.depends_on_macros)
        macro = manifest.macros.get(uid)
        return tuple(macro.depends_on_macros) if macro is not None else ()

    return Comparison(state, current, manifest.macros, macro_deps, manifest.nodes.get)


def select(parsed: Parsed, select: Iterable[str] | None = None, exclude: Iterable[str] | None = None,
           selector: str | None = None, resource_types: Iterable[str] | None = None,
           indirect_selection: str = "eager", state: Any = None) -> set[str]:
    """The selected unique ids; `state`: another run's artifacts (a mason.graph.state.State) for the
    state:, result: and source_status: methods."""
    from mason.graph.selector import (
        Difference,
        Intersection,
        Selector,
        parse_cli,
        parse_union,
        parse_yaml_definition,
    )
    from mason.project.selectors import default_selector

    selectors = parsed.loaded.selectors
    if selector is None and not select and not exclude:
        selector = default_selector(selectors)
    if selector is not None:
        if selector not in selectors:
            raise UsageError(f"selector {selector!r} not found in selectors.yml", hint=did_you_mean(selector, selectors))
        spec: Any = parse_yaml_definition(selectors[selector]["definition"], selectors, selector)
        if select:
            spec = Intersection((spec, parse_union(select)))
        if exclude:
            spec = Difference(spec, parse_union(exclude))
    else:
        spec = parse_cli(select, exclude)
    compared = comparison(parsed, state) if state is not None else None
    ids = Selector(parsed.manifest, previous_state=compared, target_dir=parsed.loaded.target_dir).select(
        spec, indirect_selection, resource_types)
    if compared is not None and compared.breaking_changes:
        _breaking_changes(compared.breaking_changes)
    return ids


class BreakingChange(MasonError):
    """A versioned model's enforced contract broken without a new version (dbt exits 2 on it too)."""

    exit_code = 2


def _breaking_changes(found: dict[str, tuple[list[str], bool, str]]) -> None:
    """A versioned model's contract broken without a new version stops the command; an unversioned
    model's is a warning (as dbt)."""
    import sys

    from mason.artifacts.writer import scrub

    errors = []
    for uid, (problems, versioned, path) in sorted(found.items()):
        text = "\n".join(f"    - {p}" for p in problems)
        if versioned:
            errors.append(f"{uid} ({path}):\n{text}")
        else:
            sys.stderr.write(scrub(f"[WARNING]: breaking change to the enforced contract of unversioned model "
                                   f"{uid} ({path}), compared with --state:\n{text}\n"))
    if errors:
        raise BreakingChange("breaking change to the enforced contract of a versioned model, compared with "
                           "--state:\n  " + "\n  ".join(errors),
                           hint="make the change additive (new columns, looser constraints), or add a new version "
                                "of the model (versions: [{v: 2}]) and keep the old one as it was")


def state_of(session: Any, opts: dict[str, Any], key: str = "state") -> Any:
    """The State of `--state` (or DBT_STATE / MASON_STATE), or None."""
    from mason.graph.state import State, state_path

    path = state_path(opts.get(key), session.env)
    if path is None:
        return None
    if not path.is_absolute():
        path = Path(session.project_dir) / path if not path.exists() else path.resolve()
    return State(path)


# ------------------------------------------------------------ shared by the commands (api/*.py)
ALL_TYPES = ("model", "seed", "snapshot", "test", "unit_test", "source", "analysis", "exposure", "metric",
             "semantic_model", "saved_query")


def parse_and_write(session: Any, light: bool = False, prepared: Prepared | None = None) -> Parsed:
    parsed = parse(session, light=light, prepared=prepared)
    register_secrets(parsed.loaded.target.secrets)
    if not (parsed.unchanged and (parsed.loaded.target_dir / "manifest.json").is_file()):
        write_artifacts(session, parsed)
    return parsed


def relation_names(parsed: Parsed, only: Iterable[str] | None = None) -> dict[str, str | None]:
    from mason.adapters.relation import relation_factory

    make = relation_factory(parsed.manifest.adapter_type, parsed.loaded.project.quoting)
    out: dict[str, str | None] = {}
    nodes = parsed.manifest.nodes
    items = nodes.items() if only is None else ((uid, nodes[uid]) for uid in only if uid in nodes)
    for uid, node in items:
        if node.resource_type in ("model", "seed", "snapshot") and not node.is_ephemeral:
            out[uid] = make(node.database, node.schema, node.alias).render()
        else:
            out[uid] = None
    return out


def write_artifacts(session: Any, parsed: Parsed, compiled: dict[str, dict[str, Any]] | None = None) -> None:
    from mason.artifacts.manifest import manifest_dict, patch_manifest, semantic_manifest, write_manifest

    target_dir = parsed.loaded.target_dir
    manifest = parsed.manifest
    # nothing compiled and the nodes as last written (unchanged, or a few re-parsed): patch manifest.json
    changed = parsed.patched if parsed.patched is not None else frozenset() if parsed.unchanged else None
    if not compiled and changed is not None:
        needed = set(changed) | {d for g in manifest.semantic_models.values() for d in g.depends_on_nodes}
        data = manifest_dict(manifest, relation_names(parsed, needed), session.invocation_id, session.started_at,
                             dict(session.env), None, parsed.loaded.target.context(), only=changed)
        if patch_manifest(target_dir / "manifest.json", data, list(manifest.nodes)):
            write_json(target_dir / "semantic_manifest.json", semantic_manifest(manifest))
            return
    if parsed.light:  # slim nodes cannot be serialized: read the (patched) full cache and write it all
        parsed = parse(session)
        manifest = parsed.manifest
    data = manifest_dict(manifest, relation_names(parsed), session.invocation_id, session.started_at,
                         dict(session.env), compiled, parsed.loaded.target.context())
    write_manifest(target_dir / "manifest.json", data, compiled=bool(compiled))
    write_json(target_dir / "semantic_manifest.json", semantic_manifest(parsed.manifest))


def resource_types(opts: dict[str, Any], default: tuple[str, ...]) -> set[str]:
    wanted: set[str] = set()
    for value in opts.get("resource_type") or ():
        for item in value.split(","):
            item = item.strip()
            if item == "all":
                wanted |= set(ALL_TYPES)
            elif item == "default":
                wanted |= set(default)
            elif item in ALL_TYPES:
                wanted.add(item)
            else:
                raise UsageError(f"unknown resource type {item!r}", hint=f"use one of: {', '.join(ALL_TYPES)}")
    if not wanted:
        wanted = set(default)
    for value in opts.get("exclude_resource_type") or ():
        for item in value.split(","):
            wanted.discard(item.strip())
    return wanted


def selected(parsed: Parsed, session: Any, opts: dict[str, Any], default_types: tuple[str, ...]) -> set[str]:
    return select(
        parsed,
        select=opts.get("select") or None,
        exclude=opts.get("exclude") or None,
        selector=opts.get("selector"),
        resource_types=resource_types(opts, default_types),
        indirect_selection=opts.get("indirect_selection") or session.flags.indirect_selection,
        state=state_of(session, opts),
    )
