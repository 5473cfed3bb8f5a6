"""Binding refs and sources to unique_ids, the parent/child maps, and cycle reports."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from mason.errors import CompileError, MasonError, ParseErrors, Span, did_you_mean
from mason.nodes.fast import evolve
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Exposure, GenericNode, Node, RefCall


class RefResolver:
    """ref(name[, package][, version]) → unique_id, with dbt's lookup order."""

    def __init__(self, manifest: Manifest) -> None:
        self.root = manifest.project_name
        self.by_name: dict[str, list[Node]] = {}
        refable = getattr(manifest.nodes, "refable", None)  # LazyNodes: without loading the tests
        for node in (refable() if refable is not None else manifest.nodes.values()):
            if node.resource_type in ("model", "seed", "snapshot"):
                self.by_name.setdefault(node.name, []).append(node)
        self.disabled: dict[str, Any] = {}
        for lst in manifest.disabled.values():
            for node in lst:
                if getattr(node, "resource_type", None) in ("model", "seed", "snapshot"):
                    self.disabled[node.name] = node
        # (source_name, table) -> {package: unique_id}, in the manifest's order: several packages may declare
        # the same source table, and which one a source() call binds to depends on the caller's package
        self.sources: dict[tuple[str, str], dict[str, str]] = {}
        for s in manifest.sources.values():
            self.sources.setdefault((s.source_name, s.name), {}).setdefault(s.package_name, s.unique_id)
        self.restricted = manifest.restrict_access
        self.packages = frozenset(manifest.project_packages)
        self.upstream = manifest.upstream

    def resolve(self, ref: RefCall, calling_package: str) -> str | None:
        node = self.find(ref, calling_package)
        return node.unique_id if node is not None else None

    def find(self, ref: RefCall, calling_package: str) -> Node | None:
        """The node a ref() binds to (before access checks), or None."""
        candidates = self.by_name.get(ref.name, [])
        if len(candidates) == 1 and ref.package is None and ref.version is None:
            only = candidates[0]
            if only.version is None or str(only.version) == str(only.latest_version):
                return only
            return None
        if ref.package is not None:
            candidates = [n for n in candidates if n.package_name == ref.package]
        if not candidates:
            return None
        if ref.version is not None:
            for n in candidates:
                if n.version is not None and str(n.version) == str(ref.version).strip():
                    return n
            return None
        # unpinned: the unversioned node, or the latest version
        def rank(n: Node) -> tuple[int, int]:
            pkg_rank = 0 if n.package_name == self.root else 1 if n.package_name == calling_package else 2
            if n.version is None:
                return (pkg_rank, 0)
            return (pkg_rank, 0 if str(n.version) == str(n.latest_version) else 1)

        best = min(candidates, key=rank)
        if best.version is not None and str(best.version) != str(best.latest_version):
            return None
        return best

    def resolve_source(self, source_name: str, table: str, calling_package: str | None = None) -> str | None:
        """dbt's order for source(): the root project's table, then the calling package's, then any
        package's (the first declared)."""
        by_package = self.sources.get((source_name, table))
        if not by_package:
            return None
        if len(by_package) == 1:
            return next(iter(by_package.values()))
        uid = by_package.get(self.root)
        if uid is None and calling_package is not None:
            uid = by_package.get(calling_package)
        return uid if uid is not None else next(iter(by_package.values()))


def _line_of(raw: str, needle: str) -> int | None:
    m = re.search(needle, raw)
    return raw.count("\n", 0, m.start()) + 1 if m else None


def _ref_span(node: Any, ref: RefCall) -> Span:
    raw = getattr(node, "raw_code", "") or ""
    line = _line_of(raw, r"ref\(\s*['\"](?:\w+['\"]\s*,\s*['\"])?" + re.escape(ref.name))
    return Span(node.original_file_path, line)


