"""The house's one direction (docs/architecture.md, "Layers"): every import in src/mason, read with `ast`
(module level and inside functions alike), points down the layer order or stays within its layer, and no
two modules import each other, directly or round a longer circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mason"

# Top to bottom; a module may import its own layer and any layer below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli", "server"),  # the front ends
    ("api",),
    ("execute", "compile", "deps", "semantic", "deploy", "monitor", "diff", "docsite", "advise", "mesh"),
    ("parse", "graph", "artifacts"),
    ("project", "jinja"),
    ("adapters",),
    ("nodes", "errors", "observe", "session", "background", "memory", "mason"),
)
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
ENTRY_POINTS = {"mason.__main__"}  # may import the CLI


def module_name(path: Path) -> str:
    parts = ["mason", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "mason"


def imports_of(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported mason module, line) for every import statement in the file."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name not in MODULES and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in MODULES and name != module and name.startswith("mason"):
                yield name, node.lineno


GRAPH = {m: {t for t, _ in imports_of(m, p)} for m, p in MODULES.items()}


def test_every_package_has_a_layer() -> None:
    assert sorted({layer_of(m) for m in MODULES} - set(RANK) - {"__main__"}) == []


def test_no_import_points_up_the_layers() -> None:
    upward = []
    for module, path in MODULES.items():
        if module in ENTRY_POINTS:
            continue
        for target, line in imports_of(module, path):
            if RANK[layer_of(target)] < RANK[layer_of(module)]:
                upward.append(f"{path.relative_to(SRC.parent)}:{line}: {module} imports {target}")
    assert upward == []


def test_nothing_but_the_entry_point_imports_the_cli() -> None:
    users = sorted(m for m, targets in GRAPH.items() if layer_of(m) != "cli" and m not in ENTRY_POINTS
                   and any(layer_of(t) == "cli" for t in targets))
    assert users == []


def test_no_import_circles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert circles == []


def test_the_checker_sees_imports_of_every_kind() -> None:
    """The checks above would pass on a checker that finds nothing: it must see these real imports."""
    assert "mason.cli.main" in GRAPH["mason.__main__"]
    assert "mason.nodes.nodes" in GRAPH["mason.parse.parser"]  # a module-level `from ... import (...)`
    assert "mason.adapters.duckdb.adapter" in GRAPH["mason.adapters.factory"]  # inside a function


def test_no_module_is_over_600_lines() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}
