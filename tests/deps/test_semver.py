"""Versions and ranges as hub packages use them."""

from __future__ import annotations

import pytest

from mason.deps.semver import Version, VersionError, VersionRange, best_match, latest, sort_versions

VERSIONS = ["0.9.0", "1.0.0", "1.1.0", "1.2.0-b1", "1.2.0", "2.0.0-rc1", "2.0.0", "10.0.0"]


def test_ordering_is_numeric_and_prereleases_come_before_their_release() -> None:
    assert sort_versions(["10.0.0", "2.0.0", "2.0.0-rc1", "2.0.0-b2", "2.0.0-b10", "1.9.9"]) == [
        "1.9.9", "2.0.0-b2", "2.0.0-b10", "2.0.0-rc1", "2.0.0", "10.0.0"]
    assert Version.parse("1.0") == Version.parse("1.0.0")
    assert Version.parse("1.2.3rc1").is_prerelease


def test_single_version_list_of_ranges_and_comma_forms() -> None:
    assert best_match(VERSIONS, VersionRange.parse("1.1.0"), False) == "1.1.0"
    assert best_match(VERSIONS, VersionRange.parse([">=1.0.0", "<2.0.0"]), False) == "1.2.0"
    assert best_match(VERSIONS, VersionRange.parse(">=1.0.0, <2.0.0"), False) == "1.2.0"
    assert best_match(VERSIONS, VersionRange.parse(">1.2.0"), False) == "10.0.0"
    assert best_match(VERSIONS, VersionRange.parse("<=1.0.0"), False) == "1.0.0"
    assert best_match(VERSIONS, VersionRange.parse(">=3.0.0, <10.0.0"), False) is None


def test_prereleases_only_when_allowed_or_pinned() -> None:
    assert best_match(VERSIONS, VersionRange.parse([">=1.1.0", "<2.0.0"]), False) == "1.2.0"
    assert best_match(VERSIONS, VersionRange.parse([">=1.1.0", "<=2.0.0-rc1"]), False) == "1.2.0"
    assert best_match(VERSIONS, VersionRange.parse([">=1.1.0", "<=2.0.0-rc1"]), True) == "2.0.0-rc1"
    assert best_match(VERSIONS, VersionRange.parse("2.0.0-rc1"), False) == "2.0.0-rc1"
    assert latest(VERSIONS) == "10.0.0"


def test_intersection_and_emptiness() -> None:
    both = VersionRange.parse([">=1.0.0", "<2.0.0"]).intersect(VersionRange.parse(">=1.1.0"))
    assert str(both) == ">=1.1.0, <2.0.0"
    assert VersionRange.parse(">=2.0.0").intersect(VersionRange.parse("<2.0.0")).is_empty
    assert VersionRange.parse("1.0.0").intersect(VersionRange.parse(">1.0.0")).is_empty
    assert not VersionRange.parse("1.0.0").intersect(VersionRange.parse(">=1.0.0")).is_empty
    assert str(VersionRange.parse("1.0.0").intersect(VersionRange.parse("<=1.0.0"))) == "=1.0.0"


@pytest.mark.parametrize("bad", ["latest", ">=one", "1.0.0.0.0", "~>1"])
def test_unreadable_constraints_raise(bad: str) -> None:
    with pytest.raises(VersionError):
        VersionRange.parse(bad)
