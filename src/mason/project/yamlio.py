"""YAML reading with line numbers in errors; the C loader when available."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mason.errors import ParseError, Span

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-python PyYAML build
    _Loader = yaml.SafeLoader


def load_yaml_text(text: str, path: str) -> Any:
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


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"), display or str(path))


def dump_yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False)
