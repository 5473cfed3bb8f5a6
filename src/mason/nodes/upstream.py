"""What a project knows of the projects it builds on (mason.mesh): every model of an upstream project's
published manifest, public or not, so that a reference to one can be bound (public models) or refused
with both files named (protected and private ones)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class UpstreamModel:
    unique_id: str
    name: str
    access: str  # public | protected | private
    group: str | None
    file: str  # its file in the upstream project (original_file_path)
    version: str | None = None
    latest_version: str | None = None
    deprecation_date: str | None = None
    materialized: str | None = None

    @property
    def search_name(self) -> str:
        return self.name if self.version is None else f"{self.name}.v{self.version}"


@dataclass(frozen=True, slots=True)
class UpstreamProject:
    """An upstream project as its manifest describes it, and where that manifest was read from."""

    name: str
    location: str  # the path or URL of the manifest (credentials never included)
    identity: str  # what changes when the manifest does (ETag, mtime and size): part of the parse cache key
    models: dict[str, UpstreamModel] = field(default_factory=dict)
    generated_at: str | None = None

    def named(self, name: str) -> list[UpstreamModel]:
        return [m for m in self.models.values() if m.name == name]

    def describe(self, model: UpstreamModel) -> str:
        return f"{self.name}: {model.file}" if model.file else self.name

