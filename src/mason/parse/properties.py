"""Properties YAML (schema.yml files): patches for nodes, sources, exposures, groups and the semantic layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mason.errors import MasonError, ParseError, Span
from mason.jinja.native import has_jinja, render_native
from mason.parse.files import SourceFile
from mason.project.yamlio import load_yaml_text

# Values under these keys are rendered later (or never) rather than at parse time.
_UNRENDERED = frozenset(
    {"description", "data_tests", "tests", "pre-hook", "post-hook", "pre_hook", "post_hook", "loaded_at_query",
     "filter", "where", "given", "expect", "overrides", "query_params", "sql"}
)
PATCH_KINDS = ("models", "seeds", "snapshots", "analyses", "macros")


@dataclass(slots=True)
class Patch:
    kind: str
    name: str
    data: dict[str, Any]
    file: SourceFile

    @property
    def line(self) -> int | None:
        """Where the entry starts (computed only when an error needs it)."""
        return _line_of(self.file.text, self.kind, self.name)


@dataclass(slots=True)
class Properties:
    patches: dict[tuple[str, str, str], Patch] = field(default_factory=dict)  # (kind, package, name)
    sources: list[tuple[dict[str, Any], SourceFile]] = field(default_factory=list)
    exposures: list[tuple[dict[str, Any], SourceFile]] = field(default_factory=list)
    groups: list[tuple[dict[str, Any], SourceFile]] = field(default_factory=list)
    semantic: list[tuple[str, dict[str, Any], SourceFile]] = field(default_factory=list)
    yaml_snapshots: list[tuple[dict[str, Any], SourceFile]] = field(default_factory=list)
    singular_test_patches: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    errors: list[MasonError] = field(default_factory=list)


def _render(value: Any, ctx: dict[str, Any], name: str, key: str | None = None) -> Any:
    if key in _UNRENDERED:
        return value
    if isinstance(value, dict):
        return {k: _render(v, ctx, name, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, ctx, name, None) for v in value]
    if isinstance(value, str) and has_jinja(value):
        return render_native(value, ctx, name)
    return value


def _line_of(text: str, kind: str, name: str) -> int | None:
    needle = f"name: {name}"
    idx = text.find(needle)
    if idx < 0:
        idx = text.find(f"name: '{name}'")
    if idx < 0:
        idx = text.find(f'name: "{name}"')
    return text.count("\n", 0, idx) + 1 if idx >= 0 else None


def read_properties(files: list[SourceFile], render_ctx: dict[str, Any], into: Properties) -> None:
    for file in files:
        display = f"{file.original_file_path}"
        try:
            doc = load_yaml_text(file.text, display)
        except ParseError as exc:
            into.errors.append(exc)
            continue
        if doc is None:
            continue
        if not isinstance(doc, dict):
            into.errors.append(ParseError("a properties file must be a mapping with keys like models:, sources:",
                                          Span(display, 1)))
            continue
        for kind in PATCH_KINDS:
            for entry in doc.get(kind) or []:
                if not isinstance(entry, dict) or not entry.get("name"):
                    into.errors.append(ParseError(f"every entry under {kind}: needs a name",
                                                  Span(display, _line_of(file.text, kind, ""))))
                    continue
                name = str(entry["name"])
                try:
                    data = _render(entry, render_ctx, display) if kind != "macros" else entry
                except MasonError as exc:
                    exc.span = exc.span or Span(display, _line_of(file.text, kind, name))
                    into.errors.append(exc)
                    continue
                key = (kind, file.package, name)
                if key in into.patches:
                    other = into.patches[key]
                    into.errors.append(ParseError(
                        f"{kind[:-1]} {name!r} is described twice: in {other.file.original_file_path} and {display}",
                        Span(display, _line_of(file.text, kind, name)),
                        "keep one properties entry per resource"))
                    continue
                into.patches[key] = Patch(kind, name, data, file)
        for entry in doc.get("sources") or []:
            if isinstance(entry, dict):
                try:
                    rendered = _render(entry, render_ctx, display)
                    # as written, for state comparison: `{{ target.schema }}` is the same source everywhere
                    rendered["_unrendered"] = {"schema": entry.get("schema"), "database": entry.get("database")}
                    into.sources.append((rendered, file))
                except MasonError as exc:
                    into.errors.append(exc)
        for entry in doc.get("exposures") or []:
            if isinstance(entry, dict):
                into.exposures.append((_render(entry, render_ctx, display), file))
        for entry in doc.get("groups") or []:
            if isinstance(entry, dict):
                into.groups.append((_render(entry, render_ctx, display), file))
        for kind in ("semantic_models", "metrics", "saved_queries", "unit_tests"):
            for entry in doc.get(kind) or []:
                if isinstance(entry, dict):
                    into.semantic.append((kind, entry, file))
        for entry in doc.get("data_tests") or []:
            if isinstance(entry, dict) and entry.get("name"):
                into.singular_test_patches[(file.package, str(entry["name"]))] = entry
        # YAML-defined snapshots (dbt >= 1.9) live under snapshots: with a relation:
        for entry in doc.get("snapshots") or []:
            if isinstance(entry, dict) and entry.get("relation"):
                into.yaml_snapshots.append((_render(entry, render_ctx, display), file))
