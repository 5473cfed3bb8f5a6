"""What parsing hands to the stages after it: the loaded project with its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from mason.project.loader import LoadedProject

if TYPE_CHECKING:
    from mason.nodes.manifest import Manifest


@dataclass(frozen=True, slots=True)
class Parsed:
    loaded: LoadedProject
    manifest: Manifest
    unchanged: bool = False  # the manifest is exactly the last parse's (its artifacts need no rewrite)
    patched: frozenset[str] | None = None  # after a partial re-parse: the ids of the re-parsed nodes
    light: bool = False  # nodes other than the patched ones are SlimNodes (see parse(light=True))


class Prepared(NamedTuple):
    """The loaded project, its cache key and its files' states (None without partial parsing): computed
    once by `prepare` and handed to both `parse_is_current` and `parse` (walking the files twice cost 0.1 s
    at 10,000 models). `mesh`: the upstream projects' manifests, fetched (a mason.mesh.MeshSetup)."""

    loaded: LoadedProject
    key: str | None
    states: dict[str, tuple[int, int]] | None
    mesh: Any = None
