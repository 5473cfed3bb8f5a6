"""Binding refs and sources to unique_ids, parent/child maps, ref errors and cycle reports."""

from __future__ import annotations

from typing import Any

import pytest

from mason.errors import CompileError, MasonError, ParseErrors
from mason.graph.dag import RefResolver, bind, check_cycles
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node, RefCall, SourceDefinition

ROOT = "proj"


def _model(name: str, *, package: str = ROOT, refs: tuple[RefCall, ...] = (),
           sources: tuple[tuple[str, str], ...] = (), raw: str = "", version: str | None = None,
           latest: str | None = None, deps: tuple[str, ...] = ()) -> Node:
    uid = f"model.{package}.{name}" + (f".v{version}" if version else "")
    ofp = f"models/{name}{'_v' + version if version else ''}.sql"
    return Node(
        unique_id=uid, resource_type="model", package_name=package, name=name, path=ofp[7:],
        original_file_path=ofp, fqn=(package, name), raw_code=raw, checksum="", config={"enabled": True},
        refs=refs, sources=sources, version=version, latest_version=latest, depends_on_nodes=deps,
    )


def _source(source_name: str, table: str, package: str = ROOT) -> SourceDefinition:
    return SourceDefinition(
        unique_id=f"source.{package}.{source_name}.{table}", package_name=package, source_name=source_name,
        name=table, identifier=table, database=None, schema=source_name, path="models/src.yml",
        original_file_path="models/src.yml", fqn=(package, source_name, table), config={"enabled": True},
    )


def _manifest(nodes: list[Node], sources: list[SourceDefinition] = (), disabled: dict[str, Any] | None = None,
              ) -> Manifest:
    return Manifest(project_name=ROOT, adapter_type="duckdb", nodes={n.unique_id: n for n in nodes},
                    sources={s.unique_id: s for s in sources}, macros={}, docs={}, exposures={}, groups={},
                    disabled=disabled or {})


def test_bind_fills_depends_on_and_maps() -> None:
    manifest = _manifest(
        [
            _model("a", sources=(("raw", "orders"),)),
            _model("b", refs=(RefCall("a"),)),
            _model("c", refs=(RefCall("a"), RefCall("b"), RefCall("a"))),
        ],
        [_source("raw", "orders")],
    )
    bound = bind(manifest)
    assert bound.nodes["model.proj.a"].depends_on_nodes == ("source.proj.raw.orders",)
    assert bound.nodes["model.proj.c"].depends_on_nodes == ("model.proj.a", "model.proj.b")  # deduplicated
    assert bound.parent_map["model.proj.c"] == ["model.proj.a", "model.proj.b"]
    assert bound.child_map["model.proj.a"] == ["model.proj.b", "model.proj.c"]
    assert bound.child_map["source.proj.raw.orders"] == ["model.proj.a"]
    assert bound.parent_map["source.proj.raw.orders"] == []
    # the parser's nodes are completed in place (no copy of every node), the manifest itself is new
    assert bound is not manifest and bound.nodes["model.proj.c"] is manifest.nodes["model.proj.c"]


def test_root_project_wins_for_unqualified_refs() -> None:
    caller = _model("caller", package="pkg", refs=(RefCall("shared"),))
    explicit = _model("explicit", package="pkg", refs=(RefCall("shared", "pkg"),))
    bound = bind(_manifest([_model("shared"), _model("shared", package="pkg"), caller, explicit]))
    assert bound.nodes["model.pkg.caller"].depends_on_nodes == ("model.proj.shared",)
    assert bound.nodes["model.pkg.explicit"].depends_on_nodes == ("model.pkg.shared",)


def test_calling_package_beats_other_packages() -> None:
    caller = _model("caller", package="pkg_a", refs=(RefCall("util"),))
    nodes = [_model("util", package="pkg_b"), _model("util", package="pkg_a"), caller]
    resolver = RefResolver(_manifest(nodes))
    assert resolver.resolve(RefCall("util"), "pkg_a") == "model.pkg_a.util"
    assert resolver.resolve(RefCall("util"), "pkg_b") == "model.pkg_b.util"


