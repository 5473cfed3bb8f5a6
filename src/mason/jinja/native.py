"""Rendering YAML values the way dbt does: a whole-value expression keeps its Python type."""

from __future__ import annotations

import ast
import re
from typing import Any

import jinja2

from mason.jinja.environment import environment, render_template, template


class TextMarker(str):
    """A string that `as_text` protected from literal conversion."""


def as_text(value: Any) -> TextMarker:
    return TextMarker(value)


def as_bool(value: Any) -> Any:
    return _literal(str(value)) if not isinstance(value, bool) else value


def as_number(value: Any) -> Any:
    return _literal(str(value)) if not isinstance(value, int | float) else value


def as_native(value: Any) -> Any:
    return _literal(str(value))


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return text


def _install_filters() -> None:
    env = environment()
    if "as_text" not in env.filters:
        env.filters.update(as_text=as_text, as_bool=as_bool, as_number=as_number, as_native=as_native)


_WHOLE = re.compile(r"^\s*{{-?(.*?)-?}}\s*$", re.S)


def render_native(source: str, context: dict[str, Any], name: str = "<yaml>") -> Any:
    """Render a YAML value as dbt does: a value that is one `{{ expression }}` keeps its Python type
    (`{{ target.name == 'prod' }}` is a bool, `{{ var('n') }}` whatever the var holds); `as_text`,
    `as_number`, `as_bool` and `as_native` convert explicitly; anything else renders to text."""
    _install_filters()
    whole = _WHOLE.match(source)
    if whole is not None and "{{" not in whole.group(1) and "{%" not in whole.group(1):
        tpl = template("{%- set __mason_result = (" + whole.group(1) + ") -%}", name)
        ctx = tpl.new_context(context, shared=True)
        for _ in tpl.root_render_func(ctx):
            pass
        value = ctx.vars.get("__mason_result")
        if isinstance(value, TextMarker):
            return str(value)
        if isinstance(value, jinja2.Undefined):
            return ""
        return value
    return render_template(template(source, name), context)


def render_text(source: str, context: dict[str, Any], name: str = "<string>") -> str:
    _install_filters()
    return render_template(template(source, name), context)


def has_jinja(value: str) -> bool:
    return "{{" in value or "{%" in value
