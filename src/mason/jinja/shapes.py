"""Template shapes: a parse-time render compiles one template per shape of Jinja, not one per file.

At parse time a file is rendered only for what its Jinja *does* (the refs, sources, configs, macros and
env vars it records); its output is thrown away. Two files whose Jinja differs only in the literals it
passes (`ref('orders')` / `ref('payments')`), the macros it calls by name and the SQL around it do the
same things with different values, so they can share one compiled template: `shape()` rewrites a file's
source into that shared form, with

- the SQL text between tags dropped (it is output only), except inside blocks whose body is a value
  (`{% set x %}…{% endset %}`, `{% call %}`, `{% macro %}`, `{% filter %}`), which are kept as written;
- every string and integer/decimal literal inside a tag replaced by a name (`__mk0`, `__mk1`, …) bound
  to the literal's value as Jinja's lexer computes it;
- every name that the file only ever *calls* (`foo(...)`, never assigned, read, tested or filtered)
  replaced by a name (`__mn0`, …) bound to what the original name resolves to.

Anything the rewrite does not fully understand (another block tag, an unterminated tag, a number in an
unusual spelling) gives None: the file is rendered as written. A shape render that raises is redone as
written by the caller, so errors keep their file and line.
"""

from __future__ import annotations

import re
from typing import Any

_OPENER = re.compile(r"\{[{%#]")
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*")
  | (?P<num>(?:[1-9]\d*|0)(?:\.\d+)?(?![\w.]))
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>==|!=|<=|>=|\*\*|//|.)
""", re.S | re.X)
_NEWLINES = re.compile(r"\r\n|\r|\n")
# statements understood: block openers and their end tags; the blocks whose body is a value keep it
_BLOCKS = {"if": "endif", "for": "endfor", "with": "endwith", "call": "endcall", "macro": "endmacro",
           "filter": "endfilter"}
_ENDS = frozenset({*_BLOCKS.values(), "endset"})
_KEPT = frozenset({"endcall", "endmacro", "endfilter", "endset"})
_STATEMENTS = frozenset({"if", "elif", "else", "endif", "for", "endfor", "set", "endset", "do", "call", "endcall",
                         "macro", "endmacro", "filter", "endfilter", "break", "continue", "with", "endwith"})
# names never abstracted: Jinja's keywords and operators, its special names and the environment's globals
_FIXED = frozenset({"and", "or", "not", "in", "is", "if", "else", "elif", "true", "false", "none", "True", "False",
                    "None", "for", "recursive", "with", "without", "context", "import", "from", "as", "ignore",
                    "missing", "include", "caller", "loop", "super", "self", "varargs", "kwargs", "range", "dict",
                    "lipsum", "cycler", "joiner", "namespace"})
_NOT_AFTER = frozenset({".", "|", "is", "macro", "filter", "import", "from", "as"})


class _NoShape(Exception):  # noqa: N818
    pass


def _string_value(text: str) -> str:
    """A string literal's value exactly as Jinja's lexer computes it."""
    inner = text[1:-1]
    if "\\" not in inner and "\r" not in inner and inner.isascii():
        return inner
    return _NEWLINES.sub("\n", inner).encode("ascii", "backslashreplace").decode("unicode-escape")


def _tag(source: str, pos: int, closer: str) -> tuple[list[tuple[str, str]], str, int]:
    """The tokens of the tag whose content starts at `pos`, its closing delimiter (with a `-` whitespace
    marker when it has one) and the position after it. The delimiter only closes with brackets balanced,
    as in Jinja's lexer."""
    tokens: list[tuple[str, str]] = []
    append = tokens.append
    depth = 0
    first = closer[0]
    for m in _TOKEN.finditer(source, pos):
        kind = m.lastgroup
        if kind == "ws":
            continue
        text = m.group()
        if kind == "op":
            if depth == 0 and (text == first or text == "-"):
                at = m.start()
                if source.startswith(closer, at):
                    return tokens, closer, at + 2
                if text == "-" and source.startswith(closer, at + 1):
                    return tokens, "-" + closer, at + 3
            if text in "([{":
                depth += 1
            elif text in ")]}":
                depth -= 1
        append((kind, text))  # type: ignore[arg-type]
    raise _NoShape


Unit = tuple[str, list[Any], list[str]]  # (source, literal values for __mk0.., names for __mn0..)


def units(source: str) -> list[Unit] | None:
    """The file's Jinja as a list of top-level units (one tag, or one block from its opening tag to its end
    tag), each in its shared form; None when the file is not understood (render it as written)."""
    try:
        return _units(source)
    except (_NoShape, UnicodeDecodeError, ValueError):
        return None


