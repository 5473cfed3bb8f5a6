"""Parse a project and its packages into a Manifest.

Order: macros and docs → properties YAML → SQL/CSV files → configs merged (project tree → YAML → file)
→ names (database, schema, alias) → generic tests. Every problem is collected and reported together.
"""

from __future__ import annotations

import re
from typing import Any

from mason.errors import MasonError, ParseError, Span, did_you_mean
from mason.nodes.fast import evolve
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import (
    Column,
    DocBlock,
    Node,
    SourceDefinition,
)
from mason.parse import resources
from mason.parse.checks import ProjectChecks
from mason.parse.files import SourceFile, read_files
from mason.parse.properties import Patch, Properties, read_properties
from mason.parse.test_nodes import GenericTestNodes
from mason.parse.yaml_fields import (
    _columns,
    _freshness,
    _freshness_config,
    _hash,
    _macro_dependencies,
    _tags,
    _version_files,
    _yaml_config,
)
from mason.project.configs import default_config, merge_into
from mason.project.loader import Package

# `{{ doc('name') }}` / `{{ doc('package', 'name') }}` in a description, resolved without a render
_DOC_CALL = re.compile(r"""\{\{\s*doc\(\s*(['"])([^'"\\{}]*)\1\s*(?:,\s*(['"])([^'"\\{}]*)\3\s*)?\)\s*\}\}""")
_SNAPSHOT_BLOCK = __import__("re").compile(
    r"{%-?\s*snapshot\s+(\w+)\s*-?%}(.*?){%-?\s*endsnapshot\s*-?%}", __import__("re").S
)