def _ref_error(node: Node | Exposure | GenericNode, ref: RefCall, resolver: RefResolver) -> MasonError:
    span = _ref_span(node, ref)
    if ref.name in resolver.disabled:
        return CompileError(f"{node.unique_id} depends on {ref.name!r}, which is disabled", span,
                            "enable that model or remove the ref")
    target = f"{ref.package}.{ref.name}" if ref.package else ref.name
    if ref.version is not None:
        target += f" (version {ref.version})"
    if ref.package is not None and ref.package in resolver.upstream:
        return upstream_ref_error(node, ref, resolver.upstream[ref.package], span)
    if ref.package is not None and ref.package not in resolver.packages:
        close = did_you_mean(ref.package, sorted({*resolver.packages, *resolver.upstream}))
        return CompileError(
            f"{node.unique_id} refers to {target!r}, but there is no package or project named {ref.package!r}",
            span, (f"{close} " if close else "")
            + "a package is installed from packages.yml (mason deps); another project is declared in "
              f"dependencies.yml: `projects: [{{name: {ref.package}}}]` (docs/mesh.md)")
    for project in resolver.upstream.values():  # an unqualified ref to another project's model
        hidden = [m for m in project.named(ref.name) if m.access != "public"]
        if hidden and ref.package is None and ref.name not in resolver.by_name:
            return upstream_ref_error(node, ref, project, span)
    return CompileError(f"{node.unique_id} refers to {target!r}, which was not found", span,
                        did_you_mean(ref.name, resolver.by_name) or "check the name in ref()")


def upstream_ref_error(node: Any, ref: RefCall, project: Any, span: Span) -> MasonError:
    """A ref into another project that found no public model: say why, naming both files."""
    models = project.named(ref.name)
    where = f"{project.name}.{ref.name}" + (f" (version {ref.version})" if ref.version is not None else "")
    if not models:
        known = sorted({m.name for m in project.models.values() if m.access == "public"})
        return CompileError(f"{node.unique_id} refers to {where!r}, but project {project.name}'s manifest "
                            f"({project.location}) has no model named {ref.name!r}", span,
                            did_you_mean(ref.name, known) or
                            f"its public models: {', '.join(known[:12]) or 'none'}")
    if ref.version is not None:
        wanted = [m for m in models if m.version is not None and str(m.version) == str(ref.version).strip()]
        if not wanted:
            versions = ", ".join(sorted(str(m.version) for m in models if m.version is not None)) or "none"
            return CompileError(f"{node.unique_id} refers to {where!r}, which was not found: "
                                f"{project.name}.{ref.name} has versions {versions}", span,
                                "pin one of these versions, or leave v= out for the latest")
        models = wanted
    else:
        latest = [m for m in models if m.version is None or str(m.version) == str(m.latest_version)]
        models = latest or models
    model = models[0]
    if model.access == "public":  # public in the manifest but not bound here (e.g. ephemeral: no relation)
        return CompileError(f"{node.unique_id} refers to {where!r} ({project.describe(model)}), which has no "
                            f"relation to read (materialized: {model.materialized})", span,
                            "only a public model built as a table, view or incremental can be read from another "
                            "project")
    owner = f" of group {model.group!r}" if model.access == "private" and model.group else ""
    return CompileError(
        f"{node.unique_id} refers to {model.unique_id}, which is {model.access}{owner} in project "
        f"{project.name} (declared in {project.describe(model)}); only public models can be referenced from "
        "another project", span,
        f"ask {project.name}'s owners to make it `access: public` (with a contract), or use one of its public "
        "models")


def _declared(target: Any, root: str) -> str:
    """Where a node is declared: its file (in its package, if not the project's), and the properties file
    that set its access, if another."""
    where = target.original_file_path or target.package_name
    patch = (getattr(target, "patch_path", None) or "").split("://")[-1]
    if patch and patch != where:
        where += f", properties in {patch}"
    return where if target.package_name == root else f"package {target.package_name}: {where}"


def _access_error(node: Any, ref: RefCall, target: Any, resolver: RefResolver) -> MasonError | None:
    """dbt's model access rules: a private model only from its own group, a protected one only from its own
    package when that package says `restrict-access: true`."""
    if node.resource_type == "unit_test":
        return None
    if target.access == "private":
        group = getattr(node, "group", None)
        if group is None and isinstance(getattr(node, "config", None), dict):
            group = node.config.get("group")
        if target.group and group == target.group:
            return None
        mine = f"group {group!r}" if group else "no group"
        return CompileError(
            f"{node.unique_id} refers to {target.unique_id} ({_declared(target, resolver.root)}), which is private to group "
            f"{target.group or ''!r}; {node.unique_id} is in {mine}", _ref_span(node, ref),
            f"only resources of group {target.group!r} may ref it: put this one in that group, or make the model "
            "protected or public" if target.group else "give the private model a group (group: <name>)")
    if target.package_name != node.package_name and target.package_name in resolver.restricted:
        return CompileError(
            f"{node.unique_id} refers to {target.unique_id} ({_declared(target, resolver.root)}), which is protected to package "
            f"{target.package_name!r} (its dbt_project.yml has restrict-access: true)", _ref_span(node, ref),
            "only that package's own resources may ref its protected models: ask for it to be made public")
    return None


