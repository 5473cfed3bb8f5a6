"""mason.observe.masking: registered values become ***** in text and in JSON text, longest first."""

from __future__ import annotations

import json

import pytest

from mason.observe import masking


@pytest.fixture(autouse=True)
def _empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(masking, "_values", ())


def test_scrub_masks_registered_values_longest_first() -> None:
    masking.register(["abc", "abcdef-long", "", "no", "abc"])
    assert masking.registered() == ("abcdef-long", "abc")  # too short and repeated values are left out
    assert masking.scrub("x abcdef-long y abc z") == "x ***** y ***** z"


def test_scrub_json_matches_escaped_forms() -> None:
    secret = 'pa"ss\\wörd'
    masking.register([secret])
    line = json.dumps({"msg": f"password is {secret}"})
    assert secret not in masking.scrub_json(line)
    assert json.loads(masking.scrub_json(line)) == {"msg": "password is *****"}
    line = json.dumps({"msg": secret}, ensure_ascii=False)
    assert json.loads(masking.scrub_json(line)) == {"msg": "*****"}
