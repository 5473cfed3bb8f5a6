"""Generic data tests from properties YAML: arguments, configs and dbt's generated names and ids."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from mason.errors import ParseError, Span

_NON_WORD = re.compile(r"[^0-9a-zA-Z_]+")
_REF_EXPR = re.compile(r"^\s*(ref|source)\s*\(.*\)\s*$", re.S)
_WHOLE_EXPR = re.compile(r"^\s*{{(.*)}}\s*$", re.S)
# Keys of a test entry that are configs (the older top-level style) rather than arguments.
TEST_CONFIG_KEYS = frozenset(
    {"severity", "tags", "enabled", "where", "limit", "warn_if", "error_if", "fail_calc", "store_failures",
     "store_failures_as", "meta", "database", "schema", "alias"}
)


@dataclass(frozen=True, slots=True)
class TestSpec:
    """One test entry, understood: which macro, with which arguments and configs."""

    name: str  # test name without namespace ("unique", "expression_is_true")
    namespace: str | None
    args: dict[str, Any]  # keyword arguments, without model/column_name
    config: dict[str, Any]
    user_name: str | None
    description: str


def read_test_entry(entry: Any, span: Span) -> TestSpec:
    if isinstance(entry, str):
        full, body = entry, None
    elif isinstance(entry, dict) and len(entry) == 1:
        full, body = next(iter(entry.items()))
    elif isinstance(entry, dict) and "test_name" in entry:
        body = dict(entry)
        full = body.pop("test_name")
    else:
        raise ParseError(f"cannot read test entry {entry!r}", span,
                         "write a test as `- unique` or `- accepted_values: {arguments: {values: [...]}}`")
    full = str(full)
    namespace, _, name = full.rpartition(".")
    body = dict(body or {}) if isinstance(body, dict) else {}
    config = dict(body.pop("config", None) or {})
    user_name = body.pop("name", None)
    description = str(body.pop("description", "") or "")
    if "arguments" in body:
        args = dict(body.pop("arguments") or {})
        for key in list(body):
            if key in TEST_CONFIG_KEYS:
                config.setdefault(key, body.pop(key))
        args.update(body)
    else:
        args = {}
        for key, value in body.items():
            if key in TEST_CONFIG_KEYS:
                config.setdefault(key, value)
            else:
                args[key] = value
    return TestSpec(name, namespace or None, args, config, str(user_name) if user_name else None, description)


def synthesize_names(test_type: str, target_name: str, args: dict[str, Any]) -> tuple[str, str]:
    """(short name, full name): dbt's `<test>_<target>_<args>`, hashed when 64 characters or more."""
    flat: list[str] = []
    for key in sorted(args):
        if key == "model":
            continue
        value = args[key]
        if isinstance(value, dict):
            parts = list(value.values())
        elif isinstance(value, list | tuple):
            parts = list(value)
        else:
            parts = [value]
        flat.extend(str(p) for p in parts)
    unique = "__".join(_NON_WORD.sub("_", p) for p in flat)
    identifier = f"{test_type}_{target_name}"
    full = f"{identifier}_{unique}"
    if len(full) >= 64:
        return f"{identifier[:30]}_{hashlib.md5(full.encode('utf-8')).hexdigest()}", full
    return full, full


def _hashable(data: Any) -> Any:
    if type(data) is str:
        return data
    if isinstance(data, dict):
        return {k: _hashable(data[k]) for k in sorted(data)}
    if isinstance(data, list):
        return [_hashable(v) for v in data]
    return str(data)


def test_unique_id(package: str, name: str, metadata: dict[str, Any]) -> str:
    digest = hashlib.md5((name + repr(_hashable(metadata))).encode("utf-8")).hexdigest()
    return f"test.{package}.{name}.{digest[-10:]}"


def evaluate_kwargs(kwargs: dict[str, Any], runtime: Any, package: str, name: str) -> dict[str, Any]:
    """A generic test's keyword arguments as its macro receives them: `{{ expr }}` strings evaluated to
    their values (relations stay relations), other Jinja rendered, bare `ref(...)`/`source(...)` evaluated;
    the same at parse time (parse context) and at compile time."""

    def value_of(value: Any) -> Any:
        if isinstance(value, str):
            whole = _WHOLE_EXPR.match(value)
            if whole and "{{" not in whole.group(1):
                return runtime.evaluate(whole.group(1).strip(), package)
            if "{{" in value or "{%" in value:
                return runtime.render(value, f"{name}:kwargs", package)
            if _REF_EXPR.match(value):
                return runtime.evaluate(value.strip(), package)
            return value
        if isinstance(value, list):
            return [value_of(v) for v in value]
        if isinstance(value, dict):
            return {k: value_of(v) for k, v in value.items()}
        return value

    return {k: value_of(v) for k, v in kwargs.items()}
