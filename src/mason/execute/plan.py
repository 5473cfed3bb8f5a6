"""The execution plan: which nodes run, what each waits for, and what a failure skips. Plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mason.nodes.constraints import source_contracted
from mason.nodes.manifest import Manifest

COMMAND_TYPES = {
    "run": ("model",),
    "seed": ("seed",),
    "snapshot": ("snapshot",),
    "test": ("test", "unit_test"),
    "build": ("model", "seed", "snapshot", "test", "unit_test"),
    "retry": ("model", "seed", "snapshot", "test", "unit_test"),
    "source_check": ("source",),  # mason source check: the source contracts alone
}
# commands whose plan checks the contracts of the sources it reads (source_contracts.py)
SOURCE_CHECKS = frozenset({"run", "build", "retry", "source_check"})


@dataclass(frozen=True)
class Plan:
    order: tuple[str, ...]  # a topological order (for display numbering)
    deps: dict[str, frozenset[str]]  # node -> nodes it waits for (within the plan)
    dependents: dict[str, frozenset[str]]  # node -> nodes that wait for it
    depth: dict[str, int]
    tested: dict[str, frozenset[str]]  # build: node -> tests attached to it (run right after it)

    def __len__(self) -> int:
        return len(self.order)

    def descendants(self, uid: str) -> set[str]:
        out: set[str] = set()
        stack = [uid]
        while stack:
            for child in self.dependents.get(stack.pop(), ()):
                if child not in out:
                    out.add(child)
                    stack.append(child)
        return out


def build_plan(manifest: Manifest, selected: Iterable[str], build_mode: bool = False,
               source_checks: bool = False) -> Plan:
    """Restrict the DAG to `selected`, keeping order through unselected nodes (as dbt's subset graph does).
    With `source_checks`, a source with an enforced contract is a node of the plan (its check) when it is
    selected or a selected node reads it; what reads it waits for it."""
    selected = set(selected)
    chosen = {uid for uid in selected if uid in manifest.nodes or uid in manifest.unit_tests}
    if source_checks:
        chosen |= _contracted_sources(manifest, selected, chosen)
    parents_of: dict[str, tuple[str, ...]] = {}
    for uid in chosen:
        node = manifest.nodes.get(uid) or manifest.unit_tests.get(uid)
        parents_of[uid] = tuple(node.depends_on_nodes) if node is not None else ()

    # A source that reads a relation this same run builds (a seed loaded into the source's schema, say)
    # waits for that node: dbt leaves this to luck, we order it.
    built: dict[tuple[str, str, str], str] = {}
    for uid in chosen:
        node = manifest.nodes.get(uid)
        if node is not None and node.resource_type in ("seed", "model", "snapshot") and not node.is_ephemeral:
            built[((node.database or "").lower(), (node.schema or "").lower(), (node.alias or "").lower())] = uid
    source_parents: dict[str, tuple[str, ...]] = {}
    if built:
        for sid, src in manifest.sources.items():
            key = ((src.database or "").lower(), src.schema.lower(), src.identifier.lower())
            if key in built:
                source_parents[sid] = (built[key],)

    memo: dict[str, frozenset[str]] = {}

    def selected_ancestors(uid: str) -> frozenset[str]:
        """Nearest selected ancestors of an unselected node (bridging through it)."""
        if uid in memo:
            return memo[uid]
        memo[uid] = frozenset()
        found: set[str] = set()
        parents: tuple[str, ...] | list[str] = source_parents.get(uid) or manifest.parent_map.get(uid) or ()
        for parent in parents:
            if parent in chosen:
                found.add(parent)
            else:
                found |= selected_ancestors(parent)
        memo[uid] = frozenset(found)
        return memo[uid]

    deps: dict[str, set[str]] = {}
    for uid in chosen:
        waits: set[str] = set()
        if uid in manifest.sources:  # a source check waits for a node of the run that builds its relation
            deps[uid] = {p for p in selected_ancestors(uid) if p != uid}
            continue
        for parent in manifest.parent_map.get(uid, parents_of.get(uid, ())):
            if parent in chosen:
                waits.add(parent)
            else:
                waits |= selected_ancestors(parent)
        waits.discard(uid)
        deps[uid] = waits

    tested: dict[str, set[str]] = {}
    if build_mode:
        _add_test_edges(manifest, chosen, deps, tested)

    dependents: dict[str, set[str]] = {uid: set() for uid in chosen}
    for uid, waits in deps.items():
        for w in waits:
            dependents[w].add(uid)
    order, depth = _topological(deps, dependents)
    return Plan(tuple(order), {k: frozenset(v) for k, v in deps.items()},
                {k: frozenset(v) for k, v in dependents.items()}, depth,
                {k: frozenset(v) for k, v in tested.items()})


def _contracted_sources(manifest: Manifest, selected: set[str], chosen: set[str]) -> set[str]:
    out = {uid for uid in selected if uid in manifest.sources and source_contracted(manifest.sources[uid])}
    for uid in chosen:
        node = manifest.nodes.get(uid)
        for parent in node.depends_on_nodes if node is not None else ():
            src = manifest.sources.get(parent)
            if src is not None and parent not in out and source_contracted(src):
                out.add(parent)
    return out


def _is_test(manifest: Manifest, uid: str) -> bool:
    node = manifest.nodes.get(uid)
    return (node is not None and node.resource_type == "test") or uid in manifest.unit_tests


def _add_test_edges(manifest: Manifest, chosen: set[str], deps: dict[str, set[str]],
                    tested: dict[str, set[str]]) -> None:
    """In build, a node's children also wait for that node's tests; unit tests run before their model."""
    ancestors_cache: dict[str, set[str]] = {}

    def ancestors(uid: str) -> set[str]:
        if uid not in ancestors_cache:
            seen: set[str] = set()
            stack = list(deps.get(uid, ()))
            while stack:
                cur = stack.pop()
                if cur not in seen:
                    seen.add(cur)
                    stack.extend(deps.get(cur, ()))
            ancestors_cache[uid] = seen
        return ancestors_cache[uid]

    # children as they stand before test edges are added (those only ever point at a test's children)
    children: dict[str, list[str]] = {}
    for child, waits in deps.items():
        for parent in waits:
            children.setdefault(parent, []).append(child)
    # a source is no node of the plan, but its tests still hold back what reads it, as in dbt
    source_parents: dict[str, list[str]] = {}
    for uid in chosen:
        node = manifest.nodes.get(uid)
        for parent in node.depends_on_nodes if node is not None else ():
            if parent in manifest.sources:
                if not _is_test(manifest, uid):
                    children.setdefault(parent, []).append(uid)
                else:
                    source_parents.setdefault(uid, []).append(parent)

    for uid in sorted(chosen):
        if uid in manifest.unit_tests:
            model = next(iter(manifest.unit_tests[uid].depends_on_nodes), None)
            if model in chosen:
                deps[model].add(uid)
                deps[uid] = {d for d in deps[uid] if d != model}
                deps[uid] |= {d for d in deps[model] if d != uid and not _is_test(manifest, d)}
            continue
        if not _is_test(manifest, uid):
            continue
        parents = deps[uid] | set(source_parents.get(uid, ()))
        # a child of one parent may be another parent's ancestor (relationships tests): it can't wait
        test_ancestors = ancestors(uid) if len(parents) > 1 else ()
        for parent in parents:
            tested.setdefault(parent, set()).add(uid)
            for child in children.get(parent, ()):
                if child == uid or child in test_ancestors or _is_test(manifest, child):
                    continue
                deps[child].add(uid)


def _topological(deps: dict[str, set[str]], dependents: dict[str, set[str]]) -> tuple[list[str], dict[str, int]]:
    remaining = {uid: len(w) for uid, w in deps.items()}
    depth: dict[str, int] = {}
    ready = sorted(uid for uid, n in remaining.items() if n == 0)
    for uid in ready:
        depth[uid] = 0
    order: list[str] = []
    while ready:
        nxt: list[str] = []
        for uid in ready:
            order.append(uid)
            for child in dependents.get(uid, ()):
                remaining[child] -= 1
                depth[child] = max(depth.get(child, 0), depth[uid] + 1)
                if remaining[child] == 0:
                    nxt.append(child)
        ready = sorted(nxt)
    if len(order) != len(deps):
        stuck = sorted(uid for uid, n in remaining.items() if n > 0)
        from mason.errors import CompileError

        raise CompileError("the execution graph has a cycle between: " + ", ".join(stuck[:10]))
    return order, depth
