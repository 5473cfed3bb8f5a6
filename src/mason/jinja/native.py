"""Rendering YAML values the way dbt does: a whole-value expression keeps its Python type."""

from __future__ import annotations

import ast
from typing import Any

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


def render_native(source: str, context: dict[str, Any], name: str = "<yaml>") -> Any:
    """Render `source`; a rendered literal (true, 3, [a]) comes back as its Python value."""
    _install_filters()
    out = render_template(template(source, name), context)
    if isinstance(out, TextMarker):
        return str(out)
    stripped = out.strip()
    if stripped in ("True", "False", "None") or (stripped[:1] in "-0123456789[{(" and stripped):
        return _literal(stripped)
    return out


def render_text(source: str, context: dict[str, Any], name: str = "<string>") -> str:
    _install_filters()
    return render_template(template(source, name), context)


def has_jinja(value: str) -> bool:
    return "{{" in value or "{%" in value
