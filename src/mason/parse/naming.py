"""database / schema / alias for each node: dbt's default naming, or the project's own macros."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mason.errors import CompileError, MasonError, Span
from mason.jinja.macros import INTERNAL_PACKAGE, MacroIndex, MacroRuntime


class Namer:
    """Calls generate_{database,schema,alias}_name: Python defaults unless a project overrides them."""

    def __init__(self, index: MacroIndex, target: dict[str, Any], runtime_factory: Callable[[], MacroRuntime]) -> None:
        self.target = target
        self.index = index
        self._factory = runtime_factory
        self._runtime: MacroRuntime | None = None
        self._custom = {
            kind: self._override(f"generate_{kind}_name") for kind in ("database", "schema", "alias")
        }

    def _override(self, name: str) -> bool:
        for pkg, macros in self.index.by_package.items():
            if pkg != INTERNAL_PACKAGE and name in macros:
                return True
        # dispatch-style override: <adapter>__generate_x_name in the root project
        return False

    def _call(self, kind: str, custom: Any, node: dict[str, Any], span: Span) -> str:
        if self._runtime is None:
            self._runtime = self._factory()
        name = f"generate_{kind}_name"
        bound = self._runtime.namespace(self.index.root_package).get(name)
        try:
            value = bound(custom, node)
        except MasonError:
            raise
        except Exception as exc:
            raise CompileError(f"{name} failed for {node.get('unique_id')}: {exc}", span) from exc
        return str(value).strip() if value is not None else ""

    def database(self, custom: Any, node: dict[str, Any], span: Span) -> str:
        if self._custom["database"]:
            return self._call("database", custom, node, span)
        return str(custom).strip() if custom else str(self.target.get("database") or "")

    def schema(self, custom: Any, node: dict[str, Any], span: Span) -> str:
        if self._custom["schema"]:
            return self._call("schema", custom, node, span)
        default = str(self.target.get("schema") or "")
        if custom is None or custom == "":
            return default
        return f"{default}_{str(custom).strip()}"

    def alias(self, custom: Any, node: dict[str, Any], span: Span) -> str:
        if self._custom["alias"]:
            return self._call("alias", custom, node, span)
        if custom:
            return str(custom).strip()
        version = node.get("version")
        if version is not None:
            return f"{node['name']}_v{str(version).replace('.', '_')}"
        return str(node["name"])