def _deprecation_warning(node: Any, ref: RefCall, target: Any) -> str:
    from mason.parse.yaml_fields import deprecation_passed

    date = str(target.deprecation_date)
    passed = deprecation_passed(date)
    text = (f"{_ref_span(node, ref)}: {node.unique_id} refers to {target.search_name} ({target.unique_id}), "
            + (f"which was deprecated on {date}" if passed else f"which is slated for deprecation on {date}"))
    latest = target.latest_version
    if target.version is not None and latest is not None and str(latest) != str(target.version):
        text += (f"; a newer version of {target.name!r} is available, " + ("migrate now" if passed else "try it out")
                 + f": {{{{ ref('{target.package_name}', '{target.name}', v='{latest}') }}}}")
    return text


def _dependencies(node: Any, resolver: RefResolver, errors: list[MasonError],
                  warnings: list[str] | None = None) -> tuple[str, ...]:
    deps: list[str] = []
    for source_name, table in getattr(node, "sources", ()):
        uid = resolver.resolve_source(source_name, table, node.package_name)
        if uid is None:
            raw = getattr(node, "raw_code", "") or ""
            line = _line_of(raw, r"source\(\s*['\"]" + re.escape(source_name))
            known = [f"{s}.{t}" for s, t in resolver.sources]
            errors.append(CompileError(
                f"{node.unique_id} uses source {source_name}.{table}, which was not found",
                Span(node.original_file_path, line),
                did_you_mean(f"{source_name}.{table}", known) or "declare it under sources: in a .yml file"))
        else:
            deps.append(uid)
    for ref in node.refs:
        target = resolver.find(ref, node.package_name)
        if target is None:
            errors.append(_ref_error(node, ref, resolver))
            continue
        access = target.access
        if access == "private" or (access == "protected" and resolver.restricted):
            problem = _access_error(node, ref, target, resolver)
            if problem is not None:
                errors.append(problem)
        if target.deprecation_date is not None and warnings is not None and node.resource_type != "test":
            warnings.append(_deprecation_warning(node, ref, target))
        deps.append(target.unique_id)
    return tuple(dict.fromkeys(deps))


def rebind(manifest: Manifest, replaced: dict[str, Node], warnings: list[str] | None = None) -> Manifest:
    """Swap in re-parsed nodes and update only their edges (partial parsing)."""
    overlay = getattr(manifest.nodes, "overlay", None)  # LazyNodes (a light re-parse) keep the tests pickled
    nodes = overlay(replaced) if overlay is not None else {**manifest.nodes, **replaced}
    draft = replace(manifest, nodes=nodes)
    resolver = RefResolver(draft)
    errors: list[MasonError] = []
    parent_map = dict(manifest.parent_map)
    child_map = dict(manifest.child_map)
    for uid, node in replaced.items():
        deps = _dependencies(node, resolver, errors, warnings)
        nodes[uid] = evolve(node, depends_on_nodes=deps)
        for old_parent in parent_map.get(uid, ()):
            child_map[old_parent] = [c for c in child_map.get(old_parent, ()) if c != uid]
        parent_map[uid] = sorted(deps)
        for parent in deps:
            child_map[parent] = sorted({*child_map.get(parent, ()), uid})
    if errors:
        raise ParseErrors(errors) if len(errors) > 1 else errors[0]
    bound = replace(manifest, nodes=nodes, parent_map=parent_map, child_map=child_map)
    check_cycles(bound, roots=sorted(replaced))  # a new cycle must pass through a re-parsed node
    return bound


def bind(manifest: Manifest, warnings: list[str] | None = None) -> Manifest:
    """Fill depends_on for every resource and compute the parent and child maps.

    The manifest must come straight from the parser: its nodes are completed in place (depends_on_nodes
    is the one field set after construction, before any other stage sees them). Copying 20,000 frozen
    nodes to set one field cost a second on large projects.
    """
    resolver = RefResolver(manifest)
    errors: list[MasonError] = []
    set_field = object.__setattr__

    def complete(table: dict[str, Any]) -> dict[str, Any]:
        for node in table.values():
            set_field(node, "depends_on_nodes", _dependencies(node, resolver, errors, warnings))
        return table

    nodes = complete(dict(manifest.nodes))
    exposures = complete(dict(manifest.exposures))
    semantic_models = complete(dict(manifest.semantic_models))
    unit_tests = complete(dict(manifest.unit_tests))
    metrics, saved_queries = _semantic_dependencies(manifest, semantic_models)
    if errors:
        raise ParseErrors(errors) if len(errors) > 1 else errors[0]

    parent_map: dict[str, list[str]] = {}
    child_map: dict[str, list[str]] = {}
    all_ids: list[str] = [*nodes, *manifest.sources, *exposures, *metrics, *semantic_models, *saved_queries,
                          *unit_tests]
    for uid in all_ids:
        parent_map[uid] = []
        child_map[uid] = []
    for table in (nodes, exposures, semantic_models, unit_tests, metrics, saved_queries):
        for uid, node in table.items():
            parent_map[uid] = sorted(node.depends_on_nodes)
            for dep in node.depends_on_nodes:
                child_map.setdefault(dep, []).append(uid)
    for uid in child_map:
        child_map[uid].sort()
    bound = replace(manifest, nodes=nodes, exposures=exposures, semantic_models=semantic_models,
                    unit_tests=unit_tests, parent_map=parent_map, child_map=child_map)
    check_cycles(bound)
    return bound


