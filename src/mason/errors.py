"""Project exceptions. Every user-facing error carries where it happened and what to do."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a file: path relative to the project root (or absolute), 1-based line."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


class MasonError(Exception):
    """A handled failure: printed as one message, exit code 1, no traceback unless --debug."""

    exit_code = 1

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class UsageError(MasonError):
    """Command-line misuse (exit code 2)."""

    exit_code = 2


class ProjectError(MasonError):
    """dbt_project.yml, profiles.yml, selectors.yml and other project-level problems."""


class ParseError(MasonError):
    """A file could not be turned into nodes."""


class CompileError(MasonError):
    """Jinja failed while compiling a node."""


class DatabaseError(MasonError):
    """The warehouse refused a statement."""


class ParseErrors(MasonError):
    """Several parse diagnostics, reported together."""

    def __init__(self, errors: list[MasonError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) while parsing the project")

    def render(self) -> str:
        lines = [f"{len(self.errors)} error(s) while parsing the project:"]
        for err in self.errors:
            body = err.render().replace("\n", "\n    ")
            lines.append(f"  - {body}")
        return "\n".join(lines)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def not_utf8(display: str, path: Path, exc: UnicodeDecodeError) -> ParseError:
    """A project file that is not UTF-8: where its first bad byte is, and what to do."""
    data = path.read_bytes()
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return ParseError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (column {column})",
                      Span(display, line), "save the file as UTF-8 (dbt reads every project file as UTF-8)")
