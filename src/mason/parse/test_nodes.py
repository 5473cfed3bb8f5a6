"""Generic data tests from properties YAML into test nodes: names, ids, configs (with the macro's own
`config()` calls rendered at parse, as dbt does), required arguments of dbt's built-in tests.

Order: macros and docs → properties YAML → SQL/CSV files → configs merged (project tree → YAML → file)
→ names (database, schema, alias) → generic tests. Every problem is collected and reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mason.errors import MasonError, ParseError, Span, did_you_mean
from mason.jinja.macros import INTERNAL_PACKAGE, MASON_PACKAGE
from mason.jinja.native import has_jinja, render_native
from mason.nodes.nodes import (
    Macro,
    Node,
    RefCall,
    SourceDefinition,
    TestMetadata,
)
from mason.parse.files import SourceFile
from mason.parse.generic_tests import (
    TestSpec,
    read_test_entry,
    synthesize_names,
    test_unique_id,
)
from mason.parse.parser_base import ParserBase
from mason.parse.properties import Properties
from mason.parse.yaml_fields import (
    _find_line,
    _merge_version_patch,
    _refs_in_kwargs,
    _tags,
    _test_entries,
    _version_literal,
)
from mason.project.configs import merge_into, settle_store_failures


class GenericTestNodes(ParserBase):
    # ---------------------------------------------------------------- generic tests
    def _generic_tests(self, props: Properties, nodes: dict[str, Node],
                       sources: list[SourceDefinition]) -> list[Node | None]:
        out: list[Node | None] = []
        for (kind, package, name), patch in props.patches.items():
            if kind not in ("models", "seeds", "snapshots"):
                continue
            resource_type = kind[:-1]
            data = patch.data
            versions = data.get("versions") or []
            targets: list[tuple[str, str | None]] = []
            if versions:
                for v in versions:
                    targets.append((f"{resource_type}.{package}.{name}.v{v.get('v')}", str(v.get("v"))))
            else:
                targets.append((f"{resource_type}.{package}.{name}", None))
            for uid, version in targets:
                target = nodes.get(uid)
                if target is None:
                    continue
                vdata: dict[str, Any] = next((v for v in versions if str(v.get("v")) == version), {}) if version else {}
                tdata = _merge_version_patch(dict(data), vdata) if vdata else data
                ref_expr = f"ref('{name}', version='{version}')" if version else f"ref('{name}')"
                target_name = f"{name}_v{version}" if version else name
                out.extend(self._tests_for(tdata, patch.file, package, target_name, ref_expr, uid,
                                           f"{kind}.{name}", tags=_tags(tdata.get("tags")),
                                           target_ref=(name, None, _version_literal(version) if version else None)))
        for src in sources:
            entry = next(((d, f) for d, f in props.sources if d.get("name") == src.source_name
                          and f.package == src.package_name), None)
            if entry is None:
                continue
            data, file = entry
            table = next(t for t in data.get("tables") or [] if isinstance(t, dict) and t.get("name") == src.name)
            ref_expr = f"source('{src.source_name}', '{src.name}')"
            tags = [*_tags(data.get("tags")), *_tags(table.get("tags"))]
            out.extend(self._tests_for(table, file, src.package_name, f"{src.source_name}_{src.name}", ref_expr,
                                       src.unique_id, f"sources.{src.source_name}", tags=tags, attach=False))
        return out

    def _tests_for(self, data: Mapping[str, Any], file: SourceFile, package: str, target_name: str,
                   ref_expr: str, target_id: str, file_key: str, tags: list[str], attach: bool = True,
                   target_ref: tuple[str, str | None, Any] | None = None) -> list[Node | None]:
        out: list[Node | None] = []
        for entry in _test_entries(data):
            out.append(self._guard(self._generic_test, entry, None, data, file, package, target_name, ref_expr,
                                   target_id, file_key, tags, attach, target_ref))
        for col in data.get("columns") or []:
            if not isinstance(col, dict) or "name" not in col:
                continue
            col_tags = [*tags, *_tags(col.get("tags")), *_tags((col.get("config") or {}).get("tags"))]
            for entry in _test_entries(col):
                out.append(self._guard(self._generic_test, entry, str(col["name"]), col, file, package,
                                       target_name, ref_expr, target_id, file_key, col_tags, attach, target_ref))
        return out

    def _generic_test(self, entry: Any, column: str | None, owner: Mapping[str, Any], file: SourceFile,
                      package: str, target_name: str, ref_expr: str, target_id: str, file_key: str,
                      tags: list[str], attach: bool, target_ref: tuple[str, str | None, Any] | None) -> Node | None:
        try:
            spec: TestSpec = read_test_entry(entry, Span(file.original_file_path))
        except ParseError as exc:
            exc.span = Span(file.original_file_path, _find_line(file.text, entry))
            raise
        if any(isinstance(v, str) and has_jinja(v) for k, v in spec.config.items() if k != "where"):
            spec = replace(spec, config=self._rendered_test_config(spec.config, file, entry))
        assert self.index is not None
        macro_name = f"test_{spec.name}"
        macro = (self.index.find_in(spec.namespace, macro_name) if spec.namespace
                 else self.index.find(macro_name, package))
        if macro is None:
            known = [n[5:] for n in self.index.all_names() if n.startswith("test_")]
            raise ParseError(f"unknown generic test {spec.name!r}",
                             Span(file.original_file_path, _find_line(file.text, entry)),
                             did_you_mean(spec.name, known) or "define it with {% test name(model, column_name) %}")
        # dbt itself renders a missing argument as empty; for its own tests (accepted_values, relationships)
        # that can only give broken SQL or a wrong verdict, so it is reported here. Package tests are left
        # to do as they do under dbt (some are written to run without an argument).
        missing = [a for a in self._purity().required_arguments(macro)
                   if a not in spec.args and not (a == "column_name" and column)
                   ] if macro.package_name in (INTERNAL_PACKAGE, MASON_PACKAGE) else []
        if missing:
            raise ParseError(f"test {spec.name!r} needs the argument{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(a) for a in missing)}",
                             Span(file.original_file_path, _find_line(file.text, entry)),
                             f"give {' and '.join(missing)} under `arguments:` of this test")
        test_type = f"{spec.namespace}_{spec.name}" if spec.namespace else spec.name
        if not attach:
            test_type = f"source_{test_type}"
        naming_args = dict(spec.args)
        if column is not None:
            naming_args["column_name"] = column
        short, full = synthesize_names(test_type, target_name, naming_args)
        name = spec.user_name or full
        alias_default = spec.user_name or short
        kwargs: dict[str, Any] = dict(spec.args)
        if column is not None:
            kwargs["column_name"] = column
        kwargs["model"] = f"{{{{ get_where_subquery({ref_expr}) }}}}"
        metadata = {"name": spec.name, "kwargs": kwargs, "namespace": spec.namespace}
        unique_id = test_unique_id(package, name, metadata)
        folders = file.folders
        fqn = (package, *folders, name)
        test_config = spec.config
        macro_configs = self._test_macro_configs(macro, macro_name, spec, kwargs, file, package, fqn, name)
        if macro_configs:
            # dbt's order for a generic test: project < the macro's config() < the test's YAML
            test_config = {}
            for cfg in macro_configs:
                merge_into(test_config, cfg)
            merge_into(test_config, spec.config)
        config, call_dict = self._config("test", "data_tests", package, fqn, test_config, [])
        config["tags"] = list(dict.fromkeys([*(config.get("tags") or []), *tags]))
        settle_store_failures(config)
        refs, srcs = _refs_in_kwargs(spec.args) if spec.args else ([], [])
        if target_ref is not None:
            refs = [*refs, target_ref]
        else:
            srcs = [(target_id.split(".")[2], target_id.split(".")[3]), *srcs]
        macro_call = f"{spec.namespace}.{macro_name}" if spec.namespace else macro_name
        owner_group = None
        if attach:
            owner_node = self._nodes_so_far.get(target_id) if self._nodes_so_far else None
            owner_group = owner_node.group if owner_node is not None else None
        hashed_alias = short if short != full and not spec.user_name and "alias" not in spec.config else None
        if short != full and not spec.user_name and not config.get("alias"):
            config["alias"] = short
        test_tags = tuple(config.get("tags") or ())
        path = f"{alias_default}.sql"
        database, schema, alias = self._names("test", name, unique_id, package, fqn, config, path,
                                              file.original_file_path, None, test_tags)
        if not config.get("alias"):
            alias = alias_default
        return Node(
            unique_id=unique_id, resource_type="test", package_name=package, name=name,
            path=path, original_file_path=file.original_file_path, fqn=fqn,
            raw_code=f"{{{{ {macro_call}(**_dbt_generic_test_kwargs) }}}}" + _config_call(spec.config, hashed_alias),
            checksum="", config=config, database=database, schema=schema, alias=alias,
            refs=tuple(RefCall(n, p, _version_literal(v)) for n, p, v in refs),
            sources=tuple(srcs),
            depends_on_macros=((macro.unique_id, "macro.dbt.get_where_subquery")
                               if spec.args or macro.package_name != "dbt" else (macro.unique_id,)),
            description=spec.description, tags=test_tags, meta=dict(config.get("meta") or {}),
            config_call_dict=call_dict,
            unrendered_config=self._unrendered("data_tests", package, fqn,
                                               {**test_config, "alias": hashed_alias} if hashed_alias else test_config,
                                               {}),
            test_metadata=TestMetadata(spec.name, kwargs, spec.namespace), column_name=column,
            group=owner_group,
            attached_node=target_id if attach else None, file_key_name=file_key, created_at=self.now,
            root_path=str(file.root),
        )

    def _rendered_test_config(self, config: dict[str, Any], file: SourceFile, entry: Any) -> dict[str, Any]:
        """A test entry's configs with their Jinja rendered, as dbt renders them when it reads the entry
        (`enabled: "{{ target.type != 'spark' }}"` is a bool); `where` is rendered when the test runs."""
        out = {}
        for key, value in config.items():
            if key != "where" and isinstance(value, str) and has_jinja(value):
                try:
                    value = render_native(value, self._yaml_ctx, file.original_file_path)
                except MasonError:
                    raise
                except Exception as exc:
                    raise ParseError(f"cannot render the test's {key!r} config: {exc}",
                                     Span(file.original_file_path, _find_line(file.text, entry)),
                                     "check the Jinja in this value") from exc
            out[key] = value
        return out

    def _test_macro_configs(self, macro: Macro, macro_name: str, spec: TestSpec, kwargs: dict[str, Any],
                            file: SourceFile, package: str, fqn: tuple[str, ...], name: str) -> list[dict[str, Any]]:
        """The configs a generic test's macro sets with `config(...)` when rendered at parse time (as dbt
        renders every test); only macros that may call `config` are rendered."""
        if not self._purity().may_configure(macro):
            return []
        known, _ = self._config("test", "data_tests", package, fqn, spec.config, [])
        call = f"{spec.namespace}.{macro_name}" if spec.namespace else macro_name
        rec, _ = self._render_for_parse(file, f"{{{{ {call}(**_dbt_generic_test_kwargs) }}}}", package, known,
                                        {"name": name, "resource_type": "test", "package_name": package},
                                        line_offset=(_find_line(file.text, spec.name) or 1) - 1, test_kwargs=kwargs)
        return rec.configs


# the order dbt writes a generic test's configs in its raw_code's config() call (others follow as written)
_CONFIG_CALL_ORDER = ("severity", "tags", "enabled", "where", "limit", "warn_if", "error_if", "fail_calc",
                      "store_failures", "store_failures_as", "meta", "database", "schema", "alias")


def _config_call(config: dict[str, Any], hashed_alias: str | None) -> str:
    """The `{{ config(...) }}` dbt appends to a generic test's raw_code: the test entry's own configs, and
    the alias it gives a test whose name it shortened with a hash ('' when there are none)."""
    if not config and hashed_alias is None:
        return ""
    items = [(k, config[k]) for k in _CONFIG_CALL_ORDER if k in config]
    items += [(k, v) for k, v in config.items() if k not in _CONFIG_CALL_ORDER]
    if hashed_alias is not None:
        items.append(("alias", hashed_alias))

    def literal(value: Any) -> str:
        if isinstance(value, str):
            return '"' + value.replace('"', '\\"') + '"'
        return str(value)

    return "{{ config(" + ",".join(f"{k}={literal(v)}" for k, v in items) + ") }}"
