"""Macro files: find each `{% macro %}` (and `{% test %}` / `{% materialization %}`) block and its line."""

from __future__ import annotations

import re

from mason.jinja.environment import preprocess
from mason.jinja.macros import MacroFile
from mason.nodes.nodes import DocBlock, Macro
from mason.parse.files import SourceFile

_MACRO_OPEN = re.compile(r"{%-?\s*macro\s+([A-Za-z_]\w*)\s*\(")
_MACRO_CLOSE = re.compile(r"{%-?\s*endmacro\s*-?%}")
_DOCS = re.compile(r"{%-?\s*docs\s+([\w.]+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.S)
_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")


def parse_macro_file(file: SourceFile) -> tuple[list[Macro], MacroFile]:
    text = preprocess(file.text)
    mfile = MacroFile(file.file_id, f"{file.package}/{file.original_file_path}", file.text)
    macros: list[Macro] = []
    pos = 0
    while True:
        start = _MACRO_OPEN.search(text, pos)
        if start is None:
            break
        end = _MACRO_CLOSE.search(text, start.end())
        stop = end.end() if end else len(text)
        name = start.group(1)
        line = text.count("\n", 0, start.start()) + 1
        macros.append(
            Macro(
                unique_id=f"macro.{file.package}.{name}",
                package_name=file.package,
                name=name,
                path=file.original_file_path,
                original_file_path=file.original_file_path,
                macro_sql=text[start.start():stop],
                line=line,
                file_id=file.file_id,
            )
        )
        pos = stop
    return macros, mfile


def called_names(sql: str) -> set[str]:
    """Names called like functions in a macro body (for depends_on.macros)."""
    return set(_CALL.findall(sql))


def parse_docs_file(file: SourceFile) -> list[DocBlock]:
    docs = []
    for match in _DOCS.finditer(file.text):
        name = match.group(1)
        docs.append(
            DocBlock(
                unique_id=f"doc.{file.package}.{name}",
                package_name=file.package,
                name=name,
                path=file.relative_path,
                original_file_path=file.original_file_path,
                block_contents=match.group(2).strip(),
            )
        )
    return docs
