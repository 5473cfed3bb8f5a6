"""packages.yml / dependencies.yml: read them with line numbers, render Jinja, and type each entry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mason.errors import MasonError, Span
from mason.project.yamlio import load_yaml_text

PACKAGES_FILE = "packages.yml"
DEPENDENCIES_FILE = "dependencies.yml"
LOCK_FILE = "package-lock.yml"

KINDS = ("local", "git", "package", "tarball")
KIND_LABEL = {"local": "local", "git": "git", "package": "hub", "tarball": "tarball"}
# The keys each kind of entry accepts (besides its own kind key).
_ALLOWED = {
    "local": {"name"},
    "git": {"revision", "subdirectory", "warn-unpinned", "name"},
    "package": {"version", "install-prerelease", "name"},
    "tarball": {"name"},
}
# Keys dbt includes in an entry's hash even when absent (as null).
_HASH_DEFAULTS = {
    "local": (),
    "git": ("revision", "subdirectory", "warn-unpinned"),
    "package": ("version", "install-prerelease"),
    "tarball": (),
}


class DepsError(MasonError):
    """A package could not be read, resolved or installed."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an entry was written: a file (shown relative to the project), a line, and who declared it."""

    path: str
    line: int | None = None
    requester: str | None = None  # None: the root project; else e.g. "acme/parent@1.0.0"

    @property
    def span(self) -> Span | None:
        return Span(self.path, self.line) if self.path else None

    def describe(self) -> str:
        if self.requester is None:
            return str(self.span)
        return f"{self.requester} ({self.span})" if self.path else self.requester


@dataclass(frozen=True, slots=True)
class Spec:
    """One entry of packages.yml: `kind` is local, git, package (the hub) or tarball."""

    kind: str
    raw: dict[str, Any]  # as written, before Jinja
    fields: dict[str, Any]  # rendered
    origin: Origin
    base_dir: Path  # the folder of the file that declared it (local paths start here)

    @property
    def source(self) -> str:
        return str(self.fields[self.kind])

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]

    @property
    def name(self) -> str | None:
        value = self.fields.get("name")
        return str(value) if value not in (None, "") else None

    @property
    def revision(self) -> str | None:
        value = self.fields.get("revision")
        return str(value) if value not in (None, "") else None

    @property
    def subdirectory(self) -> str | None:
        value = self.fields.get("subdirectory")
        return str(value).strip("/") if value not in (None, "") else None

    @property
    def versions(self) -> list[str]:
        value = self.fields.get("version")
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    @property
    def install_prerelease(self) -> bool:
        return _truthy(self.fields.get("install-prerelease"))

    @property
    def warn_unpinned(self) -> bool:
        value = self.fields.get("warn-unpinned")
        return True if value is None else _truthy(value)

    def hash_dict(self) -> dict[str, Any]:
        """The shape dbt hashes for an entry: the rendered keys (with the kind's nulls) plus the raw entry."""
        out: dict[str, Any] = dict(self.fields)
        for key in _HASH_DEFAULTS[self.kind]:
            out.setdefault(key, None)
        out["unrendered"] = dict(self.raw)
        return out


@dataclass(slots=True)
class PackagesFile:
    """The packages declared by one project (root or installed package)."""

    path: Path | None  # None: the project declares no packages
    display: str
    specs: list[Spec] = field(default_factory=list)
    raw_text: str = ""

    @property
    def sha1_hash(self) -> str:
        return spec_hash(self.specs)


def spec_hash(specs: list[Spec]) -> str:
    lines = sorted(json.dumps(spec.hash_dict(), sort_keys=True) for spec in specs)
    return hashlib.sha1("\n".join(lines).encode("utf-8")).hexdigest()


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


