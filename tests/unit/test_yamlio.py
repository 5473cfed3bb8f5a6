"""The fast YAML path must read every text exactly as PyYAML (YAML 1.1, what dbt uses) does."""

from __future__ import annotations

import math

import pytest
import yaml

from mason.errors import ParseError
from mason.project import yamlio

CASES = [
    "", "# only a comment\n", "a: 1\na: 2\n", "a: !!str 123\n", "a: Null\nb: NULL\nc:\nd: ~\n",
    "1: a\ntrue: b\n", "a: 'it''s'\n", 'a: "\\u00e9\\n"\n', "a: >\n  folded\n  text\n\nb: c\n",
    "- a\n- b: [1, {c: d}]\n", "a: 1.0e+3\nb: 1.5\nc: -.inf\n", "a: 2024-01-01T10:00:00Z\n",
    "a: '2024-01-01'\n", "a: 2024-01-01\n", "a: 12:30\n", "a: 1_000\n", "a: 012\n", "a: 0o12\n", "a: 1e3\n",
    "a: yes\nb: No\nc: on\nd: OFF\n", "a: y\nb: n\n", "a: 'yes'\n", "a: &x {k: 1}\nb:\n  <<: *x\n  j: 2\n",
    "---\na: 1\n", "a: b\n---\nc: d\n", "a: |-\n  x\n  y\n", "a: +5\nb: 0x1F\nc: -0\n", "a: True\nb: FALSE\n",
    "version: 2\nmodels:\n  - name: m\n    description: 'Orders placed on 2024-01-01, no refunds'\n"
    "    columns:\n      - name: id\n        tests: [unique, not_null]\n      - name: status\n"
    "        tests:\n          - accepted_values:\n              values: ['placed', 'shipped']\n",
]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("text", CASES)
def test_fast_reading_equals_pyyaml(text: str) -> None:
    try:
        expected = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        with pytest.raises(ParseError):
            yamlio.load_yaml_text(text, "x.yml")
        return
    got = yamlio.load_yaml_text(text, "x.yml")
    assert _same(got, expected)
    assert repr(got) == repr(expected)  # types nested anywhere (bool vs str, date vs str) too


def test_plain_property_files_take_the_fast_path() -> None:
    if yamlio._fast is None:
        pytest.skip("yaml_rs not installed")
    assert yamlio._load_fast(CASES[-1]) is not yamlio._SLOW
    assert yamlio._load_fast("a: yes\n") is yamlio._SLOW
    assert yamlio._load_fast("a: '2024-01-01'\n") is yamlio._SLOW


def test_errors_name_the_line() -> None:
    with pytest.raises(ParseError) as info:
        yamlio.load_yaml_text("a: 1\nb: [1,\n", "models/x.yml")
    assert info.value.span is not None and info.value.span.path == "models/x.yml" and info.value.span.line
