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
    macros: list[str] = field(default_factory=list)
    # other functions (probably macros) called with literal arguments: (name, args, kwargs)
    calls: list[tuple[str, list[Any], dict[str, Any]]] = field(default_factory=list)


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


_SIMPLE_REF = re.compile(r"""^\s*ref\(\s*(['"])([\w.-]+)\1\s*\)\s*$""")
_SIMPLE_SOURCE = re.compile(r"""^\s*source\(\s*(['"])([\w.-]+)\1\s*,\s*(['"])([\w.-]+)\3\s*\)\s*$""")


def _call(expr: str, result: StaticResult) -> None:
    simple = _SIMPLE_REF.match(expr)
    if simple is not None:
        result.refs.append((simple.group(2), None, None))
        return
    simple = _SIMPLE_SOURCE.match(expr)
    if simple is not None:
        result.sources.append((simple.group(2), simple.group(4)))
        return
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
    elif fname in _CONTEXT_CALLS:
        raise _NotStatic
    else:
        # Probably a macro: the parser decides whether it may be skipped (see parse.purity).
        result.calls.append((fname, args, kwargs))
        result.macros.append("?" + fname)  # resolved to a macro id by the parser, in call order


# Context functions with parse-time effects or errors (env_var is recorded for partial parsing, var raises
# when undefined): models calling them are rendered.
_CONTEXT_CALLS = frozenset({"var", "env_var", "is_incremental", "this", "return", "load_result", "run_query",
                            "statement", "doc", "metric", "source", "ref", "config", "log", "print"})

_IF_INCREMENTAL = re.compile(r"^-?\s*if\s+is_incremental\(\)\s*-?$")
_ELSE = re.compile(r"^-?\s*else\s*-?$")
_ENDIF = re.compile(r"^-?\s*endif\s*-?$")
_PASSIVE = re.compile(r"^-?\s*(this|target\.\w+)\s*-?$")


def extract(sql: str) -> StaticResult | None:
    """The refs, sources and configs of `sql`, or None when it needs a real render.

    Understood without rendering: literal ref/source/config calls, `{{ this }}`, `{{ target.x }}`, and one
    level of `{% if is_incremental() %} … {% else %} … {% endif %}` (false while parsing, as in dbt).
    """
    if "{" not in sql:
        return StaticResult()
    result = StaticResult()
    skipping = False
    in_if = False
    try:
        for match in _JINJA.finditer(sql):
            tag = match.group(2)
            if tag is not None:
                if _IF_INCREMENTAL.match(tag) and not in_if:
                    in_if = skipping = True
                    result.macros.append("macro.dbt.is_incremental")
                elif _ELSE.match(tag) and in_if:
                    skipping = False
                elif _ENDIF.match(tag) and in_if:
                    in_if = skipping = False
                else:
                    return None
                continue
            expr = match.group(1)
            if expr is None:
                continue  # a comment
            if _PASSIVE.match(expr):
                continue
            if skipping:
                if "ref(" in expr or "source(" in expr or "config(" in expr or "{" in expr:
                    _call(expr.strip("-"), StaticResult())  # must still be a literal call
                continue
            if expr.startswith("-"):
                expr = expr[1:]
            if expr.endswith("-"):
                expr = expr[:-1]
            _call(expr, result)
    except _NotStatic:
        return None
    if in_if:
        return None
    # A stray '{{' that the pattern could not pair means a syntax error: let Jinja report it.
    stripped = _JINJA.sub("", sql)
    if "{{" in stripped or "{%" in stripped:
        return None
    return result


def render_static(sql: str, ref: Any, source: Any, this: Any, target: dict[str, Any],
                  is_incremental: Any, call_macro: Any = None) -> str | None:
    """Render SQL whose Jinja `extract` understands, without compiling a template: refs, sources, `this`,
    `target.x`, config() (renders nothing) and `{% if is_incremental() %}` blocks. None when a real
    render is needed. The output is what Jinja would produce, whitespace control included.
    `call_macro(name, args, kwargs)` renders a macro call with literal arguments, or returns None when it
    cannot (then so does this function); without it, macro calls need a real render."""
    if "{" not in sql:
        return sql
    out: list[str] = []
    pos = 0
    in_if = False
    keep = True  # whether the current branch of an is_incremental() block renders
    strip_next = False
    try:
        for match in _JINJA.finditer(sql):
            text = sql[pos:match.start()]
            pos = match.end()
            if strip_next:
                text = text.lstrip()
                strip_next = False
            raw = match.group(0)
            inner = raw[2:-2]
            if inner.startswith("-"):
                text = text.rstrip()
            if inner.endswith("-"):
                strip_next = True
            if keep:
                out.append(text)
            tag = match.group(2)
            if tag is not None:
                if _IF_INCREMENTAL.match(tag) and not in_if:
                    in_if = True
                    keep = bool(is_incremental())
                elif _ELSE.match(tag) and in_if:
                    keep = not keep
                elif _ENDIF.match(tag) and in_if:
                    in_if = False
                    keep = True
                else:
                    return None
                continue
            expr = match.group(1)
            if expr is None or not keep:
                continue
            expr = expr.strip("-").strip()
            if expr == "this":
                out.append(str(this))
                continue
            if expr.startswith("target."):
                value = target.get(expr[len("target."):])
                out.append("" if value is None else str(value))
                continue
            found = StaticResult()
            _call(expr, found)
            if found.refs:
                name, package, version = found.refs[0]
                args = (package, name) if package else (name,)
                out.append(str(ref(*args, version=version) if version is not None else ref(*args)))
            elif found.sources:
                out.append(str(source(*found.sources[0])))
            elif found.calls:
                if call_macro is None:
                    return None
                rendered = call_macro(*found.calls[0])
                if rendered is None:
                    return None
                out.append(rendered)
            # config(...) renders as nothing
    except _NotStatic:
        return None
    if in_if:
        return None
    tail = sql[pos:]
    out.append(tail.lstrip() if strip_next else tail)
    return "".join(out)