def test_versioned_refs() -> None:
    nodes = [_model("dim", version="1", latest="2"), _model("dim", version="2", latest="2"),
             _model("dim", version="3", latest="2")]
    resolver = RefResolver(_manifest(nodes))
    assert resolver.resolve(RefCall("dim"), ROOT) == "model.proj.dim.v2"  # unpinned → latest, not newest
    assert resolver.resolve(RefCall("dim", version="3"), ROOT) == "model.proj.dim.v3"
    assert resolver.resolve(RefCall("dim", version=1), ROOT) == "model.proj.dim.v1"  # int as written
    assert resolver.resolve(RefCall("dim", version="9"), ROOT) is None


def test_missing_ref_names_file_line_and_suggests() -> None:
    raw = "select *\nfrom {{ ref('customer') }}"
    manifest = _manifest([_model("customers"), _model("orders", refs=(RefCall("customer"),), raw=raw)])
    with pytest.raises(CompileError) as info:
        bind(manifest)
    err = info.value
    assert err.span is not None
    assert err.span.path == "models/orders.sql"
    assert err.span.line == 2
    assert "customer" in err.message
    assert "customers" in (err.hint or "")
    assert "models/orders.sql:2" in str(err)


def test_missing_source_suggests() -> None:
    manifest = _manifest([_model("a", sources=(("raw", "order"),))], [_source("raw", "orders")])
    with pytest.raises(CompileError) as info:
        bind(manifest)
    assert "raw.order" in info.value.message
    assert "raw.orders" in (info.value.hint or "")


def test_source_declared_by_several_packages_binds_like_dbt() -> None:
    # dbt 1.11: the root project's table first, then the caller's package, then the first package declaring it
    sources = [_source("s1", "t", "pa"), _source("s1", "t", "pb"), _source("s1", "t"),
               _source("s2", "t", "pa"), _source("s2", "t", "pb")]
    uses = (("s1", "t"), ("s2", "t"))
    nodes = [_model("m_root", sources=uses), _model("m_pa", package="pa", sources=uses),
             _model("m_pb", package="pb", sources=uses)]
    bound = bind(_manifest(nodes, sources))
    deps = {n.name: n.depends_on_nodes for n in bound.nodes.values()}
    assert deps["m_root"] == ("source.proj.s1.t", "source.pa.s2.t")
    assert deps["m_pa"] == ("source.proj.s1.t", "source.pa.s2.t")
    assert deps["m_pb"] == ("source.proj.s1.t", "source.pb.s2.t")
    resolver = RefResolver(bound)
    assert resolver.resolve_source("s2", "t", "pb") == "source.pb.s2.t"
    assert resolver.resolve_source("s2", "t") == "source.pa.s2.t"
    assert resolver.resolve_source("s3", "t", "pb") is None


def test_several_errors_reported_together() -> None:
    manifest = _manifest([_model("a", refs=(RefCall("x"),)), _model("b", refs=(RefCall("y"),))])
    with pytest.raises(ParseErrors) as info:
        bind(manifest)
    assert len(info.value.errors) == 2


def test_ref_to_disabled_model() -> None:
    off = _model("legacy")
    manifest = _manifest([_model("a", refs=(RefCall("legacy"),))], disabled={off.unique_id: [off]})
    with pytest.raises(CompileError) as info:
        bind(manifest)
    assert "disabled" in info.value.message
    assert "legacy" in info.value.message


def test_cycle_reports_the_whole_path() -> None:
    nodes = [
        _model("a", refs=(RefCall("c"),)),
        _model("b", refs=(RefCall("a"),)),
        _model("c", refs=(RefCall("b"),)),
        _model("d", refs=(RefCall("a"),)),
    ]
    with pytest.raises(MasonError) as info:
        bind(_manifest(nodes))
    message = info.value.message
    assert "cycle" in message
    for name in ("a", "b", "c"):
        assert f"model.proj.{name}" in message
    assert "model.proj.d" not in message
    # data-flow order (b reads a, c reads b, a reads c), closing the loop on the first node
    pos = [message.index(f"model.proj.{name}") for name in ("a", "b", "c")]
    assert pos == sorted(pos)
    assert message.count("model.proj.a") == 2


def test_self_reference_is_a_cycle() -> None:
    manifest = _manifest([_model("a", deps=("model.proj.a",))])
    with pytest.raises(MasonError) as info:
        check_cycles(manifest)
    assert "model.proj.a" in info.value.message


def test_acyclic_diamond_passes() -> None:
    nodes = [
        _model("a"),
        _model("b", deps=("model.proj.a",)),
        _model("c", deps=("model.proj.a",)),
        _model("d", deps=("model.proj.b", "model.proj.c")),
    ]
    check_cycles(_manifest(nodes))  # no exception
