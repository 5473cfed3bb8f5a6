"""package-lock.yml: every installed package (transitive ones too) pinned, plus the hash of the spec."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mason.deps.resolve import Pinned
from mason.deps.spec import LOCK_FILE, DepsError, Origin, Renderer, Spec, _entry_lines, parse_entry
from mason.errors import Span
from mason.project.yamlio import load_yaml_text


@dataclass(slots=True)
class Lock:
    specs: list[Spec]
    sha1_hash: str | None


def read_lock(root: Path, renderer: Renderer) -> Lock | None:
    """The lock file's entries as specs (each pinned: exact version, commit, path or URL), or None."""
    path = root / LOCK_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    raw = load_yaml_text(text, LOCK_FILE)
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("packages") or [], list):
        raise DepsError(f"{LOCK_FILE} is not a lock file (expected `packages:` and `sha1_hash:`)", Span(LOCK_FILE),
                        f"delete {LOCK_FILE} and run mason deps to write a new one")
    lines = _entry_lines(text, "packages")
    specs = []
    for index, entry in enumerate(raw.get("packages") or []):
        origin = Origin(LOCK_FILE, lines[index] if index < len(lines) else None)
        specs.append(parse_entry(entry, origin, root, renderer))
    sha = raw.get("sha1_hash")
    return Lock(specs, str(sha) if sha else None)


def lock_entry(pin: Pinned, root: Path) -> dict[str, Any]:
    """The lock file's line for a pinned package. Git URLs stay unrendered so secrets are not written."""
    spec = pin.spec
    entry: dict[str, Any]
    if pin.kind == "package":
        entry = {"package": spec.source, "version": pin.version}
    elif pin.kind == "git":
        entry = {"git": spec.raw.get("git", spec.source), "revision": pin.revision}
        if spec.subdirectory:
            entry["subdirectory"] = spec.subdirectory
    elif pin.kind == "tarball":
        entry = {"tarball": spec.raw.get("tarball", spec.source)}
    else:
        entry = {"local": _local_text(pin, root)}
    entry["name"] = pin.name
    return dict(sorted(entry.items()))


def _local_text(pin: Pinned, root: Path) -> str:
    spec = pin.spec
    if spec.origin.requester is None and spec.base_dir == root:
        return spec.source
    assert pin.path is not None
    try:
        return os.path.relpath(pin.path, root)
    except ValueError:  # another drive (Windows)
        return str(pin.path)


def write_lock(root: Path, pins: list[Pinned], sha1_hash: str) -> Path:
    lines = ["packages:" if pins else "packages: []"]
    for pin in pins:
        for index, (key, value) in enumerate(lock_entry(pin, root).items()):
            lines.append(f"{'  - ' if index == 0 else '    '}{key}: {_scalar(value)}")
    lines.append(f"sha1_hash: {sha1_hash}")
    path = root / LOCK_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30)
    return text.removesuffix("\n").removesuffix("\n...").strip()
