"""`mason deps --add-package owner/name@version [--source hub|git|local]`: add or replace an entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mason.deps.spec import DEPENDENCIES_FILE, PACKAGES_FILE, find_packages_file
from mason.errors import UsageError
from mason.project.yamlio import load_yaml_text

SOURCES = ("hub", "git", "local")


def parse_add_package(text: str, source: str) -> tuple[dict[str, Any], str]:
    """The packages.yml entry for an --add-package value, and how to name it in messages."""
    text = text.strip()
    if not text:
        raise UsageError("--add-package needs a value", hint="e.g. --add-package dbt-labs/dbt_utils@1.3.0")
    if source == "local":
        return {"local": text}, text
    name, version = _split_at(text)
    if source == "git":
        entry: dict[str, Any] = {"git": name}
        if version:
            entry["revision"] = version
        return entry, text
    parts = name.split("/")
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"--add-package {text!r}: a hub package is written owner/name@version",
                         hint="e.g. --add-package dbt-labs/dbt_utils@1.3.0; for a repository add --source git, "
                              "for a folder --source local")
    entry = {"package": name}
    if version:
        entry["version"] = version
    return entry, text


def _split_at(text: str) -> tuple[str, str | None]:
    """`name@version`; an @ inside a URL (git@host:org/repo) is not a version separator."""
    if "@" not in text:
        return text, None
    head, tail = text.rsplit("@", 1)
    if not tail or "/" in tail or ":" in tail:
        return text, None
    return head, tail


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for key in ("package", "git", "local", "tarball"):
        if key in a and key in b:
            left, right = str(a[key]).rstrip("/"), str(b[key]).rstrip("/")
            return left.lower() == right.lower() if key == "package" else left == right
    return False


def add_to_packages_file(root: Path, entry: dict[str, Any]) -> Path:
    """Add `entry` to the file that lists packages (packages.yml unless dependencies.yml does), replacing an
    entry for the same package. Appends as text when it can, so comments survive."""
    path, which = find_packages_file(root)
    if which == "both" or path is None:
        path = root / PACKAGES_FILE if which != "both" else root / DEPENDENCIES_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    raw = load_yaml_text(text, path.name) if text.strip() else None
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    entries = data.get("packages")
    if not isinstance(entries, list):
        entries = []
    replaced = False
    for index, existing in enumerate(entries):
        if isinstance(existing, dict) and _same(existing, entry):
            entries[index] = entry
            replaced = True
            break
    if not replaced:
        appended = _append_text(text, entry)
        if appended is not None:
            path.write_text(appended, encoding="utf-8")
            return path
        entries.append(entry)
    data["packages"] = entries
    path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, indent=2), encoding="utf-8")
    return path


def _append_text(text: str, entry: dict[str, Any]) -> str | None:
    """`text` with `entry` appended to its block `packages:` list when that list ends the file, else None."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode) or not node.value:
        return None
    key, value = node.value[-1]
    if getattr(key, "value", None) != "packages" or not isinstance(value, yaml.SequenceNode):
        return None
    if value.flow_style or not value.value:
        return None
    first = value.value[0]
    line = text.splitlines()[first.start_mark.line]
    dash = line.rfind("-", 0, first.start_mark.column)
    if dash < 0:
        return None
    indent = " " * dash
    body = yaml.safe_dump([entry], sort_keys=False, default_flow_style=False, indent=2)
    lines = []
    for item_line in body.splitlines():
        lines.append(indent + (item_line if item_line.startswith("- ") else item_line))
    out = text if text.endswith("\n") else text + "\n"
    return out + "\n".join(lines) + "\n"