class ProjectParser(GenericTestNodes, ProjectChecks):
    """The whole project: every package's files, properties and tests, into one Manifest."""

    # ---------------------------------------------------------------- the whole project
    def reparse_models(self, files: list[SourceFile], props: Properties,
                       stems: dict[str, set[str]] | None = None) -> list[Node]:
        """Parse just these model files (partial parsing), with the properties YAML read last time;
        `stems`: each package's model file stems (which files a versioned model's versions are)."""
        self._prepare()
        out: list[Node] = []
        for file in files:
            pkg = next(p for p in self.packages if p.name == file.package)
            versioned = {
                name: data for (kind, package, name), patch in props.patches.items()
                if kind == "models" and package == pkg.name and (data := patch.data).get("versions")
            }
            node = self._guard(self._model, file, props, versioned,
                               _version_files(versioned, (stems or {}).get(pkg.name, set())))
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
        self._check_governance(nodes, groups)
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
            restrict_access=frozenset(p.name for p in self.packages if p.config.raw.get("restrict-access") is True),
        )

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
                    # dbt gives a hook the `models:` tree's configs at its fqn (its tags, its hooks' macros)
                    config, _ = self._config("analysis", "models", pkg.name, fqn, None, [])
                    macros = [*self.jinja_macro_calls(str(sql), pkg.name), *self._hook_macros(config, pkg.name)]
                    node = Node(
                        unique_id=f"operation.{pkg.name}.{name}", resource_type="operation", package_name=pkg.name,
                        name=name, path=f"hooks/{name}.sql", original_file_path="./dbt_project.yml", fqn=fqn,
                        raw_code=str(sql), checksum=checksum, config=config,
                        tags=tuple(dict.fromkeys([kind, *(config.get("tags") or ())])),
                        depends_on_macros=tuple(dict.fromkeys(macros)),
                        unrendered_config=self._unrendered("models", pkg.name, fqn, None, {}),
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

        shared: dict[str, Any] = {}
        root = self.root.name

        def render(text: str, package: str, path: str, used: list[str]) -> str:
            if "{{" not in text and "{%" not in text:
                return text

            def doc(*args: str) -> str:
                # dbt's order: doc('pkg', 'name') exactly; doc('name') in the root project, then in the
                # node's package, then in any package
                key = (args[0], args[1]) if len(args) == 2 else (package, args[0])
                block = (by_name.get(key) if len(args) == 2 else
                         by_name.get((root, key[1])) or by_name.get(key) or by_name.get((None, key[1])))
                if block is None:
                    raise ParseError(f"doc block {key[1]!r} not found", Span(path),
                                     did_you_mean(key[1], [d.name for d in docs]) or "define it in a .md file with {% docs name %}")
                used.append(block.unique_id)
                return block.block_contents

            rest = _DOC_CALL.sub("", text)  # the usual description: text and `{{ doc('name') }}` calls only
            if "{" not in rest and "\r" not in rest:
                return _DOC_CALL.sub(lambda m: doc(*(a for a in (m.group(2), m.group(4)) if a is not None)), text)
            if not shared:
                shared.update(self._yaml_context())
            ctx = shared
            ctx = dict(ctx)
            ctx["doc"] = doc
            from mason.jinja.base_context import secret_outside_profiles
            from mason.jinja.native import render_text

            ctx.setdefault("secret", secret_outside_profiles)
            try:
                return render_text(text, ctx, path)
            except MasonError as exc:
                exc.span = exc.span or Span(path)
                raise

        out: dict[str, Node] = {}
        for uid, node in nodes.items():
            patch_path = (node.patch_path or node.original_file_path).split("://")[-1]
            try:
                used: list[str] = []
                desc = render(node.description, node.package_name, patch_path, used)
                cols = {name: _described(col, render, node.package_name, patch_path)
                        for name, col in node.columns.items()}
                if desc != node.description or cols != node.columns:
                    node = evolve(node, description=desc, columns=cols, doc_blocks=tuple(used))
            except MasonError as exc:
                self.errors.append(exc)
            out[uid] = node
        new_sources = []
        for src in sources:
            try:
                used = []
                src = evolve(src, description=render(src.description, src.package_name, src.original_file_path, used),
                              source_description=render(src.source_description, src.package_name,
                                                        src.original_file_path, []),
                              doc_blocks=tuple(used),  # the table's description's, not the source's
                              columns={n: _described(c, render, src.package_name, src.original_file_path)
                                       for n, c in src.columns.items()})
            except MasonError as exc:
                self.errors.append(exc)
            new_sources.append(src)
        return out, new_sources

    def _parse_package(self, pkg: Package, props: Properties) -> list[Node | None]:
        cfg = pkg.config
        out: list[Node | None] = []
        versioned = {
            name: data for (kind, package, name), patch in props.patches.items()
            if kind == "models" and package == pkg.name and (data := patch.data).get("versions")
        }
        model_files = read_files(pkg.name, pkg.root, cfg.model_paths, (".sql",))
        version_files = _version_files(versioned, {f.stem for f in model_files} if versioned else None)
        for file in model_files:
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
        if stem in versioned:
            files = sorted(f"{s}.sql" for s, (name, _, _) in version_files.items() if name == stem)
            raise ParseError(
                f"versioned and unversioned models are both named {stem!r}: {file.original_file_path} and the "
                f"versions of {stem} ({', '.join(files)})", Span(file.original_file_path),
                f"rename {file.original_file_path}, or make it one of the versions in "
                f"{patch.file.original_file_path if patch else 'the properties YAML'} (defined_in: {stem})")
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
        yaml_config = _yaml_config(patch_data)
        config, _ = self._config("seed", "seeds", file.package, fqn, yaml_config, [])
        node = Node(
            unique_id=f"seed.{file.package}.{stem}", resource_type="seed", package_name=file.package, name=stem,
            path=file.relative_path, original_file_path=file.original_file_path, fqn=fqn, raw_code="",
            checksum=file.checksum, config=config, description=str(patch_data.get("description") or ""),
            columns=_columns(patch_data.get("columns")), meta=dict(config.get("meta") or {}),
            tags=self._node_tags("seed", file.package, "seeds", fqn, yaml_config, {}),
            depends_on_macros=tuple(dict.fromkeys(self._hook_macros(config, file.package))),
            docs=dict(config.get("docs") or {}),
            patch_path=f"{patch.file.package}://{patch.file.original_file_path}" if patch else None,
            group=config.get("group"), root_path=str(file.root), created_at=self.now,
            unrendered_config=self._unrendered("seeds", file.package, fqn, yaml_config, {}),
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
                own_layers, root_layers = self._project_layers(file.package, "sources", fqn)
                for layer in own_layers:
                    merge_into(config, layer)
                merge_into(config, src_config)
                merge_into(config, dict(table.get("config") or {}))
                for layer in root_layers:  # the root project's tree wins over a package's own YAML
                    merge_into(config, layer)
                config["tags"] = _source_config_tags(own_layers, src_config, table.get("config"), root_layers)
                if not config.get("enabled", True):
                    continue
                freshness = _freshness(data, table, config)
                config["freshness"] = _freshness_config(freshness)
                config["static_analysis"] = None
                # dbt 1.11's order: the table's property, its config, the source's property, its config (the
                # project's); the config says the same
                table_config = table.get("config")
                if not isinstance(table_config, dict):
                    table_config = {}
                loaded_at_field = next((v for v in (table.get("loaded_at_field"), table_config.get("loaded_at_field"),
                                                    data.get("loaded_at_field"), src_config.get("loaded_at_field"),
                                                    config.get("loaded_at_field")) if v is not None), None)
                config["loaded_at_field"] = loaded_at_field
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
                    unrendered_schema=_text((data.get("_unrendered") or {}).get("schema")),
                    unrendered_database=_text(table.get("database", (data.get("_unrendered") or {}).get("database"))),
                ))
        return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _source_config_tags(own_layers: list[dict[str, Any]], src_config: dict[str, Any],
                        table_config: Any, root_layers: list[dict[str, Any]]) -> list[str]:
    """A source table's config.tags as dbt 1.11 sets them: the tags of the source's and the table's
    `config:` together, but each project tree layer that sets tags replaces those before it (the root
    project's last)."""
    tags: list[str] = []
    for layer in own_layers:
        found = merge_into({}, layer).get("tags")
        if found is not None:
            tags = list(found)
    yaml_tags = [*(merge_into({}, src_config).get("tags") or [])]
    if isinstance(table_config, dict):
        yaml_tags.extend(merge_into({}, table_config).get("tags") or [])
    if yaml_tags or "tags" in src_config or (isinstance(table_config, dict) and "tags" in table_config):
        tags = list(dict.fromkeys(yaml_tags))
    for layer in root_layers:
        found = merge_into({}, layer).get("tags")
        if found is not None:
            tags = list(found)
    return tags


def _described(col: Column, render: Any, package: str, path: str) -> Column:
    """A column with its description's {{ doc() }} calls resolved and recorded in doc_blocks."""
    text = col.description
    if "{{" not in text and "{%" not in text:
        return col
    used: list[str] = []
    return evolve(col, description=render(text, package, path, used), doc_blocks=tuple(used))
