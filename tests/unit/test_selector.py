"""Node selection: the spec grammar, YAML selectors and evaluation on a small in-memory manifest."""

from __future__ import annotations

from typing import Any

import pytest

from mason.errors import ProjectError, UsageError
from mason.graph.selector import (
    Criteria,
    Difference,
    Intersection,
    Selector,
    Union,
    parse_cli,
    parse_criteria,
    parse_union,
    parse_yaml_definition,
)
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node, SourceDefinition
from mason.nodes.nodes import TestMetadata as Meta

# ------------------------------------------------------------------------------------------ grammar


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("a", dict(method="fqn", value="a", parents=False, children=False)),
        ("+a", dict(method="fqn", value="a", parents=True, parents_depth=None, children=False)),
        ("2+a", dict(value="a", parents=True, parents_depth=2, children=False)),
        ("a+", dict(value="a", parents=False, children=True, children_depth=None)),
        ("a+3", dict(value="a", children=True, children_depth=3, parents=False)),
        ("1+a+2", dict(value="a", parents=True, parents_depth=1, children=True, children_depth=2)),
        ("@a", dict(value="a", childrens_parents=True, parents=False, children=False)),
        ("tag:nightly+", dict(method="tag", value="nightly", children=True)),
        ("config.materialized:table", dict(method="config.materialized", value="table")),
        ("models/staging", dict(method="path", value="models/staging")),
        ("models/staging/stg_a.sql", dict(method="path", value="models/staging/stg_a.sql")),
        ("stg_a.sql", dict(method="file", value="stg_a.sql")),
        ("my_seed.csv", dict(method="file", value="my_seed.csv")),
        ("proj.staging.stg_a", dict(method="fqn", value="proj.staging.stg_a")),
    ],
)
def test_parse_criteria(token: str, expected: dict[str, Any]) -> None:
    crit = parse_criteria(token)
    for key, value in expected.items():
        assert getattr(crit, key) == value, key


@pytest.mark.parametrize("token", ["@a+", "@+a", "+", ""])
def test_parse_criteria_rejects(token: str) -> None:
    with pytest.raises(UsageError):
        parse_criteria(token)


def test_parse_union_spaces_and_commas() -> None:
    spec = parse_union(["a b,tag:x", "c"])
    assert isinstance(spec, Union)
    assert len(spec.items) == 3
    first, second, third = spec.items
    assert isinstance(first, Criteria) and first.value == "a"
    assert isinstance(second, Intersection)
    assert [(c.method, c.value) for c in second.items] == [("fqn", "b"), ("tag", "x")]
    assert isinstance(third, Criteria) and third.value == "c"


def test_parse_cli_exclude_builds_difference() -> None:
    spec = parse_cli(["a+"], ["c"])
    assert isinstance(spec, Difference)
    assert isinstance(spec.include, Union) and isinstance(spec.exclude, Union)


# ------------------------------------------------------------------------------------------ manifest

P = "proj"


def _node(name: str, *, rtype: str = "model", folder: str = "", deps: tuple[str, ...] = (),
          tags: tuple[str, ...] = (), config: dict[str, Any] | None = None, package: str = P,
          version: str | None = None, latest: str | None = None, test_meta: Meta | None = None,
          path: str | None = None) -> Node:
    folders = tuple(folder.split("/")) if folder else ()
    if rtype == "test":
        uid = f"test.{package}.{name}"
        fqn = (package, *folders, name)
        ofp = path or (f"tests/{name}.sql" if test_meta is None else "models/schema.yml")
    else:
        uid = f"{rtype}.{package}.{name}" + (f".v{version}" if version else "")
        fqn = (package, *folders, name) + ((f"v{version}",) if version else ())
        base = "seeds" if rtype == "seed" else "models"
        ofp = path or "/".join([base, *folders, f"{name}{'_v' + version if version else ''}.sql"])
    materialized = {"test": "test", "seed": "seed"}.get(rtype, "view")
    cfg = {"materialized": materialized, "enabled": True, "tags": list(tags)}
    cfg.update(config or {})
    return Node(
        unique_id=uid, resource_type=rtype, package_name=package, name=name, path=ofp.split("/", 1)[1],
        original_file_path=ofp, fqn=fqn, raw_code="", checksum="", config=cfg, depends_on_nodes=deps,
        tags=tags, version=version, latest_version=latest, test_metadata=test_meta,
    )