def _units(source: str) -> list[Unit]:
    groups: list[list[tuple[str, Any]]] = []  # per unit: ("text", str) | ("tag", (opener, tokens, closer))
    current: list[tuple[str, Any]] = []
    stack: list[str] = []  # the end tags of the blocks we are in
    keep = 0  # how many of them keep their body as written
    pos = 0
    while True:
        m = _OPENER.search(source, pos)
        if m is None:
            if stack:
                raise _NoShape
            break
        if keep:
            current.append(("text", source[pos:m.start()]))
        kind = source[m.start() + 1]
        start = m.end()
        if kind == "#":
            end = source.find("#}", start)
            if end < 0:
                raise _NoShape
            if keep:
                current.append(("text", source[m.start():end + 2]))
            pos = end + 2
            continue
        lead = ""
        if start < len(source) and source[start] in "-+":
            lead = source[start]
            start += 1
        tokens, closer, pos = _tag(source, start, "}}" if kind == "{" else "%}")
        if kind == "%":
            words = [t for _, t in tokens]
            if not words or words[0] not in _STATEMENTS:
                raise _NoShape
            word = words[0]
            if word in _BLOCKS or (word == "set" and "=" not in words):
                end_tag = _BLOCKS.get(word, "endset")
                stack.append(end_tag)
                if end_tag in _KEPT:
                    keep += 1
            elif word in _ENDS:
                if not stack or stack[-1] != word:
                    raise _NoShape
                stack.pop()
                if word in _KEPT:
                    keep -= 1
        current.append(("tag", ("{" + kind + lead, tokens, closer)))
        if not stack:
            groups.append(current)
            current = []
    return _abstract(groups)


def _abstract(groups: list[list[tuple[str, Any]]]) -> list[Unit]:
    calls: dict[str, bool] = {}  # name -> only ever called (in the whole file)
    for group in groups:
        for kind, value in group:
            if kind != "tag":
                continue
            opener, tokens, _ = value
            last = len(tokens) - 1
            for i, (k, text) in enumerate(tokens):
                if k != "name":
                    continue
                if calls.get(text) is False:
                    continue
                prev = tokens[i - 1][1] if i else ""
                calls[text] = (i < last and tokens[i + 1][1] == "(" and text not in _FIXED
                               and not (i == 0 and opener[1] == "%") and prev not in _NOT_AFTER
                               and not (prev == "not" and i > 1 and tokens[i - 2][1] == "is"))
    out: list[Unit] = []
    for group in groups:
        literals: list[Any] = []
        names: dict[str, str] = {}
        parts: list[str] = []
        for kind, value in group:
            if kind == "text":
                parts.append(value)
                continue
            opener, tokens, closer = value
            parts.append(opener)
            prev = ""
            for k, text in tokens:
                if k == "str":
                    parts.append(f" __mk{len(literals)}")
                    literals.append(_string_value(text))
                elif k == "num" and prev != ".":
                    parts.append(f" __mk{len(literals)}")
                    literals.append(float(text) if "." in text else int(text))
                elif k == "name" and calls.get(text):
                    alias = names.get(text)
                    if alias is None:
                        alias = names[text] = f"__mn{len(names)}"
                    parts.append(" " + alias)
                else:
                    parts.append(" " + text)
                prev = text
            parts.append(" " + closer)
        out.append(("".join(parts), literals, list(names)))
    return out


class _Overlay(dict[str, Any]):
    """One render's own names (the units' bindings, the file's top-level assignments) over the package's
    shared namespace, which stays untouched: macros called from the file never see the file's names."""

    __slots__ = ("_shared",)

    def __init__(self, shared: Any) -> None:
        super().__init__()
        self._shared = shared

    def __missing__(self, key: str) -> Any:
        return self._shared[key]

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._shared

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        return self._shared.get(key, default)


def render_units(namespace: Any, found: list[Unit]) -> bool:
    """Run a file's units in order in one render's namespace (the file's top-level assignments carried from
    unit to unit); False, having done part of the work, when a unit cannot run or raises: the caller then
    renders the file as written, with a fresh recorder."""
    from mason.jinja.environment import ReturnValue, template

    overlay = _Overlay(namespace)
    try:
        for source, literals, names in found:
            for i, value in enumerate(literals):
                overlay[f"__mk{i}"] = value
            for i, name in enumerate(names):
                value = namespace.get(name)
                if value is None:
                    return False
                overlay[f"__mn{i}"] = value
            tpl = template(source, "<parse-unit>")
            ctx = tpl.new_context(overlay, shared=True)
            try:
                for _ in tpl.root_render_func(ctx):
                    pass
            except ReturnValue:
                return True  # `return()` at the top level ends the render
            if ctx.vars:
                overlay.update(ctx.vars)
    except Exception:
        return False
    return True
