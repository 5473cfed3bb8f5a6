"""The diff's reading of a state manifest as dbt-core writes it (v12 node shapes): where each model lives and
which columns its properties name as its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mason.diff.state import KeyHints, read_state
from mason.errors import UsageError


def _model(name: str, **extra: object) -> dict[str, object]:
    node: dict[str, object] = {
        "resource_type": "model", "name": name, "unique_id": f"model.shop.{name}", "database": "analytics_db",
        "schema": "prod", "alias": f"{name}_v", "relation_name": f'"analytics_db"."prod"."{name}_v"',
        "config": {"materialized": "table"}, "columns": {}, "constraints": [],
        "depends_on": {"macros": [], "nodes": []},
    }
    node.update(extra)
    return node


def _test(name: str, model: str, column: str | None, kwargs: dict[str, object] | None = None,
          attached: bool = True) -> dict[str, object]:
    return {
        "resource_type": "test", "name": f"{name}_{model}", "unique_id": f"test.shop.{name}_{model}_{column}",
        "test_metadata": {"name": name, "kwargs": {"column_name": column, **(kwargs or {})}, "namespace": None},
        "column_name": column, "attached_node": f"model.shop.{model}" if attached else None,
        "depends_on": {"macros": [], "nodes": [f"model.shop.{model}"]}, "config": {},
    }


@pytest.fixture
def state(tmp_path: Path) -> Path:
    nodes = {
        "model.shop.a": _model("a", config={"materialized": "incremental", "unique_key": ["id", "day"]}),
        "model.shop.b": _model("b", constraints=[{"type": "primary_key", "columns": ["b_id"]}]),
        "model.shop.c": _model("c", columns={"c_id": {"name": "c_id", "constraints": [{"type": "primary_key"}]}}),
        "model.shop.d": _model("d", config={"materialized": "table", "unique_key": "coalesce(x, y)"}),
        "model.shop.e": _model("e", config={"materialized": "ephemeral"}),
        "test.shop.u": _test("unique", "d", "d_id"),
        "test.shop.n": _test("not_null", "d", "d_id", attached=False),  # older manifests: depends_on only
        "test.shop.u2": _test("unique", "d", "other"),  # unique without not_null: not a key
        "test.shop.combo": _test("unique_combination_of_columns", "d", None,
                                 {"combination_of_columns": ["x", "y"]}),
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"metadata": {"adapter_type": "postgres"}, "nodes": nodes}))
    return tmp_path


def test_places_and_keys(state: Path) -> None:
    s = read_state(state)
    assert s.adapter_type == "postgres"
    place = s.place("model.shop.a")
    assert place is not None and (place.database, place.schema, place.identifier) == ("analytics_db", "prod", "a_v")
    assert s.place("model.shop.missing") is None
    e = s.place("model.shop.e")
    assert e is not None and not e.has_relation
    assert s.hints("model.shop.a").candidates() == [("unique_key", ("id", "day"))]
    assert s.hints("model.shop.b").candidates() == [("primary_key constraint", ("b_id",))]
    assert s.hints("model.shop.c").candidates() == [("primary_key constraint", ("c_id",))]
    # an expression as unique_key names no column; the tests do
    assert s.hints("model.shop.d").candidates() == [("unique and not_null tests", ("d_id",)),
                                                    ("unique_combination_of_columns test", ("x", "y"))]


def test_snapshots_are_keyed_by_scd_id() -> None:
    hints = KeyHints(resource_type="snapshot", unique_key="id")
    assert hints.candidates() == [("snapshot", ("dbt_scd_id",))]


def test_unreadable_states(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs --state"):
        read_state(None)
    with pytest.raises(UsageError, match="does not exist"):
        read_state(tmp_path / "nope")
    with pytest.raises(UsageError, match="no manifest.json"):
        read_state(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(UsageError, match="not a readable manifest"):
        read_state(tmp_path)
    (tmp_path / "manifest.json").write_text("[]")
    with pytest.raises(UsageError, match="not a dbt manifest"):
        read_state(tmp_path)
