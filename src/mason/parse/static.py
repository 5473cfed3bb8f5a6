"""Static extraction of ref/source/config from SQL whose Jinja is only literal calls to them.

dbt renders every model at parse time unless its static parser understands it; we do the same with a
small pass over Jinja expressions evaluated as Python literals. Anything else falls back to rendering.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

_JINJA = re.compile(r"{{(.*?)}}|{%(.*?)%}|{#.*?#}", re.S)
_NAMES = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


@dataclass(slots=True)
class StaticResult:
    refs: list[tuple[str, str | None, Any]] = field(default_factory=list)  # (name, package, version)
    sources: list[tuple[str, str]] = field(default_factory=list)
    configs: list[dict[str, Any]] = field(default_factory=list)


class _NotStatic(Exception):  # noqa: N818
    pass


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise _NotStatic
            out[_literal(k)] = _literal(v)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, int | float):
            return -value
    raise _NotStatic


def _call(expr: str, result: StaticResult) -> None:
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise _NotStatic
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise _NotStatic
    args = [_literal(a) for a in call.args]
    kwargs = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise _NotStatic
        kwargs[kw.arg] = _literal(kw.value)
    fname = call.func.id
    if fname == "ref":
        version = kwargs.pop("version", kwargs.pop("v", None))
        if kwargs or not 1 <= len(args) <= 2 or not all(isinstance(a, str) for a in args):
            raise _NotStatic
        if len(args) == 1:
            result.refs.append((args[0], None, version))
        else:
            result.refs.append((args[1], args[0], version))
    elif fname == "source":
        if kwargs or len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise _NotStatic
        result.sources.append((args[0], args[1]))
    elif fname == "config":
        if args:
            raise _NotStatic
        result.configs.append(kwargs)
    else:
        raise _NotStatic


def extract(sql: str) -> StaticResult | None:
    """The refs, sources and configs of `sql`, or None when it needs a real render."""
    if "{" not in sql:
        return StaticResult()
    result = StaticResult()
    try:
        for match in _JINJA.finditer(sql):
            if match.group(2) is not None:
                return None
            expr = match.group(1)
            if expr is None:
                continue  # a comment
            if expr.startswith("-"):
                expr = expr[1:]
            if expr.endswith("-"):
                expr = expr[:-1]
            _call(expr, result)
    except _NotStatic:
        return None
    # A stray '{{' that the pattern could not pair means a syntax error: let Jinja report it.
    stripped = _JINJA.sub("", sql)
    if "{{" in stripped or "{%" in stripped:
        return None
    return result
