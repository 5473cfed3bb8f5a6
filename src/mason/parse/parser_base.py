"""What every part of the project parser shares: contexts, config precedence, rendering for parse, names.

(The parser itself is parse/parser.py; generic tests are parse/test_nodes.py, checks parse/checks.py.)
Order of a parse: macros and docs → properties YAML → SQL/CSV files → configs merged (project tree → YAML → file)
→ names (database, schema, alias) → generic tests. Every problem is collected and reported together.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mason.adapters.relation import relation_factory
from mason.errors import CompileError, MasonError, ParseError, ParseErrors, Span
from mason.jinja import shapes
from mason.jinja.environment import MacroException, template_line
from mason.jinja.flags import JinjaFlags
from mason.jinja.macros import INTERNAL_PACKAGE, MASON_PACKAGE, MacroFile, MacroIndex
from mason.jinja.parse_context import Recorder, parse_context
from mason.jinja.relations import JinjaRelation
from mason.nodes.fast import evolve
from mason.nodes.nodes import (
    DocBlock,
    Macro,
    Node,
    RefCall,
)
from mason.parse import static
from mason.parse.contracts import foreign_key_calls
from mason.parse.files import SourceFile, read_files
from mason.parse.generic_tests import (
    evaluate_kwargs,
)
from mason.parse.macros import parse_docs_file, parse_macro_file
from mason.parse.naming import Namer
from mason.parse.properties import Patch, Properties
from mason.parse.purity import Purity
from mason.parse.yaml_fields import (
    _columns,
    _merge_version_patch,
    _yaml_config,
    deprecation_date,
)
from mason.project.configs import ConfigTree, default_config, merge_into, replace_into, settle_store_failures
from mason.project.loader import Package
from mason.project.project import RESOURCE_TREES
from mason.session import Session

BUILTIN_MACROS = Path(__file__).resolve().parent.parent / "jinja" / "macros"
MASON_MACROS = Path(__file__).resolve().parent.parent / "monitor" / "macros"  # package `mason`


_JINJA_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_CALL = re.compile(r"(?<![\w.])(?:(\w+)\.)?(\w+)\s*\(")


class ParserBase:
    def __init__(self, session: Session, packages: list[Package], target: Mapping[str, Any],
                 adapter_type: str) -> None:
        self.session = session
        self.packages = packages
        self.root = next(p for p in packages if p.is_root)
        self.target = dict(target)
        self.adapter_type = adapter_type
        self.errors: list[MasonError] = []
        self.make_relation = relation_factory(adapter_type, self.root.config.quoting, JinjaRelation)
        self.flags = JinjaFlags(session)
        self.now = time.time()
        self.trees = {
            (pkg.name, kind): ConfigTree(tree) for pkg in packages for kind, tree in pkg.config.trees.items()
        }
        # the same trees as written (Jinja unrendered): each node's unrendered_config, which state:modified reads
        self.raw_trees = {
            (pkg.name, kind): ConfigTree(pkg.config.raw.get(key))
            for pkg in packages for key, kind in RESOURCE_TREES.items() if isinstance(pkg.config.raw.get(key), dict)
        }
        self._unrendered_cache: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
        self.index: MacroIndex | None = None
        self.purity: Purity | None = None
        self._config_cache: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[str, ...], dict[str, Any], tuple[str, ...]]] = {}
        self._nodes_so_far: dict[str, Node] = {}
        self.properties: Properties | None = None
        self.env_used: dict[str, str] = {}
        self.warnings: list[str] = []
        self.namer: Namer | None = None
        self._yaml_ctx: dict[str, Any] = {}
        self._jinja_calls_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    # ---------------------------------------------------------------- macros and docs
    def _load_macros(self) -> tuple[list[Macro], dict[str, MacroFile], list[DocBlock]]:
        macros: list[Macro] = []
        files: dict[str, MacroFile] = {}
        docs: list[DocBlock] = []
        sources: list[SourceFile] = []
        builtin = read_files(INTERNAL_PACKAGE, BUILTIN_MACROS, (".",), (".sql",))
        sources.extend(builtin)
        if MASON_PACKAGE not in {p.name for p in self.packages}:
            sources.extend(read_files(MASON_PACKAGE, MASON_MACROS, (".",), (".sql",)))
        for pkg in self.packages:
            cfg = pkg.config
            sources.extend(read_files(pkg.name, pkg.root, cfg.macro_paths, (".sql",)))
            sources.extend(read_files(pkg.name, pkg.root, tuple(f"{p}/generic" for p in cfg.test_paths), (".sql",)))
            for doc_file in read_files(pkg.name, pkg.root, cfg.docs_paths, (".md",)):
                docs.extend(parse_docs_file(doc_file))
        seen: dict[str, Macro] = {}
        for source in sources:
            found, mfile = parse_macro_file(source)
            files[mfile.file_id] = mfile
            for macro in found:
                if macro.unique_id in seen and macro.package_name != INTERNAL_PACKAGE:
                    other = seen[macro.unique_id]
                    self.errors.append(ParseError(
                        f"macro {macro.name!r} is defined twice: {other.original_file_path}:{other.line} and here",
                        Span(macro.original_file_path, macro.line), "rename or remove one of them"))
                    continue
                seen[macro.unique_id] = macro
                macros.append(macro)
        return macros, files, docs

    # ---------------------------------------------------------------- contexts
    def _vars_for(self, package: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        pkg = next((p for p in self.packages if p.name == package), self.root)
        return self.root.config.vars, (pkg.config.vars if not pkg.is_root else None)

    def _runtime(self, package: str, recorder: Recorder, known: Mapping[str, Any], node_info: dict[str, Any]):  # type: ignore[no-untyped-def]
        assert self.index is not None
        root_vars, package_vars = self._vars_for(package)
        return parse_context(
            index=self.index, package=package, root_package=self.root.name, target=self.target,
            cli_vars=self.session.cli_vars, root_vars=root_vars, package_vars=package_vars,
            env=self.session.env, make_relation=self.make_relation, recorder=recorder,
            known_config=known, node_info=node_info, flags=self.flags, env_used=self.env_used,
            invocation_id=self.session.invocation_id, run_started_at=self.session.started_at,
        )

    def _yaml_context(self) -> dict[str, Any]:
        runtime = self._runtime(self.root.name, Recorder(), {}, {})
        return runtime.namespace(self.root.name)

    # ---------------------------------------------------------------- configs
    def _project_layers(self, package: str, kind: str, fqn: tuple[str, ...],
                        trees: Mapping[tuple[str, str], ConfigTree] | None = None,
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The project trees' config layers for a node (`trees`: the rendered ones unless given), as dbt
        applies them: its own package's tree first (below the properties YAML and config()), and for a
        package's node the root project's tree last, over everything the package says."""
        trees = self.trees if trees is None else trees
        root_tree = trees.get((self.root.name, kind))
        root_layers = root_tree.layers(fqn) if root_tree is not None else []
        if package == self.root.name:
            return root_layers, []
        own = trees.get((package, kind))
        return (own.layers(fqn) if own is not None else []), root_layers

    def _config(self, resource_type: str, kind: str, package: str, fqn: tuple[str, ...],
                yaml_config: Mapping[str, Any] | None, file_configs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """dbt's precedence: the node's package's tree < properties YAML < config() in the file < (for a
        package's node) the root project's tree."""
        base, _, over, _ = self._project_config(resource_type, kind, package, fqn)
        config = dict(base)
        call_dict: dict[str, Any] = {}
        for cfg in file_configs:
            merge_into(call_dict, cfg)
        if yaml_config:
            merge_into(config, yaml_config)
        merge_into(config, call_dict)
        if over:
            merge_into(config, over)
        return config, call_dict

    def _unrendered(self, kind: str, package: str, fqn: tuple[str, ...], yaml_config: Mapping[str, Any] | None,
                    call_dict: Mapping[str, Any]) -> dict[str, Any]:
        """The configs set for a node as written, as dbt's unrendered_config: the layers in the order of
        _config (Jinja kept), each replacing the keys it sets (no appending of tags, no merging of dicts)."""
        base_layers, over_layers = self._project_layers(package, kind, fqn, self.raw_trees)
        key = (*map(id, base_layers), None, *map(id, over_layers))
        found = self._unrendered_cache.get(key)
        if found is None:
            base: dict[str, Any] = {}
            for layer in base_layers:
                replace_into(base, layer)
            over: dict[str, Any] = {}
            for layer in over_layers:
                replace_into(over, layer)
            found = self._unrendered_cache[key] = (base, over, replace_into(dict(base), over))
        if not yaml_config and not call_dict:
            return found[2]
        out = dict(found[0])
        if yaml_config:
            replace_into(out, yaml_config)
        if call_dict:
            replace_into(out, call_dict)
        return replace_into(out, found[1])

    def _project_config(self, resource_type: str, kind: str, package: str, fqn: tuple[str, ...],
                        ) -> tuple[dict[str, Any], tuple[str, ...], dict[str, Any], tuple[str, ...]]:
        """Defaults merged with the node's package tree's layers for `fqn` and the tags those layers give,
        then the root project's layers over a package's node merged into one dict and their tags; shared by
        every node under the same layers (merge_into never mutates the lists and dicts it merges)."""
        base_layers, over_layers = self._project_layers(package, kind, fqn)
        key = (resource_type, *map(id, base_layers), None, *map(id, over_layers))
        found = self._config_cache.get(key)
        if found is None:
            config = default_config(resource_type)
            tags: list[str] = []
            for layer in base_layers:
                merge_into(config, layer)
                tags.extend(merge_into({}, layer).get("tags") or [])
            over: dict[str, Any] = {}
            over_tags: list[str] = []
            for layer in over_layers:
                merge_into(over, layer)
                over_tags.extend(merge_into({}, layer).get("tags") or [])
            found = self._config_cache[key] = (config, tuple(tags), over, tuple(over_tags))
        return found

    def _node_tags(self, resource_type: str, package: str, kind: str, fqn: tuple[str, ...],
                   yaml_config: Mapping[str, Any] | None, call_dict: Mapping[str, Any]) -> tuple[str, ...]:
        """A node's `tags` list, as dbt builds it: its package tree's, the file's, the root project's (for a
        package's node), then the YAML's (config.tags differs)."""
        _, base_tags, _, over_tags = self._project_config(resource_type, kind, package, fqn)
        tags = list(base_tags)
        tags.extend(call_dict.get("tags") or [])
        tags.extend(over_tags)
        if yaml_config:
            tags.extend(merge_into({}, yaml_config).get("tags") or [])
        return tuple(dict.fromkeys(tags))

    # ---------------------------------------------------------------- SQL nodes
    def _render_for_parse(self, file: SourceFile, sql: str, package: str, known: Mapping[str, Any],
                          node_info: dict[str, Any], line_offset: int = 0,
                          test_kwargs: dict[str, Any] | None = None) -> tuple[Recorder, bool]:
        if test_kwargs is None:  # most files: their Jinja run as shared units, compiled once per shape
            found = shapes.units(sql)
            if found is not None:
                rec = Recorder()
                if shapes.render_units(self._runtime(package, rec, known, node_info).namespace(package), found):
                    return rec, True
        rec = Recorder()
        runtime = self._runtime(package, rec, known, node_info)
        name = f"{package}/{file.original_file_path}"
        try:
            if test_kwargs is not None:
                values = evaluate_kwargs(test_kwargs, runtime, package, name)
                runtime.base["_dbt_generic_test_kwargs"] = values
                runtime.namespace(package)["_dbt_generic_test_kwargs"] = values
            runtime.render(sql, name, package)
        except MasonError as exc:
            if exc.span is None:
                line = template_line(exc, name)
                exc.span = Span(file.original_file_path, (line or 1) + line_offset)
            raise
        except MacroException as exc:
            line = template_line(exc, name)
            raise CompileError(str(exc), Span(file.original_file_path, (line or 1) + line_offset)) from exc
        except Exception as exc:
            line = template_line(exc, name)
            raise CompileError(f"{type(exc).__name__}: {exc}",
                               Span(file.original_file_path, (line or 1) + line_offset),
                               "check the Jinja on this line") from exc
        return rec, True

    def _static_calls(self, result: static.StaticResult, package: str) -> static.StaticResult | None:
        """Keep a static extraction whose macro calls are all to pure macros (recorded as dependencies, as
        a render would); None when one of them needs a real render."""
        resolved: list[str] = []
        for entry in result.macros:
            if entry.startswith("?"):
                macro = self._purity().macro_for_call(entry[1:], package)
                if macro is None:
                    return None
                entry = macro.unique_id
            resolved.append(entry)
        result.macros = resolved
        return result

    def _sql_node(self, file: SourceFile, resource_type: str, kind: str, name: str, fqn: tuple[str, ...],
                  sql: str, patch: Patch | None, unique_id: str, version: str | None = None,
                  latest_version: str | None = None, version_data: dict[str, Any] | None = None,
                  line_offset: int = 0, extra_configs: list[dict[str, Any]] | None = None,
                  path: str | None = None, checksum: str | None = None) -> Node | None:
        patch_data = dict(patch.data) if patch else {}
        if version_data:
            patch_data = _merge_version_patch(patch_data, version_data)
        yaml_config = _yaml_config(patch_data)
        # a project masking `ref`/`source` with its own macro needs every call rendered through it
        result = None if self._index().masked_builtins(file.package) else static.extract(sql)
        if result is not None and result.calls:
            result = self._static_calls(result, file.package)
        if result is not None:
            rec, rendered = Recorder(refs=result.refs, sources=result.sources, configs=result.configs,
                                     macros=list(result.macros)), False
        else:
            pre_config, _ = self._config(resource_type, kind, file.package, fqn, yaml_config, extra_configs or [])
            node_info = {"name": name, "unique_id": unique_id, "resource_type": resource_type,
                         "package_name": file.package, "fqn": list(fqn), "config": pre_config,
                         "original_file_path": file.original_file_path, "version": version}
            rec, rendered = self._render_for_parse(file, sql, file.package, pre_config, node_info, line_offset)
        file_configs = list(extra_configs or []) + rec.configs
        config, call_dict = self._config(resource_type, kind, file.package, fqn, yaml_config, file_configs)
        if resource_type == "model" and "materialized" not in config:
            config["materialized"] = "view"
        elif resource_type == "test":
            settle_store_failures(config)
        tags = self._node_tags(resource_type, file.package, kind, fqn, yaml_config, call_dict)
        node_path = path or file.relative_path
        refs, sources = list(rec.refs), list(rec.sources)
        if resource_type == "model" and patch is not None:  # foreign keys' `to:` are dependencies too
            fk_refs, fk_sources = foreign_key_calls(name, patch_data, Span(patch.file.original_file_path))
            refs += [r for r in fk_refs if r not in refs]
            sources += [s for s in fk_sources if s not in sources]
        database, schema, alias = self._names(resource_type, name, unique_id, file.package, fqn, config,
                                              node_path, file.original_file_path, version, tags)
        return Node(
            unique_id=unique_id,
            resource_type=resource_type,
            package_name=file.package,
            name=name,
            path=node_path,
            original_file_path=file.original_file_path,
            fqn=fqn,
            raw_code=sql,
            checksum=checksum or file.checksum,
            config=config,
            database=database,
            schema=schema,
            alias=alias,
            language="sql",
            refs=tuple(RefCall(n, p, v) for n, p, v in refs),
            sources=tuple(sources),
            depends_on_macros=tuple(dict.fromkeys([*rec.macros, *self._hook_macros(config, file.package)])),
            description=str(patch_data.get("description") or ""),
            columns=_columns(patch_data.get("columns")),
            meta=dict(config.get("meta") or {}),
            tags=tags,
            patch_path=f"{patch.file.package}://{patch.file.original_file_path}" if patch else None,
            unrendered_config=self._unrendered(kind, file.package, fqn, yaml_config, _as_written(file_configs)),
            config_call_dict=call_dict,
            docs=dict(config.get("docs") or {"show": True, "node_color": None}),
            group=config.get("group"),
            access=config.get("access") if resource_type == "model" else None,
            version=version,
            latest_version=latest_version,
            constraints=tuple(patch_data.get("constraints") or ()),
            deprecation_date=deprecation_date((version_data or {}).get("deprecation_date") if version is not None
                                              else patch_data.get("deprecation_date")),
            time_spine=_time_spine(patch_data.get("time_spine")) if resource_type == "model" else None,
            rendered_at_parse=rendered,
            root_path=str(file.root),
            created_at=self.now,
        )

    def _names(self, resource_type: str, name: str, unique_id: str, package: str, fqn: tuple[str, ...],
               config: dict[str, Any], path: str, original_file_path: str, version: str | None,
               tags: tuple[str, ...]) -> tuple[str, str, str]:
        """(database, schema, alias) through generate_*_name, dbt's defaults unless the project overrides them."""
        assert self.namer is not None
        span = Span(original_file_path)
        info = {"name": name, "unique_id": unique_id, "resource_type": resource_type, "package_name": package,
                "fqn": list(fqn), "config": config, "original_file_path": original_file_path, "path": path,
                "version": version, "tags": list(tags)}
        if resource_type == "snapshot" and config.get("target_schema"):
            schema = str(config["target_schema"])
        else:
            schema = self.namer.schema(config.get("schema"), info, span)
        if resource_type == "snapshot" and config.get("target_database"):
            database = str(config["target_database"])
        else:
            database = self.namer.database(config.get("database"), info, span)
        alias = self.namer.alias(config.get("alias"), info, span)
        return database, schema, alias

    def _named(self, node: Node) -> Node:
        database, schema, alias = self._names(node.resource_type, node.name, node.unique_id, node.package_name,
                                              node.fqn, node.config, node.path, node.original_file_path,
                                              node.version, node.tags)
        return evolve(node, database=database, schema=schema, alias=alias)

    def _prepare(self) -> tuple[list[Macro], dict[str, MacroFile], list[DocBlock]]:
        macros, macro_files, docs = self._load_macros()
        self.index = MacroIndex(macros, macro_files, self.root.name, [p.name for p in self.packages],
                                self.adapter_type, self.root.config.dispatch)
        self.namer = Namer(self.index, self.target,
                           lambda: self._runtime(self.root.name, Recorder(), {}, {}))
        return macros, macro_files, docs

    def _purity(self) -> Purity:
        """What is known of the macros' Jinja (made once the macro index exists)."""
        if self.purity is None:
            self.purity = Purity(self._index())
        return self.purity

    def jinja_macro_calls(self, sql: str, package: str) -> tuple[str, ...]:
        """The macros a piece of Jinja (a hook) calls directly, as dbt records them in depends_on.macros:
        `name(...)` / `package.name(...)` inside {{ }} and {% %} that name a macro from `package`."""
        if "{" not in sql:
            return ()
        key = (package, sql)
        found = self._jinja_calls_cache.get(key)
        if found is None:
            index = self._index()
            uids: list[str] = []
            for block in _JINJA_BLOCK.findall(sql):
                for namespace, name in _CALL.findall(block):
                    macro = index.find_in(namespace, name) if namespace else index.find(name, package)
                    if macro is not None:
                        uids.append(macro.unique_id)
            found = self._jinja_calls_cache[key] = tuple(dict.fromkeys(uids))
        return found

    def _hook_macros(self, config: Mapping[str, Any], package: str) -> list[str]:
        """The macros a node's pre- and post-hooks call (dbt renders them at parse, recording the calls)."""
        out: list[str] = []
        for key in ("pre-hook", "post-hook"):
            for hook in config.get(key) or ():
                sql = hook.get("sql") if isinstance(hook, dict) else hook
                if sql:
                    out.extend(self.jinja_macro_calls(str(sql), package))
        return out

    def _index(self) -> MacroIndex:
        assert self.index is not None, "macros are loaded first"
        return self.index

    def _guard(self, fn, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kwargs)
        except ParseErrors as exc:
            self.errors.extend(exc.errors)
        except MasonError as exc:
            self.errors.append(exc)
        return None


def _time_spine(value: Any) -> dict[str, Any] | None:
    """A model's `time_spine:` property as the manifest writes it."""
    if not isinstance(value, dict):
        return None
    return {"standard_granularity_column": value.get("standard_granularity_column"),
            "custom_granularities": list(value.get("custom_granularities") or [])}


def _as_written(configs: list[dict[str, Any]]) -> dict[str, Any]:
    """config() calls' values as written, later calls replacing keys (unrendered_config's view)."""
    if len(configs) == 1:
        return configs[0]
    out: dict[str, Any] = {}
    for cfg in configs:
        replace_into(out, cfg)
    return out
