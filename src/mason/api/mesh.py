"""The mesh's commands (docs/mesh.md): workspace runs (`mason --workspace DIR build`), the workspace's
lineage (`mason ls --workspace`), and `mason mesh check --state DIR`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from mason import api
from mason.errors import UsageError
from mason.mesh.workspace import WorkspaceProject, consumers_of, discover, workspace_root
from mason.observe.masking import scrub


def _echo(text: str, err: bool = False) -> None:
    click.echo(scrub(text), err=err)


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """A workspace runs each project from its own folder (relative paths in profiles.yml, as in that project)."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _sessions(folder: Path, make_session: Callable[[Path], Any]) -> Iterator[tuple[WorkspaceProject, Any]]:
    projects = discover(folder)
    for project in projects:
        session = make_session(project.root)
        manifests = {p.name: p.manifest(session.target_path) for p in projects}
        yield project, replace(session, upstream_manifests=manifests)


def run_workspace(folder: Path, make_session: Callable[[Path], Any], body: Callable[[Any], int]) -> int:
    """Run a command in each project of the workspace, upstream projects first; each reads its upstreams'
    manifests from their folders. The first project that fails stops the run."""
    projects = discover(folder)
    root = workspace_root(folder)
    _echo(f"Workspace {root}: " + " -> ".join(p.name for p in projects))
    done: list[str] = []
    for project, session in _sessions(folder, make_session):
        _echo(f"\n== {project.name} ({os.path.relpath(project.root, Path.cwd())}) ==")
        with _inside(project.root):
            code = body(session)
        if code != 0:
            rest = [p.name for p in projects if p.name not in done and p.name != project.name]
            _echo(f"\n{project.name} failed (exit {code})" + (f"; not run: {', '.join(rest)}" if rest else ""), err=True)
            return code
        done.append(project.name)
    return 0


def workspace_parsed(folder: Path, make_session: Callable[[Path], Any]) -> list[tuple[WorkspaceProject, Any, Any]]:
    """Each project of the workspace parsed (its manifest written): (project, session, Parsed)."""
    out = []
    for project, session in _sessions(folder, make_session):
        with _inside(project.root):
            out.append((project, session, api.parse_and_write(session)))
    return out


def merged(parsed: list[Any]) -> Any:
    """One Parsed whose manifest holds every project's resources, an upstream project's own nodes in place of
    the stand-ins its consumers hold: the workspace's lineage, to select from."""
    from mason.nodes.manifest import Manifest

    if not parsed:
        raise UsageError("the workspace has no projects")
    tables: dict[str, dict[str, Any]] = {k: {} for k in ("nodes", "sources", "exposures", "metrics",
                                                          "semantic_models", "saved_queries", "unit_tests",
                                                          "groups", "macros", "docs")}
    parents: dict[str, list[str]] = {}
    children: dict[str, set[str]] = {}
    for p in parsed:
        m: Manifest = p.manifest
        for name, table in tables.items():
            for uid, node in getattr(m, name).items():
                have = table.get(uid)  # an upstream's own node wins over a consumer's stand-in for it
                if have is None or (name == "nodes" and have.is_external and not node.is_external):
                    table[uid] = node
        for uid, ps in m.parent_map.items():
            if ps or uid not in parents:
                parents[uid] = list(ps)
        for uid, cs in m.child_map.items():
            children.setdefault(uid, set()).update(cs)
    last = parsed[-1]
    manifest = replace(last.manifest, **tables, parent_map=parents,
                       child_map={uid: sorted(cs) for uid, cs in children.items()},
                       project_packages=tuple(dict.fromkeys(pk for p in parsed for pk in p.manifest.project_packages)),
                       upstream={})
    return replace(last, manifest=manifest, unchanged=True, patched=None, light=False)


def ls_workspace(folder: Path, make_session: Callable[[Path], Any], opts: dict[str, Any]) -> int:
    from mason.api.commands import DEFAULT_LS_TYPES, ls_lines

    parsed = workspace_parsed(folder, make_session)
    whole = merged([p for _, _, p in parsed])
    session = parsed[-1][1]
    if opts.get("state"):
        raise UsageError("--state does not apply to ls --workspace", hint="run ls in one project with --state")
    ids = api.selected(whole, session, {**opts, "state": None}, DEFAULT_LS_TYPES)
    lines = ls_lines(whole, ids, opts)
    if lines:
        _echo("\n".join(lines))
    elif not session.flags.quiet:
        _echo("No nodes selected!", err=True)
    return 0


def check(session: Any, opts: dict[str, Any]) -> int:
    """`mason mesh check --state DIR`: public models whose contract (or existence, or access) changed
    without a new version, compared with production's manifest, with the downstream projects using them."""
    from mason.mesh.check import breaking_public, users

    state = api.state_of(session, opts)
    if state is None:
        raise UsageError("mason mesh check needs --state DIR: production's target/ (its manifest.json)",
                         hint="e.g. mason mesh check --state prod-artifacts/")
    parsed = api.parse(session)
    comparison = api.comparison(parsed, state)
    findings = breaking_public(parsed.manifest, comparison)
    name = parsed.manifest.project_name
    folder = Path(opts["workspace"]) if opts.get("workspace") else parsed.loaded.project.root.parent
    consumers: list[WorkspaceProject] = []
    try:
        consumers = consumers_of(discover(folder), name)
    except UsageError:
        consumers = []
    used, unparsed = users(consumers, session.target_path)
    public = sum(1 for n in parsed.manifest.nodes.values() if n.resource_type == "model" and n.access == "public"
                 and n.package_name == name and not n.is_external)
    where = ", ".join(p.name for p in consumers) or "none found"
    if not findings:
        _echo(f"No breaking changes: {public} public model(s) of {name} keep what production ({state.path}) "
              f"publishes. Downstream projects: {where}.")
        return 0
    _echo(f"Breaking changes to {name}'s public models, compared with production ({state.path}):")
    for f in findings:
        _echo(f"\n  {f.unique_id} ({f.file})")
        for problem in f.problems:
            _echo(f"    - {problem}")
        by = used.get(f.unique_id) or {}
        if by:
            for project, nodes in sorted(by.items()):
                _echo(f"    used by {project}: {', '.join(nodes)}")
        else:
            _echo("    used by: no downstream project's manifest refers to it"
                  + (f" ({', '.join(unparsed)} not parsed yet)" if unparsed else ""))
    _echo("\nhint: keep a public model as it was and add a new version (versions: [{v: 1}, {v: 2}], "
          "latest_version: 2) so consumers move when they are ready; deprecate the old one with deprecation_date")
    return 1
