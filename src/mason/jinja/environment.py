"""One Jinja environment per process, dbt's block tags, compiled-template reuse and error locations."""

from __future__ import annotations

import re
import threading
from types import TracebackType
from typing import Any

import jinja2
import jinja2.ext
import jinja2.nodes

from mason.errors import CompileError, Span

# dbt's block tags are rewritten to plain macros before Jinja sees them; line numbers are preserved.
_TEST_OPEN = re.compile(r"{%(-?)\s*test\s+([A-Za-z_][\w]*)\s*\(")
_TEST_CLOSE = re.compile(r"{%(-?)\s*endtest\s*(-?)%}")
_MAT_OPEN = re.compile(r"{%(-?)\s*materialization\s+([A-Za-z_][\w]*)\s*,\s*(?:adapter\s*=\s*)?(['\"])(\w+)\3([^%]*?)(-?)%}")
_MAT_OPEN_DEFAULT = re.compile(r"{%(-?)\s*materialization\s+([A-Za-z_][\w]*)\s*,\s*default\s*([^%]*?)(-?)%}")
_MAT_CLOSE = re.compile(r"{%(-?)\s*endmaterialization\s*(-?)%}")
_SNAPSHOT_BLOCK = re.compile(r"{%-?\s*snapshot\s+\w+\s*-?%}|{%-?\s*endsnapshot\s*-?%}")
_DOCS_BLOCK = re.compile(r"{%-?\s*docs\s+[\w.]+\s*-?%}.*?{%-?\s*enddocs\s*-?%}", re.S)


def materialization_macro_name(name: str, adapter: str) -> str:
    return f"materialization_{name}_{adapter}"


def preprocess(source: str) -> str:
    """Rewrite dbt-only block tags into Jinja macros so one parser serves every file."""
    if "{%" not in source:
        return source
    if "test" in source:
        source = _TEST_OPEN.sub(lambda m: f"{{%{m.group(1)} macro test_{m.group(2)}(", source)
        source = _TEST_CLOSE.sub(lambda m: f"{{%{m.group(1)} endmacro {m.group(2)}%}}", source)
    if "materialization" in source:
        source = _MAT_OPEN_DEFAULT.sub(
            lambda m: f"{{%{m.group(1)} macro {materialization_macro_name(m.group(2), 'default')}() {m.group(4)}%}}",
            source,
        )
        source = _MAT_OPEN.sub(
            lambda m: f"{{%{m.group(1)} macro {materialization_macro_name(m.group(2), m.group(4))}() {m.group(6)}%}}",
            source,
        )
        source = _MAT_CLOSE.sub(lambda m: f"{{%{m.group(1)} endmacro {m.group(2)}%}}", source)
    if "snapshot" in source:
        source = _SNAPSHOT_BLOCK.sub("", source)
    if "docs" in source:
        source = _DOCS_BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    return source


class ReturnValue(Exception):  # noqa: N818 - control flow, not an error
    """Raised by `return(x)` inside a macro; caught by the macro wrapper."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def return_(value: Any = None) -> Any:
    raise ReturnValue(value)


class MacroException(Exception):  # noqa: N818
    """exceptions.raise_compiler_error(...) from user Jinja."""


def _finalize(value: Any) -> Any:  # also used by the compiler for pure macro output
    return "" if value is None else value


class _Environment(jinja2.Environment):
    pass


_ENV_LOCK = threading.Lock()
_ENV: _Environment | None = None
_TEMPLATES: dict[tuple[str, str], jinja2.Template] = {}
_BY_NAME: dict[str, jinja2.Template] = {}


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        with _ENV_LOCK:
            if _ENV is None:
                env = _Environment(
                    extensions=[jinja2.ext.do, jinja2.ext.loopcontrols],
                    undefined=jinja2.Undefined,
                    finalize=_finalize,
                    keep_trailing_newline=True,
                    cache_size=0,
                )
                _ENV = env
    return _ENV


def template(source: str, name: str = "<string>") -> jinja2.Template:
    """A compiled template for `source`, reused for the life of the process."""
    key = (name, source)
    found = _TEMPLATES.get(key)
    if found is not None:
        return found
    env = environment()
    try:
        code = env.compile(preprocess(source), name=name, filename=name)
    except jinja2.TemplateSyntaxError as exc:
        raise CompileError(
            f"Jinja syntax error: {exc.message}", Span(name, exc.lineno), "fix the template tag on this line"
        ) from exc
    tpl = env.template_class.from_code(env, code, env.make_globals(None), None)
    _TEMPLATES[key] = tpl
    _BY_NAME[name] = tpl
    return tpl


def template_line(exc: BaseException, filename: str) -> int | None:
    """The line in `filename` where an exception raised while rendering it, if Jinja recorded one."""
    line = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is not None and filename in _BY_NAME:
        # frames carry the generated module's line; Jinja's debug info maps it back to the template
        return _BY_NAME[filename].get_corresponding_lineno(line)
    return line


def render_template(tpl: jinja2.Template, context: dict[str, Any]) -> str:
    """Render with `context` as the shared root namespace (so lazy macro lookup works)."""
    ctx = tpl.new_context(context, shared=True)
    return "".join(tpl.root_render_func(ctx))