def _manifest(nodes: list[Node], sources: list[SourceDefinition]) -> Manifest:
    by_id = {n.unique_id: n for n in nodes}
    src = {s.unique_id: s for s in sources}
    parent_map: dict[str, list[str]] = {uid: [] for uid in [*by_id, *src]}
    child_map: dict[str, list[str]] = {uid: [] for uid in [*by_id, *src]}
    for uid, node in by_id.items():
        parent_map[uid] = sorted(node.depends_on_nodes)
        for dep in node.depends_on_nodes:
            child_map[dep].append(uid)
    return Manifest(project_name=P, adapter_type="duckdb", nodes=by_id, sources=src, macros={}, docs={},
                    exposures={}, groups={}, parent_map=parent_map, child_map=child_map)


SRC = "source.proj.raw.orders"
A, B, C = "model.proj.a", "model.proj.b", "model.proj.c"
T_A, T_B, T_C = "test.proj.not_null_a_id", "test.proj.unique_b_id", "test.proj.accepted_values_c_status__x"
REL = "test.proj.relationships_c_a_id__id__ref_a_"
SING = "test.proj.assert_c_positive"
SEED = "seed.proj.countries"
DIM1, DIM2, DIM3 = "model.proj.dim.v1", "model.proj.dim.v2", "model.proj.dim.v3"
PKG_M = "model.other_pkg.helper"


def _meta(name: str, namespace: str | None = None) -> Meta:
    return Meta(name, {}, namespace)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    source = SourceDefinition(
        unique_id=SRC, package_name=P, source_name="raw", name="orders", identifier="orders", database=None,
        schema="raw", path="models/sources.yml", original_file_path="models/sources.yml",
        fqn=(P, "raw", "orders"), config={"enabled": True}, tags=("src_tag",),
    )
    nodes = [
        _node("a", folder="staging", deps=(SRC,), tags=("nightly",), config={"materialized": "table"}),
        _node("b", folder="staging", deps=(A,), tags=("nightly", "hourly")),
        _node("c", folder="marts/core", deps=(B,), config={"materialized": "incremental", "meta": {"o": 1}}),
        _node("not_null_a_id", rtype="test", deps=(A,), test_meta=_meta("not_null"),
              config={"severity": "warn"}),
        _node("unique_b_id", rtype="test", deps=(B,), test_meta=_meta("unique")),
        _node("accepted_values_c_status__x", rtype="test", deps=(C,),
              test_meta=_meta("accepted_values", "dbt_utils")),
        _node("relationships_c_a_id__id__ref_a_", rtype="test", deps=(A, C), test_meta=_meta("relationships")),
        _node("assert_c_positive", rtype="test", deps=(C,)),
        _node("countries", rtype="seed"),
        _node("dim", folder="marts", version="1", latest="2"),
        _node("dim", folder="marts", version="2", latest="2"),
        _node("dim", folder="marts", version="3", latest="2"),
        _node("helper", package="other_pkg", folder="utils", tags=("pkg",)),
    ]
    return _manifest(nodes, [source])


def select(manifest: Manifest, *specs: str, exclude: tuple[str, ...] = (), mode: str = "eager",
           types: tuple[str, ...] | None = None) -> set[str]:
    return Selector(manifest).select(parse_cli(list(specs), list(exclude)), mode, types)


# ------------------------------------------------------------------------------------------ graph operators


def test_single_model_eager_includes_its_tests(manifest: Manifest) -> None:
    assert select(manifest, "b") == {B, T_B}


def test_parents(manifest: Manifest) -> None:
    assert select(manifest, "+b", mode="empty") == {SRC, A, B}


def test_parents_depth(manifest: Manifest) -> None:
    assert select(manifest, "1+c", mode="empty") == {B, C}
    assert select(manifest, "2+c", mode="empty") == {A, B, C}


def test_children(manifest: Manifest) -> None:
    assert select(manifest, "b+", mode="empty") == {B, T_B, C, T_C, REL, SING}


def test_children_depth(manifest: Manifest) -> None:
    assert select(manifest, "a+1", mode="empty") == {A, B, T_A, REL}


def test_at_operator_adds_parents_of_descendants(manifest: Manifest) -> None:
    # @b: b, everything downstream of it, and all ancestors of those (a and the source via c's test REL)
    assert select(manifest, "@b", mode="empty") == {SRC, A, B, C, T_B, T_C, REL, SING}


def test_intersection(manifest: Manifest) -> None:
    assert select(manifest, "tag:nightly,config.materialized:view", mode="empty") == {B}
    assert select(manifest, "tag:nightly,config.materialized:view") == {B, T_B}


