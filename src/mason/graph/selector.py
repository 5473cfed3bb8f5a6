"""dbt's node selection: the spec grammar, methods, graph operators, YAML selectors and indirect test selection.

A selection is a tree of Union / Intersection / Difference over Criteria. Each criterion yields a pair of
sets (direct, indirect); tests join through their parents following the indirect-selection mode.
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from mason.errors import ProjectError, UsageError, did_you_mean
from mason.nodes.manifest import AnyNode, Manifest

INDIRECT_MODES = ("eager", "cautious", "buildable", "empty")
_SPEC = re.compile(r"^(?P<childrens_parents>@)?(?P<parents>(?P<parents_depth>\d*)\+)?(?P<body>.*?)(?P<children>\+(?P<children_depth>\d*))?$")


@dataclass(frozen=True)
class Criteria:
    method: str
    value: str
    parents: bool = False
    parents_depth: int | None = None
    children: bool = False
    children_depth: int | None = None
    childrens_parents: bool = False
    indirect_selection: str | None = None
    raw: str = ""


@dataclass(frozen=True)
class Union:
    items: tuple[Any, ...]
    indirect_selection: str | None = None


@dataclass(frozen=True)
class Intersection:
    items: tuple[Any, ...]
    indirect_selection: str | None = None


@dataclass(frozen=True)
class Difference:
    include: Any
    exclude: Any


def parse_criteria(token: str, indirect: str | None = None) -> Criteria:
    match = _SPEC.match(token.strip())
    if match is None or not match.group("body"):
        raise UsageError(f"invalid selector {token!r}", hint="see dbt's node selection syntax: [@][N+]method:value[+N]")
    body = match.group("body")
    if match.group("childrens_parents") and (match.group("parents") or match.group("children")):
        raise UsageError(f"invalid selector {token!r}: '@' cannot be combined with '+'")
    if ":" in body:
        method, _, value = body.partition(":")
    else:
        value = body
        if "/" in body or "\\" in body:
            method = "path"
        elif body.lower().endswith((".sql", ".py", ".csv")):
            method = "file"
        else:
            method = "fqn"
    pd = match.group("parents_depth")
    cd = match.group("children_depth")
    return Criteria(
        method=method, value=value,
        parents=bool(match.group("parents")), parents_depth=int(pd) if pd else None,
        children=bool(match.group("children")), children_depth=int(cd) if cd else None,
        childrens_parents=bool(match.group("childrens_parents")), indirect_selection=indirect, raw=token,
    )


def _tokens(values: Iterable[str]) -> list[str]:
    return [t for v in values for t in v.split()]


def parse_union(values: Iterable[str], indirect: str | None = None) -> Union:
    """Space-separated (or repeated) specs form a union; commas inside one spec intersect."""
    items: list[Any] = []
    for token in _tokens(values):
        parts = [p for p in token.split(",") if p]
        crits = tuple(parse_criteria(p, indirect) for p in parts)
        items.append(crits[0] if len(crits) == 1 else Intersection(crits, indirect))
    return Union(tuple(items), indirect)


_EVERYTHING = ("fqn:*", "source:*", "exposure:*", "metric:*", "semantic_model:*", "saved_query:*", "unit_test:*")


def parse_cli(select: Iterable[str] | None, exclude: Iterable[str] | None, indirect: str | None = None) -> Any:
    """--select / --exclude values; no --select means everything."""
    include = parse_union(select, indirect) if select else parse_union(_EVERYTHING, indirect)
    if exclude and _tokens(exclude):
        return Difference(include, parse_union(exclude, indirect))
    return include


# ------------------------------------------------------------------------------------- YAML selectors
_DICT_KEYS = {"method", "value", "parents", "parents_depth", "children", "children_depth", "childrens_parents",
              "indirect_selection", "exclude", "greedy"}


def parse_yaml_definition(defn: Any, selectors: Mapping[str, Any], name: str, seen: tuple[str, ...] = ()) -> Any:
    if isinstance(defn, str):
        return parse_cli([defn], None)
    if not isinstance(defn, dict):
        raise ProjectError(f"selector {name!r}: cannot read definition {defn!r}")
    if "union" in defn or "intersection" in defn:
        key = "union" if "union" in defn else "intersection"
        items: list[Any] = []
        excludes: list[Any] = []
        for item in defn[key] or []:
            if isinstance(item, dict) and set(item) == {"exclude"}:
                excludes.extend(item["exclude"] or [])
            else:
                items.append(parse_yaml_definition(item, selectors, name, seen))
        indirect = defn.get("indirect_selection")
        combined: Any = Union(tuple(items), indirect) if key == "union" else Intersection(tuple(items), indirect)
        if excludes:
            combined = Difference(combined, Union(tuple(parse_yaml_definition(e, selectors, name, seen) for e in excludes)))
        return combined
    if "method" in defn:
        method, value = str(defn["method"]), str(defn.get("value", ""))
    else:
        extra = [k for k in defn if k not in _DICT_KEYS]
        if len(extra) != 1:
            raise ProjectError(f"selector {name!r}: cannot read {defn!r}",
                               hint="use {method: tag, value: nightly} or the shorthand {tag: nightly}")
        method, value = extra[0], str(defn[extra[0]])
    if method == "selector":
        if value in seen:
            raise ProjectError(f"selector {name!r} refers to itself through {' -> '.join((*seen, value))}")
        if value not in selectors:
            raise ProjectError(f"selector {name!r} refers to unknown selector {value!r}",
                               hint=did_you_mean(value, selectors))
        return parse_yaml_definition(selectors[value]["definition"], selectors, value, (*seen, value))
    crit = Criteria(
        method=method, value=value,
        parents=bool(defn.get("parents")), parents_depth=defn.get("parents_depth"),
        children=bool(defn.get("children")), children_depth=defn.get("children_depth"),
        childrens_parents=bool(defn.get("childrens_parents")), indirect_selection=defn.get("indirect_selection"),
        raw=f"{method}:{value}",
    )
    if defn.get("exclude"):
        return Difference(crit, Union(tuple(parse_yaml_definition(e, selectors, name, seen) for e in defn["exclude"])))
    return crit


# ------------------------------------------------------------------------------------- evaluation
@dataclass
class Graph:
    manifest: Manifest
    parents: Mapping[str, list[str]]
    children: Mapping[str, list[str]]
    resources: dict[str, AnyNode] = field(default_factory=dict)

    @classmethod
    def of(cls, manifest: Manifest) -> Graph:
        resources = {r.unique_id: r for r in manifest.all_resources()}
        return cls(manifest, manifest.parent_map, manifest.child_map, resources)

    def ancestors(self, ids: Iterable[str], depth: int | None = None) -> set[str]:
        return self._walk(ids, self.parents, depth)

    def descendants(self, ids: Iterable[str], depth: int | None = None) -> set[str]:
        return self._walk(ids, self.children, depth)

    @staticmethod
    def _walk(ids: Iterable[str], edges: Mapping[str, list[str]], depth: int | None) -> set[str]:
        seen: set[str] = set()
        queue = deque((i, 0) for i in ids)
        while queue:
            uid, d = queue.popleft()
            if depth is not None and d >= depth:
                continue
            for nxt in edges.get(uid, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append((nxt, d + 1))
        return seen


def _fqn_matcher(value: str) -> Callable[[Any], bool]:
    """fqn selection: a node's name (or name_vN / name.vN for versions), or a dotted prefix of its fqn with
    or without the package, each part a glob."""
    parts = value.split(".")
    n = len(parts)
    eq: Callable[[str, str], bool] = (
        fnmatch.fnmatchcase if any(ch in value for ch in "*?[") else operator.eq)

    plain = n == 1 and eq is operator.eq  # a bare name: it can only match as one of the fqn's parts

    def match(node: Any) -> bool:
        if node.resource_type == "source":
            return False
        if value == "*":
            return True
        fqn = node.fqn
        version = getattr(node, "version", None)
        if plain and version is None and value not in fqn:  # most nodes: decided by one C-level scan
            return False
        if version is not None:
            name = fqn[-2]
            if n == 1 and value in (name, f"{name}_v{version}"):
                return True
            if n == 2 and eq(name, parts[0]) and eq(f"v{version}", parts[1]):
                return True
        elif n == 1 and fqn[-1] == value:
            return True
        if n <= len(fqn) and all(eq(c, p) for c, p in zip(fqn, parts)):
            return True
        return n <= len(fqn) - 1 and all(eq(c, p) for c, p in zip(fqn[1:], parts))

    return match


class Selector:
    def __init__(self, manifest: Manifest, project_root: str | None = None,
                 previous_state: Any = None, target_dir: Any = None) -> None:
        self.graph = Graph.of(manifest)
        self.manifest = manifest
        self.state = previous_state  # a mason.graph.state.Comparison, when --state was given
        self.target_dir = target_dir

    def _comparison(self, method: str) -> Any:
        if self.state is None:
            raise UsageError(f"{method}: selection compares with another run's artifacts, and no --state was given",
                             hint="pass --state DIR (a folder with production's manifest.json; or set DBT_STATE)")
        return self.state

    def _m_state(self, node: AnyNode, value: str, arg: str) -> bool:
        from mason.graph.state import SUBSELECTORS

        comparison = self._comparison("state")
        kind, _, part = value.partition(".")
        uid = node.unique_id
        if kind == "new":
            return comparison.is_new(uid)
        if kind == "old":
            return comparison.is_old(uid)
        if kind == "modified":
            if part and part not in SUBSELECTORS:
                raise UsageError(f"unknown state selector {value!r}",
                                 hint=f"use state:modified or state:modified.<{'|'.join(SUBSELECTORS)}>")
            return comparison.modified(uid, part or None)
        if kind == "unmodified":
            return comparison.is_old(uid) and not comparison.modified(uid)
        raise UsageError(f"unknown state selector {value!r}", hint="use state:new, state:old, state:modified, "
                         "state:modified.<part> or state:unmodified")

    def _m_result(self, node: AnyNode, value: str, arg: str) -> bool:
        return self._comparison("result").state.run_results.get(node.unique_id) == value

    def _m_source_status(self, node: AnyNode, value: str, arg: str) -> bool:
        if value != "fresher":
            raise UsageError(f"unknown source_status {value!r}", hint="use source_status:fresher")
        if node.resource_type != "source":
            return False
        from mason.graph.state import current_freshness, later

        if self._current_freshness is None:
            if self.target_dir is None:
                raise UsageError("source_status: needs the project's target/sources.json")
            self._current_freshness = current_freshness(self.target_dir)
        now = self._current_freshness.get(node.unique_id)
        before = self._comparison("source_status").state.source_freshness.get(node.unique_id)
        if now is None:
            return False
        return later(now, before)

    _current_freshness: dict[str, str] | None = None

    # -- methods
    def _match(self, crit: Criteria) -> set[str]:
        method, _, arg = crit.method.partition(".")
        value = crit.value
        fn = getattr(self, f"_m_{method}", None)
        if fn is None:
            raise UsageError(f"unknown selection method {crit.method!r} in {crit.raw!r}",
                             hint=did_you_mean(method, [m[3:] for m in dir(self) if m.startswith("_m_")]))
        if method == "fqn":  # the default method: prepared once, not per node
            match = _fqn_matcher(value)
            return {uid for uid, node in self.graph.resources.items() if match(node)}
        return {uid for uid, node in self.graph.resources.items() if fn(node, value, arg)}

    @staticmethod
    def _m_fqn(node: AnyNode, value: str, arg: str) -> bool:
        return _fqn_matcher(value)(node)

    @staticmethod
    def _m_tag(node: AnyNode, value: str, arg: str) -> bool:
        return any(fnmatch.fnmatchcase(t, value) for t in getattr(node, "tags", ()) or ())

    def _m_path(self, node: AnyNode, value: str, arg: str) -> bool:
        target = value.rstrip("/").replace("\\", "/")
        if target.startswith("./"):
            target = target[2:]
        paths = [node.original_file_path]
        patch = getattr(node, "patch_path", None)
        if patch:
            paths.append(patch.split("://", 1)[-1])
        for p in paths:
            if p == target or p.startswith(target + "/") or fnmatch.fnmatchcase(p, target):
                return True
            if any(ch in target for ch in "*?[") and fnmatch.fnmatchcase(str(PurePosixPath(p).parent), target):
                return True
        return False

    @staticmethod
    def _m_file(node: AnyNode, value: str, arg: str) -> bool:
        name = node.original_file_path.rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0]
        if node.resource_type in ("source", "exposure", "metric", "semantic_model", "saved_query", "unit_test"):
            return False
        if node.resource_type == "test" and getattr(node, "test_metadata", None) is not None:
            return False
        return fnmatch.fnmatchcase(name, value) or fnmatch.fnmatchcase(stem, value)

    def _m_package(self, node: AnyNode, value: str, arg: str) -> bool:
        if value == "this":
            value = self.manifest.project_name
        return fnmatch.fnmatchcase(node.package_name, value)

    @staticmethod
    def _m_config(node: AnyNode, value: str, arg: str) -> bool:
        if not arg:
            raise UsageError("config: selection needs a key, like config.materialized:table")
        current: Any = getattr(node, "config", {}) or {}
        for key in arg.split("."):
            if not isinstance(current, dict) or key not in current:
                return False
            current = current[key]
        if isinstance(current, list | tuple):
            return any(_config_equal(item, value) for item in current)
        return _config_equal(current, value, arg == "severity")

    @staticmethod
    def _m_resource_type(node: AnyNode, value: str, arg: str) -> bool:
        return node.resource_type == value

    @staticmethod
    def _m_source(node: AnyNode, value: str, arg: str) -> bool:
        if node.resource_type != "source":
            return False
        parts = value.split(".")
        src_name, name, pkg = node.source_name, node.name, node.package_name  # type: ignore[union-attr]
        if len(parts) == 1:
            return fnmatch.fnmatchcase(src_name, parts[0])
        if len(parts) == 2:
            return fnmatch.fnmatchcase(src_name, parts[0]) and fnmatch.fnmatchcase(name, parts[1])
        if len(parts) == 3:
            return (fnmatch.fnmatchcase(pkg, parts[0]) and fnmatch.fnmatchcase(src_name, parts[1])
                    and fnmatch.fnmatchcase(name, parts[2]))
        return False

    @staticmethod
    def _named(node: AnyNode, value: str, rtype: str) -> bool:
        if node.resource_type != rtype:
            return False
        parts = value.split(".")
        if len(parts) == 1:
            return fnmatch.fnmatchcase(node.name, value)
        return fnmatch.fnmatchcase(node.package_name, parts[0]) and fnmatch.fnmatchcase(node.name, parts[-1])

    def _m_exposure(self, node: AnyNode, value: str, arg: str) -> bool:
        return self._named(node, value, "exposure")

    def _m_metric(self, node: AnyNode, value: str, arg: str) -> bool:
        return self._named(node, value, "metric")

    def _m_semantic_model(self, node: AnyNode, value: str, arg: str) -> bool:
        return self._named(node, value, "semantic_model")

    def _m_saved_query(self, node: AnyNode, value: str, arg: str) -> bool:
        return self._named(node, value, "saved_query")

    @staticmethod
    def _m_unit_test(node: AnyNode, value: str, arg: str) -> bool:
        if node.resource_type != "unit_test":
            return False
        parts = value.split(".")
        fqn = list(node.fqn)
        if len(parts) == 1:
            return fnmatch.fnmatchcase(node.name, value)
        return all(fnmatch.fnmatchcase(c, p) for c, p in zip(reversed(fqn), reversed(parts)))

    @staticmethod
    def _m_test_type(node: AnyNode, value: str, arg: str) -> bool:
        if node.resource_type == "unit_test":
            return value == "unit"
        if node.resource_type != "test":
            return False
        generic = getattr(node, "test_metadata", None) is not None
        if value in ("generic", "schema"):
            return generic
        # "data" is dbt's old name for singular tests
        return value in ("singular", "data") and not generic

    @staticmethod
    def _m_test_name(node: AnyNode, value: str, arg: str) -> bool:
        if node.resource_type == "unit_test":
            return fnmatch.fnmatchcase(node.name, value)
        meta = getattr(node, "test_metadata", None)
        if node.resource_type != "test" or meta is None:
            return False
        names = [meta.name] + ([f"{meta.namespace}.{meta.name}"] if meta.namespace else [])
        return any(fnmatch.fnmatchcase(n, value) for n in names)

    @staticmethod
    def _m_group(node: AnyNode, value: str, arg: str) -> bool:
        group = getattr(node, "group", None) or (getattr(node, "config", {}) or {}).get("group")
        return group is not None and fnmatch.fnmatchcase(str(group), value)

    @staticmethod
    def _m_access(node: AnyNode, value: str, arg: str) -> bool:
        return node.resource_type == "model" and getattr(node, "access", None) == value

    @staticmethod
    def _m_version(node: AnyNode, value: str, arg: str) -> bool:
        if node.resource_type != "model":
            return False
        version = getattr(node, "version", None)
        latest = getattr(node, "latest_version", None)
        if value == "none":
            return version is None
        if version is None:
            return False
        if value == "latest":
            return str(version) == str(latest)
        if value == "prerelease":
            return _vkey(str(version)) > _vkey(str(latest))
        if value == "old":
            return _vkey(str(version)) < _vkey(str(latest))
        return False

    # -- evaluation
    def _criteria(self, crit: Criteria, default_indirect: str) -> tuple[set[str], set[str]]:
        matched = self._match(crit)
        selected = set(matched)
        if crit.childrens_parents:
            desc = self.graph.descendants(matched)
            selected |= desc | self.graph.ancestors(desc | matched)
        else:
            if crit.parents:
                selected |= self.graph.ancestors(matched, crit.parents_depth)
            if crit.children:
                selected |= self.graph.descendants(matched, crit.children_depth)
        return self._expand_tests(selected, crit.indirect_selection or default_indirect)

    def _expand_tests(self, selected: set[str], mode: str) -> tuple[set[str], set[str]]:
        direct = set(selected)
        indirect: set[str] = set()
        if mode == "empty":
            return direct, indirect
        buildable_pool: set[str] | None = None
        for uid in selected:
            for child in self.graph.children.get(uid, ()):
                node = self.graph.resources.get(child)
                if node is None or node.resource_type not in ("test", "unit_test") or child in direct:
                    continue
                parents = set(getattr(node, "depends_on_nodes", ()) or ())
                if mode == "eager" or parents <= selected:
                    direct.add(child)
                elif mode == "buildable":
                    if buildable_pool is None:
                        buildable_pool = selected | self.graph.ancestors(selected)
                    if parents <= buildable_pool:
                        direct.add(child)
                    else:
                        indirect.add(child)
                else:
                    indirect.add(child)
        return direct, indirect

    def _evaluate(self, spec: Any, mode: str) -> tuple[set[str], set[str]]:
        if isinstance(spec, Criteria):
            return self._criteria(spec, mode)
        if isinstance(spec, Union | Intersection):
            sub_mode = spec.indirect_selection or mode
            results = [self._evaluate(item, sub_mode) for item in spec.items]
            if not results:
                return set(), set()
            if isinstance(spec, Union):
                return set().union(*(r[0] for r in results)), set().union(*(r[1] for r in results))
            direct = set.intersection(*(r[0] for r in results))
            indirect = set.intersection(*(r[1] | r[0] for r in results)) - direct
            return direct, indirect
        if isinstance(spec, Difference):
            inc_d, inc_i = self._evaluate(spec.include, mode)
            exc_d, exc_i = self._evaluate(spec.exclude, mode)
            return inc_d - exc_d, inc_i - exc_d - exc_i
        raise TypeError(spec)

    def select(self, spec: Any, indirect_selection: str = "eager",
               resource_types: Iterable[str] | None = None) -> set[str]:
        if indirect_selection not in INDIRECT_MODES:
            raise UsageError(f"--indirect-selection must be one of {', '.join(INDIRECT_MODES)}")
        direct, indirect = self._evaluate(spec, indirect_selection)
        selected = set(direct)
        if indirect:
            pool: set[str] | None = None
            for uid in indirect - direct:
                node = self.graph.resources.get(uid)
                if node is None:
                    continue
                parents = set(getattr(node, "depends_on_nodes", ()) or ())
                if indirect_selection in ("cautious", "eager") and parents <= selected:
                    selected.add(uid)
                elif indirect_selection == "buildable":
                    if pool is None:
                        pool = selected | self.graph.ancestors(selected)
                    if parents <= pool:
                        selected.add(uid)
        if resource_types is not None:
            types = set(resource_types)
            selected = {uid for uid in selected if self.graph.resources[uid].resource_type in types}
        return selected


def _config_equal(actual: Any, value: str, case_insensitive: bool = False) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == value.lower()
    if actual is None:
        return value.lower() in ("none", "null")
    if case_insensitive:
        return str(actual).lower() == value.lower()
    return str(actual) == value


def _vkey(v: str) -> tuple[Any, ...]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return (v,)
