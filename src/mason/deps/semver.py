"""Package versions and version ranges: `1.2.3`, `1.2.3-b1`, `>=1.0.0`, `[">=1.0.0", "<2.0.0"]`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_VERSION = re.compile(
    r"^\s*v?(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:-?(?P<pre>[0-9A-Za-z][0-9A-Za-z.-]*?))?(?:\+(?P<build>[0-9A-Za-z.-]+))?\s*$"
)
_CONSTRAINT = re.compile(r"^\s*(?P<op>>=|<=|==|=|>|<)?\s*(?P<version>[^\s]+)\s*$")


class VersionError(ValueError):
    """A version or a version range that cannot be read."""


@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, text: object) -> Version:
        raw = str(text)
        match = _VERSION.match(raw)
        if match is None:
            raise VersionError(f"{raw!r} is not a version (expected e.g. 1.2.3)")
        pre = match.group("pre")
        parts: tuple[int | str, ...] = ()
        if pre:
            # "b10" sorts after "b2": letters and digits are separate identifiers.
            parts = tuple(int(p) if p.isdigit() else p for p in re.findall(r"\d+|[A-Za-z]+", pre))
        return cls(int(match.group("major")), int(match.group("minor") or 0), int(match.group("patch") or 0),
                   parts, raw.strip())

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def key(self) -> tuple[object, ...]:
        # A release sorts after its prereleases; numeric identifiers sort before alphanumeric ones.
        pre: tuple[object, ...] = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __le__(self, other: Version) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: Version) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: Version) -> bool:
        return self.key() >= other.key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True, slots=True)
class Bound:
    version: Version
    inclusive: bool


@dataclass(frozen=True, slots=True)
class VersionRange:
    """The versions between two bounds (None: unbounded). An exact pin has equal inclusive bounds."""

    lower: Bound | None = None
    upper: Bound | None = None

    @classmethod
    def parse(cls, constraints: object) -> VersionRange:
        """One constraint string (commas allowed) or a list of them; all must hold."""
        items: list[str] = []
        values = constraints if isinstance(constraints, list | tuple) else [constraints]
        for value in values:
            if value is None:
                continue
            items.extend(piece for piece in str(value).split(",") if piece.strip())
        result = cls()
        for item in items:
            result = result.intersect(_one(item))
        return result

    def intersect(self, other: VersionRange) -> VersionRange:
        return VersionRange(_tighter(self.lower, other.lower, lower=True),
                            _tighter(self.upper, other.upper, lower=False))

    @property
    def is_empty(self) -> bool:
        if self.lower is None or self.upper is None:
            return False
        if self.lower.version > self.upper.version:
            return True
        return self.lower.version == self.upper.version and not (self.lower.inclusive and self.upper.inclusive)

    @property
    def exact(self) -> Version | None:
        if (self.lower and self.upper and self.lower.inclusive and self.upper.inclusive
                and self.lower.version == self.upper.version):
            return self.lower.version
        return None

    def contains(self, version: Version) -> bool:
        if self.lower is not None:
            if version < self.lower.version or (version == self.lower.version and not self.lower.inclusive):
                return False
        if self.upper is not None:
            if version > self.upper.version or (version == self.upper.version and not self.upper.inclusive):
                return False
        return True

    def __str__(self) -> str:
        if self.exact is not None:
            return f"={self.exact}"
        parts = []
        if self.lower is not None:
            parts.append(f"{'>=' if self.lower.inclusive else '>'}{self.lower.version}")
        if self.upper is not None:
            parts.append(f"{'<=' if self.upper.inclusive else '<'}{self.upper.version}")
        return ", ".join(parts) or "any version"


def _one(text: str) -> VersionRange:
    match = _CONSTRAINT.match(text)
    if match is None:
        raise VersionError(f"{text.strip()!r} is not a version constraint (expected e.g. '>=1.0.0')")
    op = match.group("op") or "="
    version = Version.parse(match.group("version"))
    if op in ("=", "=="):
        return VersionRange(Bound(version, True), Bound(version, True))
    if op in (">=", ">"):
        return VersionRange(lower=Bound(version, op == ">="))
    return VersionRange(upper=Bound(version, op == "<="))


def _tighter(a: Bound | None, b: Bound | None, lower: bool) -> Bound | None:
    if a is None:
        return b
    if b is None:
        return a
    if a.version == b.version:
        return Bound(a.version, a.inclusive and b.inclusive)
    if lower:
        return a if a.version > b.version else b
    return a if a.version < b.version else b


def best_match(available: Iterable[str], wanted: VersionRange, prereleases: bool) -> str | None:
    """The highest available version in range. Prereleases count when allowed or pinned exactly."""
    pinned = wanted.exact
    best: tuple[Version, str] | None = None
    for text in available:
        try:
            version = Version.parse(text)
        except VersionError:
            continue
        if version.is_prerelease and not prereleases and version != pinned:
            continue
        if wanted.contains(version) and (best is None or version > best[0]):
            best = (version, text)
    return best[1] if best else None


def latest(available: Iterable[str], prereleases: bool = False) -> str | None:
    return best_match(available, VersionRange(), prereleases)


def sort_versions(available: Iterable[str]) -> list[str]:
    parsed = []
    for text in available:
        try:
            parsed.append((Version.parse(text), text))
        except VersionError:
            continue
    return [text for _, text in sorted(parsed, key=lambda pair: pair[0].key())]
