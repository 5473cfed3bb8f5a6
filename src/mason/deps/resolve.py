"""Resolution: pin every requested package (transitively), merging what different requesters asked for."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mason.deps import fetch
from mason.deps.semver import Version, VersionError, VersionRange, best_match, latest, sort_versions
from mason.deps.spec import DepsError, Origin, Renderer, Spec, parse_entry, read_packages
from mason.errors import Span
from mason.project.project import PROJECT_FILE

_MAX_ROUNDS = 40


@dataclass(slots=True)
class Pinned:
    """A package resolved to one exact source: a hub version, a git commit, a folder or a tarball URL."""

    kind: str
    key: str
    spec: Spec  # the first request (root requests come first)
    requests: list[Spec]
    name: str = ""  # the package's project name (dbt_project.yml `name:`)
    version: str | None = None  # hub
    latest: str | None = None  # hub: newest release, for "update available"
    tarball: str | None = None  # hub / tarball download URL
    tarball_sha1: str | None = None
    revision: str | None = None  # git: the commit sha
    path: Path | None = None  # local: the folder; others: where the fetched project sits
    checkout: Path | None = None  # git: the whole clone (path is inside it with a subdirectory)
    deps: list[Spec] = field(default_factory=list)

    @property
    def display(self) -> str:
        if self.kind == "package":
            return self.spec.source
        if self.kind == "git":
            return fetch.git_display(self.spec.source, self.spec.subdirectory)
        if self.kind == "tarball":
            return self.name
        return self.spec.source

    @property
    def ident(self) -> str:
        return f"{self.key}@{self.version or self.revision or ''}"


class Resolver:
    """Pins packages; fetched contents are kept under `workdir` and reused when installing."""

    def __init__(self, project_root: Path, project_name: str, renderer: Renderer, hub: fetch.Hub,
                 workdir: Path, check_dbt_version: bool = True, warn: Callable[[str], None] | None = None) -> None:
        self.root = project_root
        self.project_name = project_name
        self.renderer = renderer
        self.hub = hub
        self.workdir = workdir
        self.check_dbt_version = check_dbt_version
        self.warn = warn or (lambda message: None)
        self._fetched: dict[str, tuple[Path, Any]] = {}
        self._warned: set[str] = set()
        self._pins: dict[tuple[Any, ...], Pinned] = {}
        # From an outdated package-lock.yml: key -> locked hub version or git commit, kept when still allowed.
        self.preferred: dict[str, str] = {}

    def prefer(self, locked: list[Spec]) -> None:
        """Keep what an outdated lock pinned where the new spec still allows it, so editing packages.yml
        does not move the other packages (--upgrade resolves everything afresh)."""
        for spec in locked:
            if spec.kind == "package" and spec.versions:
                self.preferred[self.key_of(spec)] = spec.versions[0]
            elif spec.kind == "git" and spec.revision:
                self.preferred[self.key_of(spec)] = spec.revision

    # ------------------------------------------------------------------------------------ requests

    def key_of(self, spec: Spec) -> str:
        if spec.kind == "package":
            return "hub:" + spec.source.lower()
        if spec.kind == "git":
            url = spec.source.rstrip("/")
            url = url[:-4] if url.endswith(".git") else url
            return f"git:{url}#{spec.subdirectory or ''}"
        if spec.kind == "tarball":
            return "tarball:" + spec.source
        return "local:" + str(self.local_path(spec))

    def local_path(self, spec: Spec) -> Path:
        """A local path is relative to the file that names it; dbt reads it relative to the root project,
        so that is tried too."""
        raw = Path(os.path.expanduser(spec.source))
        candidates = [raw] if raw.is_absolute() else [spec.base_dir / raw, self.root / raw]
        # a download is temporary: a path into it cannot be linked (git packages turn those into git entries)
        candidates = [c for c in candidates if not _inside(c, self.workdir)] or [self.root / raw]
        for candidate in candidates:
            if (candidate / PROJECT_FILE).is_file():
                return Path(os.path.normpath(candidate.absolute()))
        return Path(os.path.normpath(candidates[0].absolute()))

    # ------------------------------------------------------------------------------------ resolve

    def resolve(self, roots: list[Spec], transitive: bool = True) -> list[Pinned]:
        """Pin all packages. Each round pins every package from all current requests, then collects the
        requests of the pinned packages; stops when a round asks for nothing new."""
        pins: dict[str, Pinned] = {}
        previous: list[tuple[str, ...]] | None = None
        for _ in range(_MAX_ROUNDS):
            requests: dict[str, list[Spec]] = {}
            for spec in roots:
                requests.setdefault(self.key_of(spec), []).append(spec)
            if transitive:
                for pin in pins.values():
                    for dep in pin.deps:
                        requests.setdefault(self.key_of(dep), []).append(dep)
            signature = sorted(_signature(key, spec) for key, specs in requests.items() for spec in specs)
            if signature == previous:
                break
            previous = signature
            pins = {key: self._pin_cached(key, specs, transitive) for key, specs in requests.items()}
        else:
            raise DepsError("package versions did not settle: the packages keep asking for each other's "
                            "different versions", roots[0].origin.span if roots else None,
                            "pin exact versions in packages.yml for the packages named above")
        ordered = self._order(roots, pins, transitive)
        self._check_names(ordered)
        return ordered

    def _order(self, roots: list[Spec], pins: dict[str, Pinned], transitive: bool) -> list[Pinned]:
        seen: dict[str, Pinned] = {}
        queue = [self.key_of(spec) for spec in roots]
        while queue:
            key = queue.pop(0)
            if key in seen or key not in pins:
                continue
            seen[key] = pins[key]
            if transitive:
                queue.extend(self.key_of(dep) for dep in pins[key].deps)
        return list(seen.values())

    def _check_names(self, pins: list[Pinned]) -> None:
        by_name: dict[str, Pinned] = {}
        for pin in pins:
            if pin.name == self.project_name:
                raise DepsError(
                    f"package {pin.display} is named {pin.name!r}, the same as this project",
                    pin.spec.origin.span, "a package cannot share the root project's name; remove this entry")
            other = by_name.get(pin.name)
            if other is not None:
                raise DepsError(
                    f"two different packages are both named {pin.name!r}: {other.display} "
                    f"(from {other.spec.origin.describe()}) and {pin.display} (from {pin.spec.origin.describe()})",
                    _root_span(other.requests + pin.requests),
                    "keep only one of them (e.g. the hub package instead of a git copy of it)")
            by_name[pin.name] = pin

    def _pin_cached(self, key: str, specs: list[Spec], with_deps: bool) -> Pinned:
        cache_key = (key, with_deps, tuple(sorted(_signature(key, spec) for spec in specs)))
        if cache_key not in self._pins:
            self._pins[cache_key] = self.pin(key, specs, with_deps)
        return self._pins[cache_key]

    def pin(self, key: str, specs: list[Spec], with_deps: bool = True) -> Pinned:
        kind = specs[0].kind
        if kind == "package":
            pin = self._pin_hub(key, specs)
        elif kind == "git":
            pin = self._pin_git(key, specs)
        elif kind == "tarball":
            pin = self._pin_tarball(key, specs)
        else:
            pin = self._pin_local(key, specs)
        if with_deps:
            pin.deps = self._deps_of(pin)
        return pin

    # ------------------------------------------------------------------------------------ kinds

    def _pin_hub(self, key: str, specs: list[Spec]) -> Pinned:
        spec = specs[0]
        name = spec.source
        span = _root_span(specs)
        wanted = VersionRange()
        for request in specs:
            try:
                wanted = wanted.intersect(VersionRange.parse(request.versions))
            except VersionError as exc:
                raise DepsError(f"hub package {name}: {exc}", request.origin.span) from exc
        asks = "\n".join(f"    {r.origin.describe()} asks for {_ranges_text(r.versions)}" for r in specs)
        if wanted.is_empty:
            raise DepsError(f"version conflict for {name}: no version satisfies every requirement:\n{asks}", span,
                            "change the version ranges so they overlap (or upgrade the package that asks "
                            "for an older range)")
        record = self.hub.package(name, span)
        versions: dict[str, Any] = record["versions"]
        compatible = [v for v, meta in versions.items() if self._dbt_compatible(meta)]
        prerelease = any(r.install_prerelease for r in specs)
        chosen = best_match(compatible, wanted, prerelease)
        kept = self.preferred.get(key)
        if (chosen is not None and kept is not None and kept != chosen and kept in compatible
                and best_match([kept], wanted, prerelease) == kept):
            if key not in self._warned:
                self._warned.add(key)
                self.warn(f"Keeping {name} {kept} from package-lock.yml ({chosen} matches too: run "
                          "mason deps --upgrade to move to it)")
            chosen = kept
        if chosen is None:
            hidden = sorted(set(versions) - set(compatible))
            note = (f"\n  not considered (they require another dbt version): {', '.join(sort_versions(hidden))}"
                    if hidden else "")
            releases = [v for v in sort_versions(compatible) if prerelease or not Version.parse(v).is_prerelease]
            held_back = best_match(compatible, wanted, True) if not prerelease else None
            raise DepsError(
                f"no version of {name} satisfies {wanted}:\n{asks}\n  available: {', '.join(releases) or 'none'}"
                f"{note}", span,
                "change the version range in packages.yml"
                + ("; pass --no-version-check to consider the versions for other dbt versions" if hidden else "")
                + (f"; prerelease {held_back} matches: add `install-prerelease: true` to use it"
                   if held_back else ""))
        meta = versions[chosen] if isinstance(versions[chosen], dict) else {}
        downloads = meta.get("downloads") or {}
        if not downloads.get("tarball"):
            raise DepsError(f"the package hub lists no download for {name} {chosen}", span,
                            "try another version, or install the package with `git:`")
        return Pinned("package", key, spec, specs, name=str(meta.get("name") or record.get("name")
                                                               or name.split("/")[1]),
                     version=chosen, latest=latest(compatible) or chosen, tarball=str(downloads["tarball"]),
                     tarball_sha1=downloads.get("sha1"))

    def _dbt_compatible(self, meta: Any) -> bool:
        if not self.check_dbt_version or not isinstance(meta, dict):
            return True
        required = meta.get("require_dbt_version")
        if not required:
            return True
        from mason import DBT_COMPAT_VERSION

        try:
            return VersionRange.parse(required).contains(Version.parse(DBT_COMPAT_VERSION))
        except VersionError:
            return True

    def _pin_git(self, key: str, specs: list[Spec]) -> Pinned:
        spec = specs[0]
        display = fetch.git_display(spec.source, spec.subdirectory)
        revisions = {r.revision for r in specs if r.revision is not None}
        if len(revisions) > 1:
            asks = "\n".join(f"    {r.origin.describe()} asks for revision {r.revision or '(default branch)'}"
                             for r in specs)
            raise DepsError(f"git package {display} is requested at different revisions:\n{asks}",
                            _root_span(specs), "use the same `revision:` everywhere this repository is listed")
        requested = revisions.pop() if revisions else None
        revision = requested or self.preferred.get(key)
        if requested is None and all(r.warn_unpinned for r in specs) and display not in self._warned:
            self._warned.add(display)
            self.warn(f'Warning: the git package "{spec.source}" is not pinned, using the default branch '
                      f"(from {spec.origin.describe()}).\n  This can bring breaking changes into your project "
                      "without warning: set `revision:` to a tag or commit (or `warn-unpinned: false`).")
        repo = key.split("#", 1)[0]
        checkout, sha = self._fetch(f"{repo}|{revision}",
                                    lambda dest: (dest, self._git(spec, revision, dest, display)))
        self._fetched.setdefault(f"{repo}|{sha}", (checkout, sha))  # the same commit by its sha
        folder = checkout / spec.subdirectory if spec.subdirectory else checkout
        span = _root_span(specs)
        if not (folder / PROJECT_FILE).is_file():
            where = f"subdirectory {spec.subdirectory!r}" if spec.subdirectory else "the repository's top level"
            raise DepsError(f"git package {display}: no {PROJECT_FILE} in {where}", span,
                            "point `subdirectory:` at the folder that holds the package's dbt_project.yml")
        return Pinned("git", key, spec, specs, name=self._project_name(folder, display, span), revision=sha,
                      path=folder, checkout=checkout)

    def _git(self, spec: Spec, revision: str | None, dest: Path, display: str) -> str:
        return fetch.git_checkout(spec.source, revision, dest, _root_span([spec]), display)

    def _pin_tarball(self, key: str, specs: list[Spec]) -> Pinned:
        spec = specs[0]
        span = _root_span(specs)
        folder, _ = self._fetch(
            f"tarball|{spec.source}",
            lambda dest: (fetch.download_tarball(spec.source, dest, span, f"tarball package {spec.name}"), None))
        folder = fetch.project_root_in(folder, span, f"tarball package {spec.name}")
        name = self._project_name(folder, spec.source, span)
        return Pinned("tarball", key, spec, specs, name=name, tarball=spec.source, path=folder)

    def _pin_local(self, key: str, specs: list[Spec]) -> Pinned:
        spec = specs[0]
        path = self.local_path(spec)
        if not path.is_dir():
            raise DepsError(f"local package {spec.source!r}: folder {path} does not exist", spec.origin.span,
                            "local paths are relative to the project that lists them; fix the path or create "
                            "the package there")
        if not (path / PROJECT_FILE).is_file():
            raise DepsError(f"local package {spec.source!r}: {path} has no {PROJECT_FILE}", spec.origin.span,
                            "a package must be a dbt project: point `local:` at the folder holding its "
                            "dbt_project.yml")
        return Pinned("local", key, spec, specs, name=self._project_name(path, spec.source, spec.origin.span),
                      path=path)

    # ------------------------------------------------------------------------------------ helpers

    def _fetch(self, cache_key: str, get: Callable[[Path], tuple[Path, Any]]) -> tuple[Path, Any]:
        """Fetch once per run into a fresh folder under the work folder; `get` returns (folder, extra)."""
        if cache_key not in self._fetched:
            dest = Path(tempfile.mkdtemp(dir=self.workdir, prefix="pkg-")) / "src"
            self._fetched[cache_key] = get(dest)
        return self._fetched[cache_key]

    def fetch_hub(self, pin: Pinned) -> Path:
        """Download a hub package's tarball (once) and return its project folder."""
        if pin.path is None:
            assert pin.tarball is not None
            what = f"hub package {pin.display} {pin.version}"
            url, sha1 = pin.tarball, pin.tarball_sha1
            folder, _ = self._fetch(f"hub|{pin.key}|{pin.version}",
                                    lambda dest: (fetch.download_tarball(url, dest, pin.spec.origin.span, what,
                                                                         sha1), None))
            pin.path = fetch.project_root_in(folder, pin.spec.origin.span, what)
        return pin.path

    def _project_name(self, folder: Path, display: str, span: Span | None) -> str:
        from mason.project.yamlio import load_yaml_file

        raw = load_yaml_file(folder / PROJECT_FILE, f"{display}/{PROJECT_FILE}")
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not name.isidentifier():
            raise DepsError(f"package {display} has no valid `name:` in its {PROJECT_FILE}", span,
                            "the package's dbt_project.yml must name it (letters, digits and underscores)")
        return name

    def _deps_of(self, pin: Pinned) -> list[Spec]:
        if pin.kind == "package":
            requester = f"{pin.display}@{pin.version}"
        elif pin.kind == "git":
            requester = f"{pin.display}@{(pin.revision or '')[:10]}"
        else:
            requester = f"package {pin.name}"
        if pin.kind == "package":
            # The hub publishes each version's own packages; without that list, read the download.
            meta = self.hub.package(pin.spec.source, pin.spec.origin.span)["versions"].get(pin.version)
            if isinstance(meta, dict) and isinstance(meta.get("packages"), list):
                origin = Origin("", None, requester)
                return [parse_entry(entry, origin, self.root, self.renderer) for entry in meta["packages"]]
            self.fetch_hub(pin)
        assert pin.path is not None
        declared = read_packages(pin.path, self.renderer, f"{pin.display}/", requester)
        if pin.kind == "git":
            return [self._same_repo(pin, spec) for spec in declared.specs]
        return declared.specs

    def _same_repo(self, pin: Pinned, spec: Spec) -> Spec:
        """A git package's `local:` path to another package in the same repository (a monorepo) becomes a
        git entry for that folder at the same commit, so it can be installed and locked."""
        if spec.kind != "local" or Path(spec.source).is_absolute() or pin.checkout is None:
            return spec
        assert pin.path is not None
        target = Path(os.path.normpath(pin.path / spec.source))
        checkout = Path(os.path.normpath(pin.checkout))
        if not _inside(target, checkout) or not (target / PROJECT_FILE).is_file():
            return spec
        sub = target.relative_to(checkout).as_posix()
        fields: dict[str, Any] = {"git": pin.spec.source, "revision": pin.revision}
        raw: dict[str, Any] = {"git": pin.spec.raw.get("git", pin.spec.source), "revision": pin.revision}
        if sub != ".":
            fields["subdirectory"] = raw["subdirectory"] = sub
        return Spec("git", raw, fields, spec.origin, spec.base_dir)


def _root_span(specs: Iterable[Spec]) -> Span | None:
    """The first request written in the root project (the place the user can edit), else the first."""
    specs = list(specs)
    for spec in specs:
        if spec.origin.requester is None:
            return spec.origin.span
    return specs[0].origin.span if specs else None


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


def _signature(key: str, spec: Spec) -> tuple[str, ...]:
    return (key, spec.origin.path, str(spec.origin.line), spec.origin.requester or "",
            json.dumps(spec.fields, sort_keys=True, default=str))


def _ranges_text(versions: list[str]) -> str:
    try:
        return str(VersionRange.parse(versions))
    except VersionError:
        return ", ".join(versions)