def test_exclude(manifest: Manifest) -> None:
    # excluding c (eager) also removes the tests attached to c
    assert select(manifest, "a+", exclude=("c",)) == {A, B, T_A, T_B}


def test_union_over_repeated_values(manifest: Manifest) -> None:
    assert select(manifest, "a", "countries", mode="empty") == {A, SEED}


def test_resource_types_filter(manifest: Manifest) -> None:
    assert select(manifest, "+c", types=("model",)) == {A, B, C}


# ------------------------------------------------------------------------------------------ indirect selection


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("eager", {C, T_C, SING, REL}),
        ("cautious", {C, T_C, SING}),
        ("buildable", {C, T_C, SING, REL}),  # a (REL's other parent) is an ancestor of c
        ("empty", {C}),
    ],
)
def test_indirect_selection_of_c(manifest: Manifest, mode: str, expected: set[str]) -> None:
    assert select(manifest, "c", mode=mode) == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("eager", {A, T_A, REL}),
        ("cautious", {A, T_A}),
        ("buildable", {A, T_A}),  # c is not an ancestor of a
        ("empty", {A}),
    ],
)
def test_indirect_selection_of_a(manifest: Manifest, mode: str, expected: set[str]) -> None:
    assert select(manifest, "a", mode=mode) == expected


def test_cautious_keeps_test_when_all_parents_selected(manifest: Manifest) -> None:
    assert select(manifest, "a", "c", mode="cautious") == {A, T_A, C, T_C, SING, REL}


def test_unknown_indirect_mode(manifest: Manifest) -> None:
    with pytest.raises(UsageError):
        select(manifest, "a", mode="sometimes")


# ------------------------------------------------------------------------------------------ fqn


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a", {A}),  # leaf name
        ("proj.staging", {A, B}),  # folder prefix with package
        ("staging", {A, B}),  # package omitted
        ("marts.core.c", {C}),
        ("proj.marts.core.c", {C}),
        ("proj.staging.*", {A, B}),
        ("staging*", {A, B}),
        ("*.core.*", {C}),
        ("other_pkg", {PKG_M}),
        ("utils.helper", {PKG_M}),
        ("dim", {DIM1, DIM2, DIM3}),
        ("dim.v2", {DIM2}),
        ("dim_v2", {DIM2}),
        ("marts.dim", {DIM1, DIM2, DIM3}),
        ("staging.c", set()),
        ("stag", set()),
    ],
)
def test_fqn(manifest: Manifest, spec: str, expected: set[str]) -> None:
    assert select(manifest, spec, mode="empty", types=("model",)) == expected


def test_fqn_star_selects_all_but_sources(manifest: Manifest) -> None:
    chosen = select(manifest, "fqn:*", mode="empty")
    assert SRC not in chosen
    assert {A, B, C, SEED, T_A, SING, DIM2, PKG_M} <= chosen


def test_fqn_glob_is_not_matched_against_nested_leaf(manifest: Manifest) -> None:
    assert select(manifest, "b*", mode="empty") == set()


# ------------------------------------------------------------------------------------------ other methods


def test_tag_method_with_glob(manifest: Manifest) -> None:
    assert select(manifest, "tag:hourly", mode="empty") == {B}
    assert select(manifest, "tag:night*", mode="empty") == {A, B}
    assert select(manifest, "tag:src_tag", mode="empty") == {SRC}


def test_config_method(manifest: Manifest) -> None:
    assert select(manifest, "config.materialized:incremental", mode="empty") == {C}
    assert select(manifest, "config.meta.o:1", mode="empty") == {C}
    assert select(manifest, "config.tags:hourly", mode="empty") == {B}
    assert select(manifest, "config.enabled:true", mode="empty", types=("model",)) >= {A, B, C}
    # severity compares case-insensitively, as dbt does
    assert select(manifest, "config.severity:WARN", mode="empty") == {T_A}


def test_config_method_needs_a_key(manifest: Manifest) -> None:
    with pytest.raises(UsageError):
        select(manifest, "config:table")


def test_resource_type_method(manifest: Manifest) -> None:
    assert select(manifest, "resource_type:seed", mode="empty") == {SEED}
    assert select(manifest, "resource_type:test", mode="empty") == {T_A, T_B, T_C, REL, SING}


def test_test_type_method(manifest: Manifest) -> None:
    assert select(manifest, "test_type:generic") == {T_A, T_B, T_C, REL}
    assert select(manifest, "test_type:singular") == {SING}


def test_test_type_data_is_singular(manifest: Manifest) -> None:
    assert select(manifest, "test_type:data") == {SING}