class Renderer:
    """Jinja in packages.yml: env_var (secrets allowed, as in dbt) and var (only --vars, as in dbt)."""

    def __init__(self, cli_vars: Mapping[str, Any], env: Mapping[str, str], project_name: str,
                 secret: Callable[..., str] | None = None) -> None:
        from mason.jinja.base_context import VarLookup, base_functions, make_env_var, secret_outside_profiles

        ctx = base_functions(lambda m, i: None)
        ctx["env_var"] = make_env_var(env, allow_secrets=True)
        ctx["secret"] = secret or secret_outside_profiles  # profiles.yml's providers (see project/secrets.py)
        ctx["var"] = VarLookup(cli_vars, {}, project_name, project_name)
        ctx["project_name"] = project_name
        self.context = ctx

    def render(self, value: Any, span: Span | None) -> Any:
        from mason.jinja.native import has_jinja, render_native

        if isinstance(value, dict):
            return {k: self.render(v, span) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, span) for v in value]
        if isinstance(value, str) and has_jinja(value):
            try:
                return render_native(value, self.context, span.path if span else PACKAGES_FILE)
            except MasonError as exc:
                if exc.span is None:
                    raise DepsError(exc.message, span, exc.hint) from exc
                raise
            except Exception as exc:  # a Jinja error in a value
                raise DepsError(f"could not render {value!r}: {exc}", span,
                                "check the Jinja here: only env_var() and var() (from --vars) are "
                                "available in packages.yml") from exc
        return value


