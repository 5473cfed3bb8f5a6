"""Reading `type: postgres` targets (no server needed) and PostgreSQL-specific relation rendering."""

from __future__ import annotations

import pytest

from mason.adapters.postgres.adapter import column_from_pg_type
from mason.adapters.postgres.connect import ConnectionSettings
from mason.adapters.relation import relation_factory
from mason.adapters.relation_ops import intermediate_name
from mason.adapters.target import Target
from mason.errors import ProjectError


def target(**creds: object) -> Target:
    return Target("shop", "dev", "postgres", 1, str(creds.get("dbname", "")), "public",
                  {"type": "postgres", **creds}, profiles_path="/home/me/.dbt/profiles.yml")


def test_dbt_postgres_keys_and_aliases() -> None:
    s = ConnectionSettings.from_target(target(
        host="db", port="6543", username="ann", **{"pass": "pw"}, database="wh", search_path="a, b",
        keepalives_idle=30, sslmode="require", sslrootcert="/ca.pem", role="builder", retries="3",
        connect_timeout=4, application_name="etl"))
    kwargs = s.kwargs()
    assert (kwargs["host"], kwargs["port"], kwargs["user"], kwargs["password"], kwargs["dbname"]) == \
        ("db", 6543, "ann", "pw", "wh")
    assert kwargs["options"] == "-c search_path=a,\\ b"
    assert (kwargs["keepalives_idle"], kwargs["sslmode"], kwargs["sslrootcert"]) == (30, "require", "/ca.pem")
    assert (kwargs["connect_timeout"], kwargs["application_name"]) == (4, "etl")
    assert (s.role, s.retries) == ("builder", 3)
    shown = dict(s.describe())
    assert shown["host"] == "db" and shown["role"] == "builder" and "pw" not in str(s.describe())


def test_defaults() -> None:
    s = ConnectionSettings.from_target(target(host="db", user="u", dbname="wh"))
    assert (s.port, s.connect_timeout, s.retries, s.application_name, s.password) == (5432, 10, 1, "mason", None)
    assert "password" not in s.kwargs() and "options" not in s.kwargs()


@pytest.mark.parametrize("creds, words", [
    ({"user": "u", "dbname": "wh"}, ["no 'host'", "profile 'shop', target 'dev'", "add host:"]),
    ({"host": "db", "user": "u"}, ["no 'dbname'"]),
    ({"host": "db", "dbname": "wh"}, ["no 'user'"]),
    ({"host": "db", "user": "u", "dbname": "wh", "port": "five"}, ["port", "whole number", "'five'"]),
])
def test_missing_or_bad_fields_name_the_profile(creds: dict[str, object], words: list[str]) -> None:
    with pytest.raises(ProjectError) as info:
        ConnectionSettings.from_target(target(**creds))
    text = info.value.render()
    assert "profiles.yml" in text
    for word in words:
        assert word in text


def test_empty_relation_has_an_alias_on_postgres_only() -> None:
    pg = relation_factory("postgres")("db", "s", "two words", "table")
    duck = relation_factory("duckdb")("db", "s", "t", "table")
    from dataclasses import replace

    assert str(replace(pg, limit=0)) == '(select * from "db"."s"."two words" where false limit 0) _dbt_limit_subq_two_words'
    assert str(replace(duck, limit=0)) == '(select * from "db"."s"."t" where false limit 0)'


def test_intermediate_names_fit_and_stay_distinct() -> None:
    long = "x" * 60
    tmp, backup = intermediate_name(long, "__dbt_tmp", 63), intermediate_name(long, "__dbt_backup", 63)
    assert len(tmp) <= 63 and len(backup) <= 63 and tmp != backup
    assert tmp.endswith("__dbt_tmp") and backup.endswith("__dbt_backup")
    assert intermediate_name("x" * 59, "__dbt_tmp", 63) != intermediate_name("x" * 58 + "y", "__dbt_tmp", 63)
    assert intermediate_name("short", "__dbt_tmp", 63) == "short__dbt_tmp"
    assert intermediate_name("é" * 40, "__dbt_tmp", 63).encode().__len__() <= 63


@pytest.mark.parametrize("formatted, dtype, data_type", [
    ("character varying(32)", "character varying", "character varying(32)"),
    ("numeric(10,2)", "numeric", "numeric(10,2)"),
    ("timestamp(3) without time zone", "timestamp without time zone", "timestamp without time zone"),
    ("integer", "integer", "integer"),
    ("character varying(32)[]", "character varying(32)[]", "character varying(32)[]"),
])
def test_column_types(formatted: str, dtype: str, data_type: str) -> None:
    col = column_from_pg_type("c", formatted)
    assert (col.dtype, col.data_type) == (dtype, data_type)
