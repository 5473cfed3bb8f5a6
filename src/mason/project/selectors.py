"""selectors.yml: named selectors and the default one (evaluated by graph/selector.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mason.errors import ProjectError


def load_selectors(raw: Any, path: str = "selectors.yml") -> dict[str, Any]:
    if not raw:
        return {}
    entries = raw.get("selectors") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise ProjectError(f"{path} must have a top-level selectors: list")
    out: dict[str, Any] = {}
    defaults = []
    for entry in entries:
        if not isinstance(entry, dict) or "name" not in entry or "definition" not in entry:
            raise ProjectError(f"every selector in {path} needs a name and a definition")
        out[str(entry["name"])] = entry
        if entry.get("default") is True or str(entry.get("default")).lower() == "true":
            defaults.append(entry["name"])
    if len(defaults) > 1:
        raise ProjectError(f"{path}: only one selector can be the default, found {', '.join(defaults)}")
    return out


def default_selector(selectors: Mapping[str, Any]) -> str | None:
    for name, entry in selectors.items():
        if entry.get("default") is True or str(entry.get("default")).lower() == "true":
            return name
    return None
