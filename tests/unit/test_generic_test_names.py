"""Generic test entries from properties YAML and dbt's synthesized test names."""

from __future__ import annotations

import hashlib

import pytest

from mason.errors import ParseError, Span
from mason.parse import generic_tests as gt

SPAN = Span("models/schema.yml", 3)


# ------------------------------------------------------------------------------------ synthesize_names


def test_accepted_values_name() -> None:
    short, full = gt.synthesize_names(
        "accepted_values", "orders", {"column_name": "status", "values": ["placed", "shipped"]}
    )
    assert short == full == "accepted_values_orders_status__placed__shipped"


def test_relationships_name_sorts_args_by_key() -> None:
    args = {"to": "ref('customers')", "field": "customer_id", "column_name": "customer_id"}
    short, full = gt.synthesize_names("relationships", "orders", args)
    assert short == full == "relationships_orders_customer_id__customer_id__ref_customers_"


def test_model_arg_is_excluded() -> None:
    args = {"model": "{{ get_where_subquery(ref('orders')) }}", "column_name": "id"}
    assert gt.synthesize_names("not_null", "orders", args) == ("not_null_orders_id", "not_null_orders_id")


def test_non_word_characters_become_underscores_and_dict_values_flatten() -> None:
    args = {"column_name": "a", "values": ["x y", "c-d", "e.f"], "opts": {"k1": "p q", "k2": 3}}
    _, full = gt.synthesize_names("t", "m", args)
    # sorted keys: column_name, opts (dict values), values (list items)
    assert full == "t_m_a__p_q__3__x_y__c_d__e_f"


def test_namespaced_test_type() -> None:
    short, _ = gt.synthesize_names("dbt_utils_expression_is_true", "orders", {"expression": "x > 0"})
    assert short == "dbt_utils_expression_is_true_orders_x_0"


def test_long_name_is_hashed() -> None:
    args = {"column_name": "status", "values": ["placed", "shipped", "completed", "return_pending", "returned"]}
    short, full = gt.synthesize_names("accepted_values", "customer_orders_summary", args)
    assert full == (
        "accepted_values_customer_orders_summary_status__placed__shipped__completed__return_pending__returned"
    )
    digest = hashlib.md5(full.encode("utf-8")).hexdigest()
    assert short == "accepted_values_customer_order_" + digest
    assert short == "accepted_values_customer_order_29b5451546183f38923b140ed29e9abf"


@pytest.mark.parametrize(("length", "hashed"), [(63, False), (64, True)])
def test_hash_threshold_is_64_characters(length: int, hashed: bool) -> None:
    value = "v" * (length - len("t_m_"))
    short, full = gt.synthesize_names("t", "m", {"arg": value})
    assert len(full) == length
    if hashed:
        assert short == "t_m_" + hashlib.md5(full.encode()).hexdigest()
    else:
        assert short == full


# ------------------------------------------------------------------------------------ read_test_entry


def test_string_form() -> None:
    spec = gt.read_test_entry("unique", SPAN)
    assert (spec.name, spec.namespace, spec.args, spec.config, spec.user_name) == ("unique", None, {}, {}, None)


def test_dict_form_with_old_style_top_level_args() -> None:
    entry = {"accepted_values": {"values": ["a", "b"], "quote": False, "severity": "warn", "where": "x > 1",
                                 "tags": ["nightly"]}}
    spec = gt.read_test_entry(entry, SPAN)
    assert spec.name == "accepted_values"
    assert spec.args == {"values": ["a", "b"], "quote": False}
    assert spec.config == {"severity": "warn", "where": "x > 1", "tags": ["nightly"]}


def test_dict_form_config_block_merges_with_top_level_configs() -> None:
    entry = {"not_null": {"config": {"limit": 3}, "severity": "warn"}}
    spec = gt.read_test_entry(entry, SPAN)
    assert spec.args == {}
    assert spec.config == {"limit": 3, "severity": "warn"}


def test_arguments_form() -> None:
    entry = {"accepted_values": {"arguments": {"values": ["a"], "quote": True},
                                 "config": {"severity": "warn"}, "name": "status_ok", "description": "why"}}
    spec = gt.read_test_entry(entry, SPAN)
    assert spec.args == {"values": ["a"], "quote": True}
    assert spec.config == {"severity": "warn"}
    assert spec.user_name == "status_ok"
    assert spec.description == "why"


def test_arguments_form_moves_top_level_config_keys_to_config() -> None:
    spec = gt.read_test_entry({"unique": {"arguments": {}, "where": "1 = 1"}}, SPAN)
    assert spec.config == {"where": "1 = 1"}
    assert spec.args == {}


def test_namespaced_test() -> None:
    spec = gt.read_test_entry({"dbt_utils.expression_is_true": {"arguments": {"expression": "x > 0"}}}, SPAN)
    assert spec.name == "expression_is_true"
    assert spec.namespace == "dbt_utils"
    assert spec.args == {"expression": "x > 0"}


def test_test_name_form() -> None:
    spec = gt.read_test_entry({"test_name": "unique", "severity": "warn"}, SPAN)
    assert spec.name == "unique"
    assert spec.config == {"severity": "warn"}


def test_unreadable_entry_raises_parse_error_with_span() -> None:
    with pytest.raises(ParseError) as info:
        gt.read_test_entry({"unique": {}, "not_null": {}}, SPAN)
    assert info.value.span == SPAN


def test_unique_id_is_stable_and_depends_on_metadata() -> None:
    meta = {"name": "unique", "kwargs": {"column_name": "id", "model": "x"}, "namespace": None}
    uid = gt.test_unique_id("proj", "unique_orders_id", meta)
    assert uid.startswith("test.proj.unique_orders_id.")
    assert len(uid.rsplit(".", 1)[1]) == 10
    reordered = {"namespace": None, "kwargs": {"model": "x", "column_name": "id"}, "name": "unique"}
    assert gt.test_unique_id("proj", "unique_orders_id", reordered) == uid
    other = {"name": "unique", "kwargs": {"column_name": "other", "model": "x"}, "namespace": None}
    assert gt.test_unique_id("proj", "unique_orders_id", other) != uid