def check_cycles(manifest: Manifest, roots: list[str] | None = None) -> None:
    """Raise on a cycle among nodes; with `roots`, only cycles through those nodes are looked for."""
    nodes = manifest.nodes

    class _Parents(dict[str, list[str]]):
        def __missing__(self, uid: str) -> list[str]:
            node = nodes.get(uid)
            found = [p for p in node.depends_on_nodes if p in nodes] if node is not None else []
            self[uid] = found
            return found

    parents = _Parents()
    state: dict[str, int] = {}
    for start in (sorted(nodes) if roots is None else roots):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            uid, idx = stack.pop()
            if idx == 0:
                if state.get(uid) == 2:
                    continue
                state[uid] = 1
                path.append(uid)
            deps = parents[uid]
            if idx < len(deps):
                stack.append((uid, idx + 1))
                dep = deps[idx]
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep]
                    raise _cycle_error(manifest, cycle)
                if not state.get(dep):
                    stack.append((dep, 0))
            else:
                state[uid] = 2
                path.pop()


def _cycle_error(manifest: Manifest, cycle: list[str]) -> MasonError:
    # cycle lists a node then its parent...; show it in data-flow order
    flow = list(reversed(cycle))
    lines = []
    for uid in flow[:-1]:
        node = manifest.nodes[uid]
        lines.append(f"{uid} ({node.original_file_path})")
    arrow = "\n    -> ".join(lines + [flow[-1]])
    first = manifest.nodes[flow[0]]
    return CompileError(f"found a cycle in the DAG:\n    {arrow}", Span(first.original_file_path),
                        "break the cycle by removing one of these ref() calls")


def _semantic_dependencies(manifest: Manifest, semantic_models: dict[str, GenericNode]) -> tuple[dict[str, GenericNode], dict[str, GenericNode]]:
    """Metrics depend on the semantic models holding their measures (or on other metrics); saved queries
    on their metrics."""
    measure_owner: dict[str, str] = {}
    for uid, sm in semantic_models.items():
        for measure in sm.data.get("measures") or []:
            if isinstance(measure, dict) and measure.get("name"):
                measure_owner[str(measure["name"])] = uid
    metric_ids = {m.name: uid for uid, m in manifest.metrics.items()}

    def names(value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [str(value.get("name"))] if value.get("name") else []
        if isinstance(value, list):
            return [n for v in value for n in names(v)]
        return []

    metrics: dict[str, GenericNode] = {}
    for uid, metric in manifest.metrics.items():
        params = metric.data.get("type_params") or {}
        deps: list[str] = []
        for measure in names(params.get("measure")):
            if measure in measure_owner:
                deps.append(measure_owner[measure])
        for key in ("numerator", "denominator", "metrics", "base_metric", "conversion_metric"):
            for name in names(params.get(key)):
                if name in metric_ids:
                    deps.append(metric_ids[name])
        conv = params.get("conversion_type_params") or {}
        for measure in names(conv.get("base_measure")) + names(conv.get("conversion_measure")):
            if measure in measure_owner:
                deps.append(measure_owner[measure])
        metrics[uid] = evolve(metric, depends_on_nodes=tuple(sorted(dict.fromkeys(deps))))
    saved: dict[str, GenericNode] = {}
    for uid, sq in manifest.saved_queries.items():
        params = sq.data.get("query_params") or {}
        deps = [metric_ids[n] for n in names(params.get("metrics")) if n in metric_ids]
        saved[uid] = evolve(sq, depends_on_nodes=tuple(sorted(dict.fromkeys(deps))))
    return metrics, saved
