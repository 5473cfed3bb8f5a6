"""Checks of a parsed project that dbt makes at parse: model configs and materializations, unit-test
fixture files, properties that describe nothing.

Order: macros and docs → properties YAML → SQL/CSV files → configs merged (project tree → YAML → file)
→ names (database, schema, alias) → generic tests. Every problem is collected and reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mason.errors import ParseError, Span, did_you_mean
from mason.nodes.nodes import (
    GenericNode,
    Group,
    Node,
)
from mason.parse.contracts import check_contract
from mason.parse.parser_base import ParserBase
from mason.parse.properties import Properties
from mason.parse.yaml_fields import _find_line, deprecation_passed


class ProjectChecks(ParserBase):
    def _check_model_configs(self, nodes: Mapping[str, Node]) -> None:
        """Configs a build would trip over, caught at parse as dbt does: the materialization must exist
        here, and the configs every materialization reads must have their types."""
        known: set[str] | None = None
        for node in nodes.values():
            if node.resource_type != "model":
                continue
            cfg = node.config
            problems = [f"{key} must be {kind}, not {cfg[key]!r}" for key, kind, types in _TYPED_CONFIGS
                        if key in cfg and not isinstance(cfg[key], types)]
            tags = cfg.get("tags")
            if isinstance(tags, list | tuple) and not all(type(t) is str for t in tags):
                problems.append(f"tags must be a string or a list of strings, not {tags!r}")
            mat = cfg.get("materialized")
            if isinstance(mat, str) and mat not in _BUILTIN_MATERIALIZATIONS:
                if known is None:
                    known = self._index().materializations()
                if mat not in known:
                    names = sorted({*_BUILTIN_MATERIALIZATIONS, *known} - {"materialized_view"})
                    close = did_you_mean(mat, names)
                    problems.append(f"materialized {mat!r} is not a materialization here ("
                                    + (f"{close} " if close else "") + f"use one of: {', '.join(names)}; "
                                    f"or define it with {{% materialization {mat}, default %}})")
            contract_errors, contract_warnings = check_contract(node)
            self.errors.extend(contract_errors)
            self.warnings.extend(contract_warnings)
            if problems:
                line = _find_line(node.raw_code, "materialized") or _find_line(node.raw_code, "config(")
                self.errors.append(ParseError(
                    f"{node.unique_id}: " + "; ".join(problems), Span(node.original_file_path, line),
                    "set it in the model's config(), its properties YAML or dbt_project.yml"))

    def _read_fixtures(self, test: GenericNode) -> None:
        """A unit test's `fixture: name` inputs and expectations: the rows of `<name>.csv` or `<name>.sql`
        from a `fixtures` folder under the package's test paths (read here, as dbt reads them at parse)."""
        entries = [e for e in [*(test.data.get("given") or []), test.data.get("expect") or {}]
                   if isinstance(e, dict) and e.get("fixture")]
        if not entries:
            return
        pkg = next((p for p in self.packages if p.name == test.package_name), self.root)
        for entry in entries:
            fmt = str(entry.get("format") or "csv")
            if fmt not in ("csv", "sql"):
                raise ParseError(f"unit test {test.name}: fixture {entry['fixture']!r} needs `format: csv` or "
                                 f"`format: sql` (got {fmt!r})", Span(test.original_file_path))
            wanted = f"{entry['fixture']}.{fmt}"
            found = sorted(path for tp in pkg.config.test_paths
                           for path in (pkg.root / tp / "fixtures").rglob(wanted) if path.is_file())
            if not found:
                where = ", ".join(f"{tp}/fixtures/" for tp in pkg.config.test_paths)
                raise ParseError(f"unit test {test.name}: fixture file {wanted} not found", Span(test.original_file_path),
                                 f"put it under {where}")
            entry["rows"] = found[0].read_text(encoding="utf-8")

    def _check_governance(self, nodes: Mapping[str, Node], groups: list[Group]) -> None:
        """As dbt: a model's access is private, protected or public; a group a node names is defined; a
        group has an owner with a name or an email. A model past its deprecation_date is warned about."""
        known = {g.name for g in groups}
        for group in groups:
            owner = group.owner
            if not isinstance(owner, dict) or not (owner.get("name") or owner.get("email")):
                self.errors.append(ParseError(
                    f"group {group.name!r} needs an owner with a name or an email", Span(group.original_file_path),
                    "e.g. owner: {name: Finance Analytics, email: finance@example.com}"))
        for node in nodes.values():
            if node.attached_node is not None or not node.original_file_path:
                continue  # a generic test takes its model's group; upstream models are checked upstream
            bad_access = node.resource_type == "model" and node.access not in (None, "private", "protected", "public")
            if bad_access or (node.group is not None and node.group not in known):
                where = (node.patch_path or "").split("://")[-1] or node.original_file_path
                if bad_access:
                    self.errors.append(ParseError(
                        f"{node.unique_id}: access must be private, protected or public, not {node.access!r}",
                        Span(where), "set access: in the model's properties YAML, config() or dbt_project.yml "
                                     "(+access)"))
                if node.group is not None and node.group not in known:
                    self.errors.append(ParseError(
                        f"{node.unique_id} is in group {node.group!r}, which is not defined"
                        + (f" (groups: {', '.join(sorted(known))})" if known else ""), Span(where),
                        did_you_mean(str(node.group), known) or
                        f"define it under groups: in a properties file, with an owner: - name: {node.group}"))
            if node.deprecation_date is not None and deprecation_passed(node.deprecation_date):
                self.warnings.append(f"{node.original_file_path}: model {node.search_name} ({node.unique_id}) "
                                     f"passed its deprecation date of {node.deprecation_date}: it should be "
                                     "disabled or removed")

    # ---------------------------------------------------------------- other resources
    def _check_unused_patches(self, props: Properties, nodes: dict[str, Node], disabled: dict[str, Any]) -> None:
        """A properties entry that describes no file is usually a typo: warn, naming near names (as dbt does)."""
        known = {(n.resource_type, n.package_name, n.name) for n in nodes.values()}
        known |= {(n.resource_type, n.package_name, n.name) for lst in disabled.values() for n in lst}
        names = [n for _, _, n in known]
        for (kind, package, name), patch in props.patches.items():
            if kind in ("macros", "analyses") or (kind == "snapshots" and patch.data.get("relation")):
                continue
            if (kind[:-1], package, name) not in known:
                hint = did_you_mean(name, names)
                self.warnings.append(
                    f"{patch.file.original_file_path}:{patch.line or 1}: no {kind[:-1]} named {name!r} to apply "
                    f"these properties to" + (f" ({hint})" if hint else ""))


_BUILTIN_MATERIALIZATIONS = frozenset({"view", "table", "incremental", "ephemeral", "materialized_view"})
# configs every materialization reads, and the types they may have (None: not set)
_TYPED_CONFIGS: tuple[tuple[str, str, Any], ...] = (
    ("materialized", "a string", str),
    ("schema", "a string", (str, type(None))),
    ("alias", "a string", (str, type(None))),
    ("database", "a string", (str, type(None))),
    ("enabled", "true or false", bool),
    ("full_refresh", "true or false", (bool, type(None))),
    ("incremental_strategy", "a string", (str, type(None))),
    ("tags", "a string or a list of strings", (str, list, tuple)),
)
