"""The DDL the Spark materializations write, from model configs (no Spark needed)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mason.adapters.relation import relation_factory
from mason.adapters.spark.materialize import TableConfig, create_table_sql, node_table_config
from mason.errors import CompileError

make = relation_factory("spark")


def node(**config: Any) -> Any:
    return SimpleNamespace(config=config, unique_id="model.p.m", original_file_path="models/m.sql",
                           description="The m's table", columns={
                               "a": SimpleNamespace(name="a", description="it's a"),
                               "b": SimpleNamespace(name="b", description="")})


def test_full_layout() -> None:
    rel = make(None, "analytics", "m", "table")
    cfg = node_table_config(node(file_format="ORC", partition_by="day", clustered_by=["a", "b"], buckets="4",
                                 location_root="s3://lake/root/", options={"compression": "zstd"},
                                 tblproperties={"k": "v"}, persist_docs={"relation": True, "columns": True}),
                            rel)
    assert cfg.location == "s3://lake/root/m" and not cfg.plain and not cfg.replaceable
    assert cfg.column_comments == {"a": "it's a"}
    assert create_table_sql(rel, cfg, "select 1") == (
        "create table analytics.m\nusing orc\noptions ('compression' = 'zstd')\npartitioned by (day)\n"
        "clustered by (a, b) into 4 buckets\nlocation 's3://lake/root/m'\ncomment 'The m\\'s table'\n"
        "tblproperties ('k' = 'v')\nas\nselect 1")


def test_defaults_and_replaceable_formats() -> None:
    rel = make(None, "analytics", "m", "table")
    cfg = node_table_config(node(), rel)
    assert (cfg.file_format, cfg.plain) == ("parquet", True)
    assert create_table_sql(rel, cfg, "select 1") == "create table analytics.m\nusing parquet\nas\nselect 1"
    delta = TableConfig(file_format="delta")
    assert delta.replaceable
    assert create_table_sql(rel, delta, "select 1", replace=True).startswith("create or replace table analytics.m")


@pytest.mark.parametrize("config, message", [
    ({"clustered_by": "a"}, "clustered_by needs buckets"),
    ({"clustered_by": "a", "buckets": "many"}, "buckets must be a number"),
])
def test_bad_layouts_are_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(CompileError) as info:
        node_table_config(node(**config), make(None, "analytics", "m", "table"))
    assert message in info.value.render() and "models/m.sql" in info.value.render()