def _entry_lines(text: str, key: str) -> list[int | None]:
    """1-based line of each item under the top-level `key:` list."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == key and isinstance(value_node, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value_node.value]
    return []


def find_packages_file(root: Path) -> tuple[Path | None, str]:
    """The file holding `packages:` in a project folder: packages.yml or dependencies.yml (not both)."""
    found: list[Path] = []
    for name in (PACKAGES_FILE, DEPENDENCIES_FILE):
        path = root / name
        if path.is_file():
            raw = load_yaml_text(path.read_text(encoding="utf-8"), name)
            if raw is not None and not isinstance(raw, dict):
                raise DepsError(f"{name} must be a mapping with a `packages:` list", Span(name, 1),
                                "e.g. packages:\n    - package: dbt-labs/dbt_utils\n      version: 1.3.0")
            if isinstance(raw, dict) and raw.get("packages") is not None:
                found.append(path)
    if len(found) == 2:
        return found[0], "both"
    if found:
        return found[0], found[0].name
    return None, ""


def read_projects(root: Path) -> list[tuple[str, Span]]:
    """The `projects:` of dependencies.yml: (name, where). packages.yml may not hold them (as in dbt)."""
    pkg = root / PACKAGES_FILE
    if pkg.is_file():
        raw = load_yaml_text(pkg.read_text(encoding="utf-8"), PACKAGES_FILE)
        if isinstance(raw, dict) and raw.get("projects") is not None:
            raise DepsError(f"`projects:` is not allowed in {PACKAGES_FILE}", Span(PACKAGES_FILE),
                            f"move project dependencies to {DEPENDENCIES_FILE} (docs/mesh.md)")
    path = root / DEPENDENCIES_FILE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    raw = load_yaml_text(text, DEPENDENCIES_FILE)
    entries = raw.get("projects") if isinstance(raw, dict) else None
    if entries is None:
        return []
    example = "projects:\n    - name: core_data"
    if not isinstance(entries, list):
        raise DepsError("`projects:` must be a list of entries with a name", Span(DEPENDENCIES_FILE), example)
    lines = _entry_lines(text, "projects")
    out: list[tuple[str, Span]] = []
    for i, entry in enumerate(entries):
        span = Span(DEPENDENCIES_FILE, lines[i] if i < len(lines) else None)
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.isidentifier():
            raise DepsError(f"a project entry needs a `name:` (a project name), not {entry!r}", span, example)
        unknown = sorted(set(entry) - {"name"})
        if unknown:
            raise DepsError(f"unknown key(s) {', '.join(unknown)} in the project entry {name!r}", span,
                            f"an entry has only `name:`; say where {name}'s manifest is in mason_mesh.yml "
                            "(docs/mesh.md)")
        if name in (n for n, _ in out):
            raise DepsError(f"project {name!r} is listed twice", span)
        out.append((name, span))
    return out


def read_packages(root: Path, renderer: Renderer, display_prefix: str = "",
                  requester: str | None = None) -> PackagesFile:
    """Read and render the package entries of the project in `root`."""
    path, which = find_packages_file(root)
    if which == "both":
        raise DepsError(
            f"packages are declared in both {PACKAGES_FILE} and {DEPENDENCIES_FILE}",
            Span(display_prefix + DEPENDENCIES_FILE),
            f"keep the `packages:` list in one file only (dbt reads {DEPENDENCIES_FILE} or {PACKAGES_FILE}, "
            "never both)")
    if path is None:
        return PackagesFile(None, display_prefix + PACKAGES_FILE)
    display = display_prefix + path.name
    text = path.read_text(encoding="utf-8")
    raw = load_yaml_text(text, display)
    entries = raw.get("packages")
    if path.name == PACKAGES_FILE and raw.get("projects") is not None:
        raise DepsError(f"`projects:` is not allowed in {PACKAGES_FILE}", Span(display),
                        f"move project dependencies (dbt Mesh) to {DEPENDENCIES_FILE}")
    if not isinstance(entries, list):
        raise DepsError("`packages:` must be a list of entries", Span(display),
                        "e.g. packages:\n    - package: dbt-labs/dbt_utils\n      version: 1.3.0")
    lines = _entry_lines(text, "packages")
    specs = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        origin = Origin(display, line, requester)
        specs.append(parse_entry(entry, origin, root, renderer))
    return PackagesFile(path, display, specs, text)


def parse_entry(entry: Any, origin: Origin, base_dir: Path, renderer: Renderer) -> Spec:
    span = origin.span
    if not isinstance(entry, dict):
        raise DepsError(f"a package entry must be a mapping, not {entry!r}", span,
                        "write e.g. `- package: dbt-labs/dbt_utils` with `version: ...` below it")
    kinds = [k for k in KINDS if k in entry]
    if "private" in entry and not kinds:
        raise DepsError("`private:` packages are not supported by Mason", span,
                        "use a `git:` entry with the repository URL instead")
    if len(kinds) != 1:
        found = ", ".join(f"{k}:" for k in kinds) or "none"
        raise DepsError(
            f"a package entry needs exactly one of local:, git:, package: or tarball: (found {found})", span,
            "split it into one entry per package")
    kind = kinds[0]
    unknown = sorted(set(entry) - _ALLOWED[kind] - {kind})
    if unknown:
        allowed = ", ".join(sorted(_ALLOWED[kind]))
        raise DepsError(f"unknown key(s) {', '.join(unknown)} in a {KIND_LABEL[kind]} package entry", span,
                        f"a {KIND_LABEL[kind]} entry accepts {kind}: and {allowed}")
    fields = renderer.render(dict(entry), span)
    spec = Spec(kind, dict(entry), fields, origin, base_dir)
    value = fields.get(kind)
    if value in (None, "") or isinstance(value, dict | list):
        raise DepsError(f"`{kind}:` needs a value", span)
    if kind == "package":
        _check_hub_entry(spec)
    if kind == "tarball" and not spec.name:
        raise DepsError("a tarball package needs a `name:`", span,
                        "add `name: <the package's project name>` to this entry")
    return spec


def _check_hub_entry(spec: Spec) -> None:
    from mason.deps.semver import VersionError, VersionRange

    span = spec.origin.span
    parts = spec.source.split("/")
    if len(parts) != 2 or not all(parts):
        raise DepsError(f"hub package {spec.source!r} must be written as owner/name", span,
                        "e.g. `package: dbt-labs/dbt_utils`; for a git repository use `git:`, for a folder "
                        "`local:`")
    if "version" not in spec.fields or spec.fields.get("version") in (None, "", []):
        raise DepsError(f"hub package {spec.source} needs a `version:`", span,
                        'add e.g. `version: [">=1.0.0", "<2.0.0"]` (or one exact version)')
    try:
        VersionRange.parse(spec.versions)
    except VersionError as exc:
        raise DepsError(f"hub package {spec.source}: {exc}", span,
                        'use versions like "1.2.3" or ranges like ">=1.0.0"') from exc
