"""In-process entry points: parse, list and compile without the command line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from mason.errors import MasonError, ParseErrors, UsageError, did_you_mean
from mason.graph.dag import bind
from mason.graph.selector import (
    Difference,
    Intersection,
    Selector,
    default_selector,
    parse_cli,
    parse_union,
    parse_yaml_definition,
)
from mason.nodes.manifest import Manifest
from mason.parse.parser import ProjectParser
from mason.project.loader import LoadedProject, load
from mason.session import Session


@dataclass(frozen=True, slots=True)
class Parsed:
    loaded: LoadedProject
    manifest: Manifest


def parse(session: Session) -> Parsed:
    loaded = load(session)
    parser = ProjectParser(session, loaded.packages, loaded.target.context(), loaded.target.type)
    parsed = parser.parse()
    errors = list(parser.errors)
    try:
        manifest = bind(parsed)
    except ParseErrors as exc:
        errors.extend(exc.errors)
    except MasonError as exc:
        errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ParseErrors(errors)
    manifest = replace(manifest, selectors=loaded.selectors)
    return Parsed(loaded, manifest)


def select(parsed: Parsed, select: Iterable[str] | None = None, exclude: Iterable[str] | None = None,
           selector: str | None = None, resource_types: Iterable[str] | None = None,
           indirect_selection: str = "eager") -> set[str]:
    selectors = parsed.loaded.selectors
    if selector is None and not select and not exclude:
        selector = default_selector(selectors)
    if selector is not None:
        if selector not in selectors:
            raise UsageError(f"selector {selector!r} not found in selectors.yml", hint=did_you_mean(selector, selectors))
        spec: Any = parse_yaml_definition(selectors[selector]["definition"], selectors, selector)
        if select:
            spec = Intersection((spec, parse_union(select)))
        if exclude:
            spec = Difference(spec, parse_union(exclude))
    else:
        spec = parse_cli(select, exclude)
    return Selector(parsed.manifest).select(spec, indirect_selection, resource_types)
