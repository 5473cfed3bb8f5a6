"""Relation rendering: quoting and include policies, incorporate, Spark style and --empty subqueries."""

from __future__ import annotations

from mason.adapters.relation import Policy, Relation, relation_factory


def test_default_quotes_every_part() -> None:
    rel = Relation("db", "sch", "tbl")
    assert rel.render() == '"db"."sch"."tbl"'
    assert str(rel) == '"db"."sch"."tbl"'


def test_quote_policy_per_part() -> None:
    rel = Relation("db", "sch", "tbl", quote_policy=Policy(database=False, schema=True, identifier=False))
    assert rel.render() == 'db."sch".tbl'
    assert rel.quote(identifier=True).render() == 'db."sch"."tbl"'
    assert rel.quote(database=None, schema=False).render() == "db.sch.tbl"  # None leaves a part alone


def test_quote_char_inside_a_name_is_doubled() -> None:
    assert Relation(None, "s", 'we"ird').render() == '"s"."we""ird"'


def test_include_drops_parts() -> None:
    rel = Relation("db", "sch", "tbl")
    assert rel.include(database=False).render() == '"sch"."tbl"'
    assert rel.include(database=False, schema=False).render() == '"tbl"'
    assert rel.without_identifier().render() == '"db"."sch"'
    # the original is unchanged (relations are values)
    assert rel.render() == '"db"."sch"."tbl"'


def test_missing_parts_are_skipped() -> None:
    assert Relation(None, "sch", "tbl").render() == '"sch"."tbl"'
    assert Relation("", "sch", "tbl").render() == '"sch"."tbl"'


def test_incorporate_path_type_and_policies() -> None:
    rel = Relation("db", "sch", "tbl")
    moved = rel.incorporate(path={"schema": "other", "identifier": "t2"}, type="table")
    assert moved.render() == '"db"."other"."t2"'
    assert moved.is_table and not moved.is_view
    assert moved.type == "table" and rel.type is None
    unquoted = rel.incorporate(quote_policy={"identifier": False}, include_policy={"database": False})
    assert unquoted.render() == '"sch".tbl'


def test_cte_renders_its_name_only() -> None:
    assert Relation(None, None, "__dbt__cte__eph", type="cte").render() == "__dbt__cte__eph"


def test_spark_style_backticks_and_no_database() -> None:
    make = relation_factory("spark")
    rel = make("catalog", "sch", "tbl")
    assert rel.database is None
    assert rel.render() == "sch.tbl"
    assert rel.quote(identifier=True).render() == "sch.`tbl`"
    assert rel.quote(schema=True, identifier=True).render() == "`sch`.`tbl`"
    assert relation_factory("spark", {"identifier": True})(None, "s", "t`x").render() == "s.`t``x`"


def test_factory_applies_project_quoting() -> None:
    make = relation_factory("duckdb", {"database": False, "schema": False})
    assert make("db", "sch", "tbl").render() == 'db.sch."tbl"'
    assert make("db", "sch", "tbl", quote_policy={"identifier": False}).render() == "db.sch.tbl"


def test_empty_limit_zero_subquery() -> None:
    rel = Relation("db", "sch", "tbl", limit=0)
    assert str(rel) == '(select * from "db"."sch"."tbl" where false limit 0)'
    assert rel.render() == '"db"."sch"."tbl"'  # render() itself stays the bare name


def test_positive_limit_subquery() -> None:
    assert str(Relation(None, "s", "t", limit=5)) == '(select * from "s"."t" limit 5)'


def test_event_time_filter_subquery() -> None:
    rel = Relation(None, "s", "t", event_time_filter=("ts", "2024-01-01", "2024-01-02"))
    assert str(rel) == "(select * from \"s\".\"t\" where ts >= '2024-01-01' and ts < '2024-01-02')"


def test_matches_is_case_insensitive_and_ignores_none() -> None:
    rel = Relation("DB", "Sch", "Tbl")
    assert rel.matches(schema="sch", identifier="TBL")
    assert not rel.matches(identifier="other")
