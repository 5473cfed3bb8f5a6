"""`mason deps`: read the spec, reuse or rewrite package-lock.yml, and install into packages-install-path."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.deps import fetch
from mason.deps.lock import read_lock, write_lock
from mason.deps.resolve import Pinned, Resolver
from mason.deps.semver import Version, VersionError
from mason.deps.spec import (
    DEPENDENCIES_FILE,
    LOCK_FILE,
    PACKAGES_FILE,
    DepsError,
    Renderer,
    read_packages,
    read_projects,
)
from mason.errors import MasonError, Span, UsageError
from mason.project.project import PROJECT_FILE, load_project


@dataclass(frozen=True, slots=True)
class DepsOptions:
    upgrade: bool = False
    lock_only: bool = False
    add_package: str | None = None
    source: str = "hub"
    hub_url: str | None = None
    version_check: bool = True


def run_deps(project_dir: Path, cli_vars: Mapping[str, Any], env: Mapping[str, str], options: DepsOptions,
             echo: Callable[[str], None], profiles_dir: Path | None = None, profile: str | None = None) -> int:
    from mason.project.profiles import secret_function

    root = project_dir.resolve()
    project = load_project(root, dict(cli_vars), dict(env))
    say = _scrubbed(echo, env)
    spec_file = next((root / n for n in (PACKAGES_FILE, DEPENDENCIES_FILE) if (root / n).is_file()), root / PACKAGES_FILE)
    secret = secret_function(root, profiles_dir, profile or env.get("DBT_PROFILE") or project.profile, env,
                             (spec_file, spec_file.name))
    renderer = Renderer(cli_vars, env, project.name, secret)
    hub = fetch.Hub(fetch.hub_url(options.hub_url, env))
    if options.add_package:
        _add_package(root, options, hub, say)
    declared = read_packages(root, renderer)
    if not declared.specs:
        projects = [name for name, _ in read_projects(root)]
        if projects:
            say(f"No packages to install; the projects of {DEPENDENCIES_FILE} ({', '.join(projects)}) are read from "
                "their manifests, not installed (docs/mesh.md)")
        else:
            say(f"Warning: No packages were found in {declared.display}")
        return 0
    install = _install_path(root, project.packages_install_path)
    install.parent.mkdir(parents=True, exist_ok=True)
    wanted_hash = declared.sha1_hash
    lock = None if options.upgrade else _read_lock(root, renderer)
    workdir = Path(tempfile.mkdtemp(dir=install.parent, prefix=f".{install.name}.mason-"))
    try:
        resolver = Resolver(root, project.name, renderer, hub, workdir, options.version_check, say)
        if lock is not None and lock.sha1_hash == wanted_hash:
            if options.lock_only:
                say(f"{LOCK_FILE} is up to date with {declared.display}; nothing to do "
                    "(run with --upgrade to resolve newer versions)")
                return 0
            try:
                pins = resolver.resolve(lock.specs, transitive=False)
            except DepsError as exc:
                from_lock = exc.span is not None and exc.span.path == LOCK_FILE
                hint = "; ".join(h for h in (exc.hint, _LOCK_HINT if from_lock else None) if h)
                raise DepsError(exc.message, exc.span, hint or None) from exc
        else:
            if lock is not None:
                resolver.prefer(lock.specs)
            pins = resolver.resolve(declared.specs)
            path = write_lock(root, pins, wanted_hash)
            say(f"Updating lock file in file path: {path}")
            if options.lock_only:
                return 0
        _install(pins, resolver, workdir, install, say)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


_LOCK_HINT = f"this entry comes from {LOCK_FILE}: `mason deps --upgrade` resolves packages.yml again"


def _read_lock(root: Path, renderer: Renderer) -> Any:
    try:
        return read_lock(root, renderer)
    except MasonError as exc:
        raise DepsError(exc.message, exc.span, _LOCK_HINT) from exc


def _scrubbed(echo: Callable[[str], None], env: Mapping[str, str]) -> Callable[[str], None]:
    from mason.jinja.base_context import SECRET_PREFIXES
    from mason.observe import masking

    masking.register(v for k, v in env.items() if k.startswith(SECRET_PREFIXES))

    def say(text: str) -> None:  # secret() values in packages.yml join the masked set as they are read
        echo(masking.scrub(text))

    return say


def _install_path(root: Path, configured: str) -> Path:
    install = Path(os.path.normpath(root / configured))
    if install == root or install in root.parents:
        raise DepsError(f"packages-install-path {configured!r} is the project folder or one of its parents",
                        Span(PROJECT_FILE), "set packages-install-path to a folder of its own, e.g. dbt_packages")
    return install


def _add_package(root: Path, options: DepsOptions, hub: fetch.Hub, say: Callable[[str], None]) -> None:
    from mason.deps.add import SOURCES, add_to_packages_file, parse_add_package
    from mason.deps.semver import latest

    if options.source not in SOURCES:
        raise UsageError(f"--source must be one of {', '.join(SOURCES)}")
    assert options.add_package is not None
    entry, display = parse_add_package(options.add_package, options.source)
    if "package" in entry and "version" not in entry:
        record = hub.package(entry["package"], None)
        newest = latest(record["versions"])
        if newest is None:
            raise DepsError(f"the package hub lists no release of {entry['package']}", None,
                            "give a version: --add-package owner/name@1.2.3")
        entry["version"] = newest
        display = f"{entry['package']}@{newest}"
    path = add_to_packages_file(root, entry)
    say(f"Added new package {display} to {path}")


def _install(pins: list[Pinned], resolver: Resolver, workdir: Path, install: Path,
             say: Callable[[str], None]) -> None:
    """Put every package in a fresh folder, then swap it for the old install folder in one rename."""
    staging = workdir / "install"
    staging.mkdir()
    updates: list[str] = []
    for pin in pins:
        say(f"Installing {pin.display}")
        dest = staging / pin.name
        if pin.kind == "local":
            assert pin.path is not None
            _link_or_copy(pin.path, dest)
            say(f"Installed from <local @ {pin.spec.source}>")
            continue
        if pin.kind == "package":
            source = resolver.fetch_hub(pin)
        else:
            assert pin.path is not None
            source = pin.path
        shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        if pin.kind == "package":
            say(f"Installed from version {pin.version}")
            if _newer(pin.latest, pin.version):
                say(f"Updated version available: {pin.latest}")
                updates.append(pin.display)
            else:
                say("Up to date!")
        elif pin.kind == "git":
            say(f"Installed from revision {pin.revision}")
            if pin.spec.subdirectory:
                say(f"and subdirectory {pin.spec.subdirectory}")
        else:
            say(f"Installed from tarball (url: {pin.tarball})")
    _swap(staging, install, workdir)
    if updates:
        say("")
        say(f"Updates available for packages: {updates}")
        say(f"Update your versions in {PACKAGES_FILE}, then run mason deps")


def _newer(candidate: str | None, current: str | None) -> bool:
    if not candidate or not current:
        return False
    try:
        return Version.parse(candidate) > Version.parse(current)
    except VersionError:
        return False


def _link_or_copy(source: Path, dest: Path) -> None:
    """Local packages are linked (as dbt does), so edits show up without re-running deps."""
    try:
        os.symlink(source, dest, target_is_directory=True)
    except OSError:  # no symlinks here (e.g. Windows without the privilege): copy instead
        shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))


def _swap(staging: Path, install: Path, workdir: Path) -> None:
    old = workdir / "previous"
    if install.is_symlink() or install.exists():
        try:
            os.replace(install, old)
        except OSError as exc:
            raise DepsError(f"cannot replace {install}: {exc.strerror}", None,
                            "check that no other program is using the folder, and its permissions") from exc
    try:
        os.replace(staging, install)
    except OSError as exc:
        if old.exists() or old.is_symlink():
            os.replace(old, install)
        raise DepsError(f"cannot create {install}: {exc.strerror}", None,
                        "check the folder's permissions") from exc
