"""YAML reading with line numbers in errors.

dbt reads YAML 1.1 with PyYAML. PyYAML's C loader still builds every value in Python and takes seconds
on a large project's property files, so texts are read first with `yaml_rs` (Rust, about 15x faster)
and checked for the places where its YAML 1.2 reading can differ from YAML 1.1: the 1.1-only booleans
(yes/no/on/off), merge keys, octal/sexagesimal/exponent numbers, dates (yaml_rs also turns quoted dates
into dates), several documents, duplicate keys (an error there). Any doubt, or any error, and the text is
read again by PyYAML, whose result (or error message) is the one used.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mason.errors import ParseError, Span, not_utf8

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-python PyYAML build
    _Loader = yaml.SafeLoader


try:
    import yaml_rs as _fast
except ImportError:  # pragma: no cover - optional speed-up
    _fast = None  # type: ignore[assignment]

_YAML11_BOOLS = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"})
# Number-like plain scalars that YAML 1.1 and 1.2 read differently (leading zeros, 0o/0b, sexagesimal,
# exponents, underscores), merge keys, and document markers after the start.
_RISKY = re.compile(r"(?<![\w.\-])[-+]?(?:0[0-9bo_]|[0-9][0-9_]*:[0-5]?[0-9]|[0-9][0-9_]*\.?[0-9_]*[eE]|[0-9]+_)"
                    r"|<<|\n(?:---|\.\.\.)")


def _doubtful(value: Any) -> bool:
    """Whether a yaml_rs result holds something YAML 1.1 would have read differently."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if not isinstance(k, str) or k in _YAML11_BOOLS)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if item in _YAML11_BOOLS:
                return True
        elif isinstance(item, datetime.date | datetime.datetime):
            return True
    return False


def _load_fast(text: str) -> Any:
    """The yaml_rs reading of `text` when it is certainly PyYAML's too, else a sentinel."""
    if _fast is None or _RISKY.search(text):
        return _SLOW
    try:
        value = _fast.loads(text)
    except Exception:
        return _SLOW
    return _SLOW if _doubtful(value) else value


_SLOW = object()


def load_yaml_text(text: str, path: str) -> Any:
    value = _load_fast(text)
    if value is not _SLOW:
        return value
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParseError(
            f"invalid YAML: {problem}", Span(path, line, column), "check the indentation and quoting here"
        ) from exc


def line_where(path: Path, matches: Callable[[str], bool]) -> int | None:
    """The first line of a file that `matches` (for errors about a value YAML has already read)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((number for number, line in enumerate(lines, 1) if matches(line)), None)


_ENTRY = re.compile(r"""^(\s*)-\s+name:\s*['"]?(.*?)['"]?\s*(?:#.*)?$""")


def entry_lines(path: Path, section: str, chain: list[str],
                children: tuple[str, ...] | list[str] = ()) -> tuple[int | None, dict[str, int]]:
    """Where a properties entry is declared (errors only: this reads the file again): the line of the last
    `- name:` of `chain` under the top-level `section` (each nested in the one before, as a source's table
    in its source), and the lines of the `- name:` entries in it named in `children` (its columns)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None, {}
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith(f"{section}:")), None)
    if start is None:
        return None, {}
    end = next((i for i in range(start, len(lines)) if lines[i][:1].strip() and not lines[i].startswith("#")),
               len(lines))
    found: int | None = None
    for name in chain:
        hit = None
        for i in range(start, end):
            m = _ENTRY.match(lines[i])
            if m and m.group(2) == name:
                hit, indent = i, len(m.group(1))
                break
        if hit is None:
            return found, {}
        found, start = hit + 1, hit + 1
        end = next((i for i in range(start, end) if lines[i].strip() and not lines[i].lstrip().startswith("#")
                    and len(lines[i]) - len(lines[i].lstrip()) <= indent), end)
    out: dict[str, int] = {}
    wanted = set(children)
    for i in range(start, end):
        m = _ENTRY.match(lines[i])
        if m and m.group(2) in wanted and m.group(2) not in out:
            out[m.group(2)] = i + 1
    return found, out


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(display or str(path), path, exc) from None
    return load_yaml_text(text, display or str(path))


def dump_yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False)