def test_test_name_method(manifest: Manifest) -> None:
    assert select(manifest, "test_name:not_null") == {T_A}
    assert select(manifest, "test_name:accepted_values") == {T_C}
    assert select(manifest, "test_name:rel*") == {REL}


def test_source_method(manifest: Manifest) -> None:
    for spec in ("source:raw", "source:raw.orders", "source:proj.raw.orders", "source:raw.*"):
        assert select(manifest, spec, mode="empty") == {SRC}, spec
    assert select(manifest, "source:raw.customers", mode="empty") == set()
    assert select(manifest, "source:raw+", mode="empty") >= {SRC, A, B, C}


def test_package_method(manifest: Manifest) -> None:
    assert select(manifest, "package:other_pkg", mode="empty") == {PKG_M}
    assert PKG_M not in select(manifest, "package:this", mode="empty")
    assert A in select(manifest, "package:this", mode="empty")


def test_path_and_file_methods(manifest: Manifest) -> None:
    assert select(manifest, "models/staging", mode="empty") == {A, B}
    assert select(manifest, "path:models/marts/core/c.sql", mode="empty") == {C}
    assert select(manifest, "b.sql", mode="empty") == {B}
    assert select(manifest, "file:b", mode="empty") == {B}


def test_unknown_method_suggests(manifest: Manifest) -> None:
    with pytest.raises(UsageError) as info:
        select(manifest, "tags:nightly")
    assert "tag" in (info.value.hint or "")


# ------------------------------------------------------------------------------------------ YAML selectors


def test_yaml_union_with_exclude(manifest: Manifest) -> None:
    defn = {"union": ["a+", {"exclude": ["c"]}]}
    spec = parse_yaml_definition(defn, {}, "s")
    assert isinstance(spec, Difference)
    assert Selector(manifest).select(spec, "eager") == {A, B, T_A, T_B}


def test_yaml_intersection_and_shorthand(manifest: Manifest) -> None:
    defn = {"intersection": [{"tag": "nightly"}, {"method": "config.materialized", "value": "table"}]}
    spec = parse_yaml_definition(defn, {}, "s")
    assert isinstance(spec, Intersection)
    assert Selector(manifest).select(spec, "empty") == {A}


def test_yaml_method_dict_with_graph_keys(manifest: Manifest) -> None:
    defn = {"method": "fqn", "value": "b", "children": True, "children_depth": 1,
            "indirect_selection": "empty"}
    spec = parse_yaml_definition(defn, {}, "s")
    assert isinstance(spec, Criteria)
    assert Selector(manifest).select(spec, "eager") == {B, C, T_B}


def test_yaml_dict_exclude_key(manifest: Manifest) -> None:
    defn = {"method": "tag", "value": "nightly", "exclude": [{"method": "fqn", "value": "a"}]}
    assert Selector(manifest).select(parse_yaml_definition(defn, {}, "s"), "empty") == {B}


def test_yaml_shorthand_with_two_methods_is_rejected() -> None:
    with pytest.raises(ProjectError):
        parse_yaml_definition({"tag": "a", "fqn": "b"}, {}, "s")


def test_yaml_selector_method_resolves_other_selector(manifest: Manifest) -> None:
    selectors = {"base": {"name": "base", "definition": {"method": "tag", "value": "hourly"}}}
    spec = parse_yaml_definition({"method": "selector", "value": "base"}, selectors, "outer")
    assert Selector(manifest).select(spec, "empty") == {B}


def test_yaml_selector_unknown_suggests() -> None:
    selectors = {"nightly": {"name": "nightly", "definition": "a"}}
    with pytest.raises(ProjectError) as info:
        parse_yaml_definition({"method": "selector", "value": "nigthly"}, selectors, "s")
    assert "nightly" in (info.value.hint or "")


def test_yaml_selector_cycle_is_detected() -> None:
    selectors = {
        "one": {"name": "one", "definition": {"method": "selector", "value": "two"}},
        "two": {"name": "two", "definition": {"union": [{"method": "selector", "value": "one"}]}},
    }
    with pytest.raises(ProjectError) as info:
        parse_yaml_definition(selectors["one"]["definition"], selectors, "one")
    assert "one" in info.value.message and "two" in info.value.message


def test_yaml_selector_self_reference_is_detected() -> None:
    selectors = {"me": {"name": "me", "definition": {"method": "selector", "value": "me"}}}
    with pytest.raises(ProjectError):
        parse_yaml_definition(selectors["me"]["definition"], selectors, "me")
