"""Scenario 2: seeds with column_types and inferred types; reload replaces rows; --full-refresh."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse

pytestmark = pytest.mark.requires("seeds")

INFERRED = """\
id,name,price,day,at,flag,empty,whole
1,apple,1.5,2024-01-31,2024-01-31 10:00:00,true,,100.00
2,pear,2.25,2024-02-01,2024-02-01 11:30:00,False,,1e3
"""

TYPED_1 = "code,amount\n007,10\n008,20\n"
TYPED_2 = "code,amount\n009,30\n"
WIDE = "code,amount,note\n010,40,new column\n"


def seed_id(name: str) -> str:
    return f"seed.{Project.name}.{name}"


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    t = warehouse.types
    project = Project(tmp_path_factory.mktemp("seeds"), warehouse, {
        "seeds/inferred.csv": INFERRED,
        "seeds/typed.csv": TYPED_1,
        "seeds/schema.yml": f"""
            version: 2
            seeds:
              - name: typed
                config:
                  column_types:
                    code: "{t['text']}"
                    amount: "{t['decimal']}"
            """,
    })
    first = project.run("seed")
    typed_1 = project.rows("typed")
    project.write({"seeds/typed.csv": TYPED_2})
    reload = project.run("seed", "--select", "typed")
    typed_2 = project.rows("typed")
    project.write({"seeds/typed.csv": WIDE})
    refresh = project.run("seed", "--select", "typed", "--full-refresh")
    return SimpleNamespace(project=project, first=first, reload=reload, refresh=refresh,
                           typed_1=typed_1, typed_2=typed_2)


def test_statuses(state: SimpleNamespace) -> None:
    assert state.first.statuses() == {seed_id("inferred"): "success", seed_id("typed"): "success"}
    assert state.reload.statuses() == {seed_id("typed"): "success"}
    assert state.refresh.statuses() == {seed_id("typed"): "success"}


def test_inferred_types(state: SimpleNamespace) -> None:
    assert state.project.columns("inferred") == {
        "id": "integer", "name": "text", "price": "float", "day": "date", "at": "timestamp",
        "flag": "boolean", "empty": "integer", "whole": "integer",  # whole numbers: integers, as dbt loads them
    }


def test_inferred_rows(state: SimpleNamespace) -> None:
    assert state.project.rows("inferred") == [
        (1, "apple", 1.5, dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 10), True, None, 100),
        (2, "pear", 2.25, dt.date(2024, 2, 1), dt.datetime(2024, 2, 1, 11, 30), False, None, 1000),
    ]


def test_column_types_override(state: SimpleNamespace) -> None:
    from decimal import Decimal

    assert state.typed_1 == [("007", Decimal("10.00")), ("008", Decimal("20.00"))]


def test_reload_replaces_rows(state: SimpleNamespace) -> None:
    from decimal import Decimal

    assert state.typed_2 == [("009", Decimal("30.00"))]


def test_full_refresh_recreates_with_new_columns(state: SimpleNamespace) -> None:
    from decimal import Decimal

    p = state.project
    assert p.columns("typed") == {"code": "text", "amount": "decimal", "note": "text"}
    assert p.rows("typed") == [("010", Decimal("40.00"), "new column")]
