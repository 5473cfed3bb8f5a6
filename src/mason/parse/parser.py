"""Parse a project and its packages into a Manifest.

Order: macros and docs → properties YAML → SQL/CSV files → configs merged (project tree → YAML → file)
→ names (database, schema, alias) → generic tests. Every problem is collected and reported together.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from mason.adapters.relation import relation_factory
from mason.errors import CompileError, MasonError, ParseError, ParseErrors, Span, did_you_mean
from mason.jinja.environment import MacroException, template_line
from mason.jinja.flags import JinjaFlags
from mason.jinja.macros import INTERNAL_PACKAGE, MacroFile, MacroIndex
from mason.jinja.native import has_jinja, render_native
from mason.jinja.parse_context import Recorder, parse_context
from mason.jinja.relations import JinjaRelation
from mason.nodes.fast import evolve
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import (
    DocBlock,
    GenericNode,
    Macro,
    Node,
    RefCall,
    SourceDefinition,
    TestMetadata,
)
from mason.parse import resources, static
from mason.parse.files import SourceFile, read_files
from mason.parse.generic_tests import (
    TestSpec,
    evaluate_kwargs,
    read_test_entry,
    required_arguments,
    synthesize_names,
    test_unique_id,
)
from mason.parse.macros import parse_docs_file, parse_macro_file
from mason.parse.naming import Namer
from mason.parse.properties import Patch, Properties, read_properties
from mason.parse.purity import Purity
from mason.parse.yaml_fields import (
    _columns,
    _find_line,
    _freshness,
    _freshness_config,
    _hash,
    _macro_dependencies,
    _merge_version_patch,
    _refs_in_kwargs,
    _tags,
    _test_entries,
    _version_files,
    _version_literal,
    _yaml_config,
)
from mason.project.configs import ConfigTree, default_config, merge_into
from mason.project.loader import Package
from mason.session import Session

BUILTIN_MACROS = Path(__file__).resolve().parent.parent / "jinja" / "macros"
_SNAPSHOT_BLOCK = __import__("re").compile(
    r"{%-?\s*snapshot\s+(\w+)\s*-?%}(.*?){%-?\s*endsnapshot\s*-?%}", __import__("re").S
)


class ProjectParser:
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
        self.index: MacroIndex | None = None
        self.purity: Purity | None = None
        self._config_cache: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[str, ...]]] = {}
        self._nodes_so_far: dict[str, Node] = {}
        self.properties: Properties | None = None
        self.env_used: dict[str, str] = {}
        self.warnings: list[str] = []
        self.namer: Namer | None = None
        self._yaml_ctx: dict[str, Any] = {}
        self._macro_configures: dict[str, bool] = {}

    # ---------------------------------------------------------------- macros and docs
    def _load_macros(self) -> tuple[list[Macro], dict[str, MacroFile], list[DocBlock]]:
        macros: list[Macro] = []
        files: dict[str, MacroFile] = {}
        docs: list[DocBlock] = []
        sources: list[SourceFile] = []
        builtin = read_files(INTERNAL_PACKAGE, BUILTIN_MACROS, (".",), (".sql",))
        sources.extend(builtin)
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
    def _project_layers(self, package: str, kind: str, fqn: tuple[str, ...]) -> list[dict[str, Any]]:
        layers: list[dict[str, Any]] = []
        own = self.trees.get((package, kind))
        if own is not None and package != self.root.name:
            layers.extend(own.layers(fqn))
        root_tree = self.trees.get((self.root.name, kind))
        if root_tree is not None:
            layers.extend(root_tree.layers(fqn))
        return layers

    def _config(self, resource_type: str, kind: str, package: str, fqn: tuple[str, ...],
                yaml_config: Mapping[str, Any] | None, file_configs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """dbt's precedence: project tree < properties YAML < config() in the file."""
        config = dict(self._project_config(resource_type, kind, package, fqn)[0])
        call_dict: dict[str, Any] = {}
        for cfg in file_configs:
            merge_into(call_dict, cfg)
        if yaml_config:
            merge_into(config, yaml_config)
        merge_into(config, call_dict)
        return config, call_dict

    def _project_config(self, resource_type: str, kind: str, package: str,
                        fqn: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Defaults merged with the project tree's layers for `fqn`, and the tags those layers give; shared
        by every node under the same layers (merge_into never mutates the lists and dicts it merges)."""
        layers = self._project_layers(package, kind, fqn)
        key = (resource_type, *map(id, layers))
        found = self._config_cache.get(key)
        if found is None:
            config = default_config(resource_type)
            tags: list[str] = []
            for layer in layers:
                merge_into(config, layer)
                tags.extend(merge_into({}, layer).get("tags") or [])
            found = self._config_cache[key] = (config, tuple(tags))
        return found

    def _node_tags(self, resource_type: str, package: str, kind: str, fqn: tuple[str, ...],
                   yaml_config: Mapping[str, Any] | None, call_dict: Mapping[str, Any]) -> tuple[str, ...]:
        """A node's `tags` list the project's, then the file's, then the YAML's (config.tags differs)."""
        tags = list(self._project_config(resource_type, kind, package, fqn)[1])
        tags.extend(call_dict.get("tags") or [])
        if yaml_config:
            tags.extend(merge_into({}, yaml_config).get("tags") or [])
        return tuple(dict.fromkeys(tags))

    # ---------------------------------------------------------------- SQL nodes
    def _render_for_parse(self, file: SourceFile, sql: str, package: str, known: Mapping[str, Any],
                          node_info: dict[str, Any], line_offset: int = 0,
                          test_kwargs: dict[str, Any] | None = None) -> tuple[Recorder, bool]:
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
        if self.purity is None:
            self.purity = Purity(self._index())
        resolved: list[str] = []
        for entry in result.macros:
            if entry.startswith("?"):
                macro = self.purity.macro_for_call(entry[1:], package)
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
        tags = self._node_tags(resource_type, file.package, kind, fqn, yaml_config, call_dict)
        node_path = path or file.relative_path
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
            refs=tuple(RefCall(n, p, v) for n, p, v in rec.refs),
            sources=tuple(rec.sources),
            depends_on_macros=tuple(dict.fromkeys(rec.macros)),
            description=str(patch_data.get("description") or ""),
            columns=_columns(patch_data.get("columns")),
            meta=dict(config.get("meta") or {}),
            tags=tags,
            patch_path=f"{patch.file.package}://{patch.file.original_file_path}" if patch else None,
            unrendered_config={},
            config_call_dict=call_dict,
            docs=dict(config.get("docs") or {"show": True, "node_color": None}),
            group=config.get("group"),
            access=config.get("access") if resource_type == "model" else None,
            version=version,
            latest_version=latest_version,
            constraints=tuple(patch_data.get("constraints") or ()),
            deprecation_date=patch_data.get("deprecation_date"),
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

    # ---------------------------------------------------------------- the whole project
    def _prepare(self) -> tuple[list[Macro], dict[str, MacroFile], list[DocBlock]]:
        macros, macro_files, docs = self._load_macros()
        self.index = MacroIndex(macros, macro_files, self.root.name, [p.name for p in self.packages],
                                self.adapter_type, self.root.config.dispatch)
        self.namer = Namer(self.index, self.target,
                           lambda: self._runtime(self.root.name, Recorder(), {}, {}))
        return macros, macro_files, docs

    def _index(self) -> MacroIndex:
        assert self.index is not None, "macros are loaded first"
        return self.index

    def reparse_models(self, files: list[SourceFile], props: Properties) -> list[Node]:
        """Parse just these model files (partial parsing), with the properties YAML read last time."""
        self._prepare()
        out: list[Node] = []
        for file in files:
            pkg = next(p for p in self.packages if p.name == file.package)
            versioned = {
                name: data for (kind, package, name), patch in props.patches.items()
                if kind == "models" and package == pkg.name and (data := patch.data).get("versions")
            }
            node = self._guard(self._model, file, props, versioned, _version_files(versioned))
            if node is not None:
                out.append(node)
        return out

    def parse(self) -> Manifest:
        macros, macro_files, docs = self._prepare()
        props = Properties()
        yaml_ctx = self._yaml_ctx = self._yaml_context()
        for pkg in self.packages:
            cfg = pkg.config
            paths = tuple(dict.fromkeys((*cfg.model_paths, *cfg.seed_paths, *cfg.snapshot_paths,
                                         *cfg.analysis_paths, *cfg.macro_paths, *cfg.test_paths)))
            yml = read_files(pkg.name, pkg.root, paths, (".yml", ".yaml"))
            read_properties(yml, yaml_ctx, props)
        self.errors.extend(props.errors)

        nodes: dict[str, Node] = {}
        disabled: dict[str, list[Any]] = {}

        def add(node: Node | None) -> None:
            if node is None:
                return
            if not node.config.get("enabled", True):
                disabled.setdefault(node.unique_id, []).append(node)
                return
            if node.unique_id in nodes:
                other = nodes[node.unique_id]
                self.errors.append(ParseError(
                    f"two resources are named {node.name!r}: {other.original_file_path} and {node.original_file_path}",
                    Span(node.original_file_path), "rename one of them, or disable one with enabled: false"))
                return
            nodes[node.unique_id] = node

        for pkg in self.packages:
            for node in self._parse_package(pkg, props):
                add(node)
        for node in self._yaml_snapshots(props):
            add(node)

        self._check_model_configs(nodes)
        for hook in self._hook_nodes():
            add(hook)
        self._nodes_so_far = nodes
        sources = self._sources(props)
        self._check_unused_patches(props, nodes, disabled)
        for test in self._generic_tests(props, nodes, sources):
            add(test)
        exposures = resources.exposures(props, self.now)
        groups = resources.groups(props)
        semantic = resources.semantic_nodes(props, self.now)
        for unit in semantic.get("unit_test", {}).values():
            self._guard(self._read_fixtures, unit)
        nodes, sources = self._render_descriptions(nodes, sources, docs)
        self.properties = props
        macros_with_deps = _macro_dependencies(macros, self._index())
        return Manifest(
            project_name=self.root.name,
            adapter_type=self.adapter_type,
            nodes=nodes,
            sources={s.unique_id: s for s in sources},
            macros={m.unique_id: m for m in macros_with_deps},
            docs={d.unique_id: d for d in docs},
            exposures={e.unique_id: e for e in exposures},
            groups={g.unique_id: g for g in groups},
            metrics=semantic.get("metric", {}),
            semantic_models=semantic.get("semantic_model", {}),
            saved_queries=semantic.get("saved_query", {}),
            unit_tests=semantic.get("unit_test", {}),
            disabled=disabled,
            project_packages=tuple(p.name for p in self.packages),
            macro_files=macro_files,
            quoting=dict(self.root.config.quoting),
        )

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
            if problems:
                text = _read_text(node)
                self.errors.append(ParseError(
                    f"{node.unique_id}: " + "; ".join(problems),
                    Span(node.original_file_path, _config_line(text)),
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

    def _hook_nodes(self) -> list[Node]:
        """on-run-start / on-run-end hooks, as dbt lists them: operation nodes of each package."""
        out = []
        for pkg in self.packages:
            project_file = (pkg.root / "dbt_project.yml").read_text(encoding="utf-8")
            checksum = _hash(project_file.strip())
            for kind, hooks in (("on-run-start", pkg.config.on_run_start), ("on-run-end", pkg.config.on_run_end)):
                for i, sql in enumerate(hooks):
                    name = f"{pkg.name}-{kind}-{i}"
                    fqn = (pkg.name, "hooks", name)
                    config, _ = self._config("analysis", "models", pkg.name, fqn, None, [])
                    node = Node(
                        unique_id=f"operation.{pkg.name}.{name}", resource_type="operation", package_name=pkg.name,
                        name=name, path=f"hooks/{name}.sql", original_file_path="./dbt_project.yml", fqn=fqn,
                        raw_code=str(sql), checksum=checksum, config=config, tags=(kind,),
                        meta=dict(config.get("meta") or {}), root_path=str(pkg.root), created_at=self.now,
                        database=self.target.get("database"), schema=self.target.get("schema"), alias=name,
                    )
                    out.append(node)
        return out

    def _render_descriptions(self, nodes: dict[str, Node], sources: list[SourceDefinition],
                             docs: list[DocBlock]) -> tuple[dict[str, Node], list[SourceDefinition]]:
        """`{{ doc('name') }}` in descriptions, resolved now as dbt does."""
        by_name: dict[tuple[str | None, str], DocBlock] = {}
        for d in docs:
            by_name[(d.package_name, d.name)] = d
            by_name.setdefault((None, d.name), d)

        def render(text: str, package: str, path: str, used: list[str]) -> str:
            if "{{" not in text and "{%" not in text:
                return text

            def doc(*args: str) -> str:
                key = (args[0], args[1]) if len(args) == 2 else (package, args[0])
                block = by_name.get(key) or by_name.get((None, key[1]))
                if block is None:
                    raise ParseError(f"doc block {key[1]!r} not found", Span(path),
                                     did_you_mean(key[1], [d.name for d in docs]) or "define it in a .md file with {% docs name %}")
                used.append(block.unique_id)
                return block.block_contents

            ctx = self._yaml_context()
            ctx = dict(ctx)
            ctx["doc"] = doc
            from mason.jinja.native import render_text

            return render_text(text, ctx, path)

        out: dict[str, Node] = {}
        for uid, node in nodes.items():
            patch_path = (node.patch_path or node.original_file_path).split("://")[-1]
            try:
                used: list[str] = []
                desc = render(node.description, node.package_name, patch_path, used)
                cols = {}
                for name, col in node.columns.items():
                    cols[name] = evolve(col, description=render(col.description, node.package_name, patch_path, []))
                if desc != node.description or cols != node.columns:
                    node = evolve(node, description=desc, columns=cols, doc_blocks=tuple(used))
            except MasonError as exc:
                self.errors.append(exc)
            out[uid] = node
        new_sources = []
        for src in sources:
            try:
                src = evolve(src, description=render(src.description, src.package_name, src.original_file_path, []),
                              source_description=render(src.source_description, src.package_name,
                                                        src.original_file_path, []),
                              columns={n: evolve(c, description=render(c.description, src.package_name,
                                                                        src.original_file_path, []))
                                       for n, c in src.columns.items()})
            except MasonError as exc:
                self.errors.append(exc)
            new_sources.append(src)
        return out, new_sources

    def _guard(self, fn, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kwargs)
        except ParseErrors as exc:
            self.errors.extend(exc.errors)
        except MasonError as exc:
            self.errors.append(exc)
        return None

    def _parse_package(self, pkg: Package, props: Properties) -> list[Node | None]:
        cfg = pkg.config
        out: list[Node | None] = []
        versioned = {
            name: data for (kind, package, name), patch in props.patches.items()
            if kind == "models" and package == pkg.name and (data := patch.data).get("versions")
        }
        version_files = _version_files(versioned)
        for file in read_files(pkg.name, pkg.root, cfg.model_paths, (".sql",)):
            out.append(self._guard(self._model, file, props, versioned, version_files))
        for file in read_files(pkg.name, pkg.root, cfg.analysis_paths, (".sql",)):
            out.append(self._guard(self._simple, file, props, "analysis", "analyses"))
        for file in read_files(pkg.name, pkg.root, cfg.test_paths, (".sql",), skip_dirs=("generic", "fixtures")):
            out.append(self._guard(self._singular_test, file, props))
        for file in read_files(pkg.name, pkg.root, cfg.snapshot_paths, (".sql",)):
            result = self._guard(self._snapshots, file, props)
            out.extend(result or [])
        for file in read_files(pkg.name, pkg.root, cfg.seed_paths, (".csv",)):
            out.append(self._guard(self._seed, file, props))
        return out

    def _model(self, file: SourceFile, props: Properties, versioned: dict[str, dict[str, Any]],
               version_files: dict[str, tuple[str, str, str]]) -> Node | None:
        stem = file.stem
        if stem in version_files:
            base, version, latest = version_files[stem]
            patch = props.patches.get(("models", file.package, base))
            vdata: dict[str, Any] = next((v for v in (patch.data.get("versions") if patch else []) or []
                          if str(v.get("v")) == version), {})
            fqn = (file.package, *file.folders, base, f"v{version}")
            uid = f"model.{file.package}.{base}.v{version}"
            return self._sql_node(file, "model", "models", base, fqn, file.text.strip(), patch, uid, version, latest, vdata)
        patch = props.patches.get(("models", file.package, stem))
        fqn = (file.package, *file.folders, stem)
        return self._sql_node(file, "model", "models", stem, fqn, file.text.strip(), patch, f"model.{file.package}.{stem}")

    def _simple(self, file: SourceFile, props: Properties, resource_type: str, kind: str) -> Node | None:
        stem = file.stem
        patch = props.patches.get((kind, file.package, stem))
        # dbt (without require_corrected_analysis_fqns) files analyses under "analysis" and
        # configures them from the models: tree
        fqn = (file.package, "analysis", *file.folders, stem)
        return self._sql_node(file, resource_type, "models", stem, fqn, file.text.strip(), patch,
                              f"{resource_type}.{file.package}.{stem}", path=f"analysis/{file.relative_path}")

    def _singular_test(self, file: SourceFile, props: Properties) -> Node | None:
        stem = file.stem
        patch_data = props.singular_test_patches.get((file.package, stem))
        patch = Patch("data_tests", stem, patch_data, file) if patch_data else None
        fqn = (file.package, *file.folders, stem)
        return self._sql_node(file, "test", "data_tests", stem, fqn, file.text.strip(), patch, f"test.{file.package}.{stem}")

    def _snapshots(self, file: SourceFile, props: Properties) -> list[Node | None]:
        out: list[Node | None] = []
        for match in _SNAPSHOT_BLOCK.finditer(file.text):
            name = match.group(1)
            body = match.group(2)
            line_offset = file.text.count("\n", 0, match.start(2))
            patch = props.patches.get(("snapshots", file.package, name))
            fqn = (file.package, *file.folders, file.stem, name)
            out.append(self._sql_node(file, "snapshot", "snapshots", name, fqn, body, patch,
                                      f"snapshot.{file.package}.{name}", line_offset=line_offset))
        return out

    def _yaml_snapshots(self, props: Properties) -> list[Node | None]:
        out: list[Node | None] = []
        for data, file in props.yaml_snapshots:
            name = str(data["name"])
            relation = str(data["relation"]).strip()
            sql = f"select * from {{{{ {relation} }}}}"
            fake = SourceFile(file.package, file.root, file.resource_path, file.relative_path, sql)
            patch = Patch("snapshots", name, data, file)
            fqn = (file.package, *file.folders, name)
            node = self._guard(self._sql_node, fake, "snapshot", "snapshots", name, fqn, sql, patch,
                               f"snapshot.{file.package}.{name}", path=f"{file.relative_path}/{name}.sql",
                               checksum=file.checksum)
            out.append(node)
        return out

    def _seed(self, file: SourceFile, props: Properties) -> Node | None:
        stem = file.stem
        patch = props.patches.get(("seeds", file.package, stem))
        fqn = (file.package, *file.folders, stem)
        patch_data = patch.data if patch else {}
        config, _ = self._config("seed", "seeds", file.package, fqn, _yaml_config(patch_data), [])
        node = Node(
            unique_id=f"seed.{file.package}.{stem}", resource_type="seed", package_name=file.package, name=stem,
            path=file.relative_path, original_file_path=file.original_file_path, fqn=fqn, raw_code="",
            checksum=file.checksum, config=config, description=str(patch_data.get("description") or ""),
            columns=_columns(patch_data.get("columns")), meta=dict(config.get("meta") or {}),
            tags=tuple(config.get("tags") or ()), docs=dict(config.get("docs") or {}),
            patch_path=f"{patch.file.package}://{patch.file.original_file_path}" if patch else None,
            group=config.get("group"), root_path=str(file.root), created_at=self.now,
        )
        return self._named(node)

    # ---------------------------------------------------------------- sources
    def _sources(self, props: Properties) -> list[SourceDefinition]:
        out: list[SourceDefinition] = []
        for data, file in props.sources:
            source_name = str(data.get("name") or "")
            if not source_name:
                self.errors.append(ParseError("a source needs a name", Span(file.original_file_path)))
                continue
            src_config = dict(data.get("config") or {})
            for table in data.get("tables") or []:
                if not isinstance(table, dict) or not table.get("name"):
                    self.errors.append(ParseError(f"every table of source {source_name!r} needs a name",
                                                  Span(file.original_file_path)))
                    continue
                name = str(table["name"])
                fqn = (file.package, *file.folders, source_name, name)
                config: dict[str, Any] = default_config("source")
                config.pop("static_analysis", None)
                for layer in self._project_layers(file.package, "sources", fqn):
                    merge_into(config, layer)
                merge_into(config, src_config)
                merge_into(config, dict(table.get("config") or {}))
                if not config.get("enabled", True):
                    continue
                freshness = _freshness(data, table, config)
                config["freshness"] = _freshness_config(freshness)
                config["static_analysis"] = None
                loaded_at_field = table.get("loaded_at_field", data.get("loaded_at_field")) or config.get("loaded_at_field")
                quoting = {**(data.get("quoting") or {}), **(table.get("quoting") or {})}
                database = table.get("database", data.get("database")) or self.target.get("database")
                schema = str(data.get("schema") or source_name)
                identifier = str(table.get("identifier") or name)
                rel = self.make_relation(database, schema, identifier)
                if quoting:
                    rel = rel.quote(**{k: v for k, v in quoting.items() if k in ("database", "schema", "identifier")})
                meta = {**(data.get("meta") or {}), **(table.get("meta") or {}), **(config.get("meta") or {})}
                tags = list(dict.fromkeys([*_tags(data.get("tags")), *_tags(table.get("tags")),
                                           *(config.get("tags") or [])]))
                out.append(SourceDefinition(
                    unique_id=f"source.{file.package}.{source_name}.{name}", package_name=file.package,
                    source_name=source_name, name=name, identifier=identifier,
                    database=str(database) if database is not None else None, schema=schema,
                    path=file.original_file_path, original_file_path=file.original_file_path, fqn=fqn,
                    config=config, description=str(table.get("description") or ""),
                    source_description=str(data.get("description") or ""), loader=str(data.get("loader") or ""),
                    loaded_at_field=loaded_at_field,
                    loaded_at_query=table.get("loaded_at_query", data.get("loaded_at_query")),
                    freshness=freshness, quoting=quoting, columns=_columns(table.get("columns")),
                    meta=meta, source_meta=dict(data.get("meta") or {}), tags=tuple(tags),
                    external=table.get("external"), relation_name=rel.render(), created_at=self.now,
                ))
        return out

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
        missing = [a for a in required_arguments(macro) if a not in spec.args and not (a == "column_name" and column)
                   ] if macro.package_name == INTERNAL_PACKAGE else []
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
            raw_code=f"{{{{ {macro_call}(**_dbt_generic_test_kwargs) }}}}",
            checksum="", config=config, database=database, schema=schema, alias=alias,
            refs=tuple(RefCall(n, p, _version_literal(v)) for n, p, v in refs),
            sources=tuple(srcs),
            depends_on_macros=((macro.unique_id, "macro.dbt.get_where_subquery")
                               if spec.args or macro.package_name != "dbt" else (macro.unique_id,)),
            description=spec.description, tags=test_tags, meta=dict(config.get("meta") or {}),
            config_call_dict=call_dict,
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
        configures = self._macro_configures.get(macro.unique_id)
        if configures is None:
            if self.purity is None:
                self.purity = Purity(self._index())
            configures = self._macro_configures[macro.unique_id] = self.purity.may_configure(macro)
        if not configures:
            return []
        known, _ = self._config("test", "data_tests", package, fqn, spec.config, [])
        call = f"{spec.namespace}.{macro_name}" if spec.namespace else macro_name
        rec, _ = self._render_for_parse(file, f"{{{{ {call}(**_dbt_generic_test_kwargs) }}}}", package, known,
                                        {"name": name, "resource_type": "test", "package_name": package},
                                        line_offset=(_find_line(file.text, spec.name) or 1) - 1, test_kwargs=kwargs)
        return rec.configs

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


def _read_text(node: Node) -> str:
    try:
        return Path(node.root_path or ".", node.original_file_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _config_line(text: str) -> int | None:
    """The line of a model's `materialized` (or first config) setting, when its file has one."""
    for needle in ("materialized", "config("):
        idx = text.find(needle)
        if idx >= 0:
            return text.count("\n", 0, idx) + 1
    return None
