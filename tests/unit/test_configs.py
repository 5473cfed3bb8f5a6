"""Config merge rules, defaults and dbt_project.yml config trees."""

from __future__ import annotations

from mason.project.configs import ConfigTree, default_config, merge_into


def test_tags_append_and_accept_a_string() -> None:
    base = {"tags": ["a"]}
    merge_into(base, {"tags": "b"})
    merge_into(base, {"+tags": ["c", "d"]})
    assert base["tags"] == ["a", "b", "c", "d"]


def test_tags_repeated_by_two_layers_are_kept() -> None:
    # dbt 1.11's config.tags: ['intermediate', 'orders', 'hourly', 'orders'] when the folder and the file
    # both say 'orders' (the node's `tags` field is deduplicated elsewhere)
    base = {"tags": ["intermediate", "orders", "hourly"]}
    merge_into(base, {"tags": ["orders"]})
    assert base["tags"] == ["intermediate", "orders", "hourly", "orders"]


def test_hooks_append_with_aliases_and_normalised_shape() -> None:
    base: dict = {}
    merge_into(base, {"+pre-hook": "select 1"})
    merge_into(base, {"pre_hook": ["select 2", {"sql": "select 3", "transaction": False}]})
    merge_into(base, {"post_hook": {"sql": "grant"}})
    assert base["pre-hook"] == [
        {"sql": "select 1", "transaction": True, "index": None},
        {"sql": "select 2", "transaction": True, "index": None},
        {"sql": "select 3", "transaction": False, "index": None},
    ]
    assert base["post-hook"] == [{"sql": "grant", "transaction": True, "index": None}]
    assert "pre_hook" not in base and "post_hook" not in base


def test_dict_configs_merge_keys() -> None:
    base = {"meta": {"owner": "a", "tier": 1}, "docs": {"show": True, "node_color": None},
            "grants": {"select": ["r1"]}}
    merge_into(base, {"meta": {"tier": 2, "pii": True}, "+docs": {"node_color": "red"},
                      "grants": {"insert": ["r2"]}})
    assert base["meta"] == {"owner": "a", "tier": 2, "pii": True}
    assert base["docs"] == {"show": True, "node_color": "red"}
    assert base["grants"] == {"select": ["r1"], "insert": ["r2"]}


def test_other_configs_clobber() -> None:
    base = {"materialized": "view", "schema": "a", "unique_key": ["id"]}
    merge_into(base, {"+materialized": "table", "schema": None, "unique_key": ["other"]})
    assert base == {"materialized": "table", "schema": None, "unique_key": ["other"]}


def test_merge_does_not_mutate_the_update_or_shared_dicts() -> None:
    meta = {"owner": "a"}
    base = {"meta": meta}
    update = {"meta": {"tier": 1}}
    merge_into(base, update)
    assert meta == {"owner": "a"}
    assert update == {"meta": {"tier": 1}}


def test_predicates_alias() -> None:
    base: dict = {}
    merge_into(base, {"predicates": ["x > 1"]})
    assert base == {"incremental_predicates": ["x > 1"]}


def test_default_config_returns_independent_copies() -> None:
    first = default_config("model")
    first["tags"].append("x")
    first["meta"]["k"] = 1
    first["materialized"] = "table"
    second = default_config("model")
    assert second["tags"] == []
    assert second["meta"] == {}
    assert second["materialized"] == "view"


def test_default_config_per_resource_type() -> None:
    assert default_config("seed")["materialized"] == "seed"
    assert default_config("test")["severity"] == "ERROR"
    assert default_config("model")["on_schema_change"] == "ignore"


def test_config_tree_layers_for_nested_folders() -> None:
    tree = ConfigTree({
        "+tags": ["everything"],
        "proj": {
            "+materialized": "table",
            "staging": {
                "+tags": ["staging"],
                "schema": "stg",
                "nested": {"materialized": "view", "+meta": {"a": 1}},
            },
            "marts": {"+materialized": "incremental"},
        },
    })
    assert tree.layers(("proj", "staging", "nested", "m")) == [
        {"+tags": ["everything"]},
        {"+materialized": "table"},
        {"+tags": ["staging"], "schema": "stg"},
        {"materialized": "view", "+meta": {"a": 1}},
    ]
    assert tree.layers(("proj", "marts", "m")) == [
        {"+tags": ["everything"]}, {"+materialized": "table"}, {"+materialized": "incremental"},
    ]
    assert tree.layers(("other_pkg", "m")) == [{"+tags": ["everything"]}]


def test_config_tree_folder_named_like_a_config_is_a_folder() -> None:
    # `schema` is a config, but a dict under it is a sub-folder; `meta` takes dict values, so it is a config
    tree = ConfigTree({"proj": {"schema": {"+enabled": False}, "meta": {"k": "v"}}})
    assert tree.layers(("proj", "schema", "m")) == [{"meta": {"k": "v"}}, {"+enabled": False}]


def test_layers_applied_in_order_give_the_most_specific_value() -> None:
    tree = ConfigTree({"proj": {"+materialized": "table", "+tags": ["p"], "staging": {
        "+materialized": "view", "+tags": "s"}}})
    config = default_config("model")
    for layer in tree.layers(("proj", "staging", "m")):
        merge_into(config, layer)
    assert config["materialized"] == "view"
    assert config["tags"] == ["p", "s"]


def test_unknown_paths() -> None:
    tree = ConfigTree({"proj": {"staging": {"+tags": ["x"]}, "stagign": {"+tags": ["y"]}}})
    assert tree.unknown_paths({("proj",), ("proj", "staging")}) == ["proj.stagign"]
