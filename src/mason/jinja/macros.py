"""Macros at render time: name resolution, lazy per-render binding, `return()` and dispatch."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

from mason.errors import CompileError, Span, did_you_mean
from mason.jinja.environment import (
    ReturnValue,
    preprocess,
    render_template,
    template,
    template_line,
)
from mason.nodes.nodes import Macro

INTERNAL_PACKAGE = "dbt"
# Mason's own macro library (generic tests such as `volume_anomalies`, src/mason/monitor/macros): found after
# the project's and dbt's macros when unqualified, and as `mason.<name>`.
MASON_PACKAGE = "mason"
MASKABLE_BUILTINS = ("ref", "source")


@dataclass(frozen=True, slots=True)
class MacroFile:
    file_id: str
    path: str  # display path (relative to the package root, with package prefix)
    source: str


class MacroIndex:
    """All macros of the project, its packages and the built-in library, by package and name."""

    def __init__(self, macros: Iterable[Macro], files: Mapping[str, MacroFile], root_package: str,
                 packages: Iterable[str], adapter_type: str, dispatch: Iterable[Mapping[str, Any]] = ()) -> None:
        self.by_package: dict[str, dict[str, Macro]] = {}
        for macro in macros:
            self.by_package.setdefault(macro.package_name, {})[macro.name] = macro
        self.files = dict(files)
        self.root_package = root_package
        self.packages = [p for p in packages if p != root_package]
        self.adapter_type = adapter_type
        self.adapter_prefixes = _adapter_prefixes(adapter_type)
        self.dispatch_orders = {
            str(d.get("macro_namespace")): list(d.get("search_order") or []) for d in dispatch
        }

    def find(self, name: str, package: str | None) -> Macro | None:
        """dbt's unqualified lookup: the calling package, the root project, then the internal library."""
        if package is not None:
            found = self.by_package.get(package, {}).get(name)
            if found is not None:
                return found
        found = self.by_package.get(self.root_package, {}).get(name)
        if found is not None:
            return found
        found = self.by_package.get(INTERNAL_PACKAGE, {}).get(name)
        if found is not None:
            return found
        own = self.by_package.get(MASON_PACKAGE)
        return own.get(name) if own is not None else None

    def find_in(self, package: str, name: str) -> Macro | None:
        return self.by_package.get(package, {}).get(name)

    def materializations(self) -> set[str]:
        """Names defined with `{% materialization name, <this adapter or default> %}` in any package."""
        suffixes = (*self.adapter_prefixes, "default")
        names = set()
        for macros in self.by_package.values():
            for macro_name in macros:
                if macro_name.startswith("materialization_"):
                    stem, _, suffix = macro_name[len("materialization_"):].rpartition("_")
                    if suffix in suffixes and stem:
                        names.add(stem)
        return names

    def all_names(self) -> set[str]:
        return {n for macros in self.by_package.values() for n in macros}

    def masked_builtins(self, package: str | None) -> tuple[str, ...]:
        """Context functions (`ref`, `source`) that a macro of the same name in the root project or in
        `package` replaces; the originals stay reachable as `builtins.ref`, `builtins.source`."""
        return tuple(name for name in MASKABLE_BUILTINS
                     if name in self.by_package.get(self.root_package, {})
                     or (package is not None and name in self.by_package.get(package, {})))

    def dispatch_candidates(self, macro_name: str, macro_namespace: str | None) -> list[tuple[str, str]]:
        """(package, macro name) pairs to try, in dbt's dispatch order."""
        if macro_namespace is not None and macro_namespace in self.dispatch_orders:
            search = list(self.dispatch_orders[macro_namespace])
        elif macro_namespace is not None:
            search = [self.root_package, macro_namespace]
        else:
            search = [self.root_package]
        if INTERNAL_PACKAGE not in search:
            search.append(INTERNAL_PACKAGE)
        out = []
        for pkg in search:
            for prefix in (*self.adapter_prefixes, "default"):
                out.append((pkg, f"{prefix}__{macro_name}"))
            if macro_namespace is None or pkg == INTERNAL_PACKAGE:
                pass
        return out


def _adapter_prefixes(adapter_type: str) -> tuple[str, ...]:
    from mason.adapters.target import DISPATCH_PARENTS

    return (adapter_type, *DISPATCH_PARENTS.get(adapter_type, ()))


_DEF_SUFFIX = "__mason_def"
_MACRO_DEF = re.compile(r"({%-?\s*macro\s+)([A-Za-z_]\w*)(\s*\()")


def _private_macro_names(source: str) -> str:
    """Rename macro definitions in a macro file so that a sibling call (`y()` inside `x`) is not bound to
    Jinja's raw macro at compile time but looked up in the render's namespace, where `return()` works."""
    return _MACRO_DEF.sub(lambda m: f"{m.group(1)}{m.group(2)}{_DEF_SUFFIX}{m.group(3)}", preprocess(source))


class MacroRuntime:
    """Binds macros to one render's context, lazily. One per node render (cheap to create)."""

    def __init__(self, index: MacroIndex, base: dict[str, Any], on_macro: Callable[[Macro], None] | None = None):
        self.index = index
        self.base = base
        self.on_macro = on_macro
        self._namespaces: dict[str, Namespace] = {}
        self._modules: dict[tuple[str, str], Any] = {}
        self.stack: list[str] = []
        # (package, macro name) -> what stands in for that macro (a unit test's `overrides: macros:`)
        self.overrides: dict[tuple[str, str], Any] = {}

    def namespace(self, package: str | None) -> Namespace:
        key = package or self.index.root_package
        ns = self._namespaces.get(key)
        if ns is None:
            ns = Namespace(self, key)
            self._namespaces[key] = ns
        return ns

    def bind(self, macro: Macro) -> BoundMacro:
        return BoundMacro(self, macro)

    def module(self, macro: Macro) -> Any:
        key = (macro.package_name, macro.file_id)
        mod = self._modules.get(key)
        if mod is None:
            mfile = self.index.files[macro.file_id]
            tpl = template(_private_macro_names(mfile.source), mfile.path)
            ctx = tpl.new_context(self.namespace(macro.package_name), shared=True)
            # Running the file's root body only defines its macros.
            for _ in tpl.root_render_func(ctx):
                pass
            mod = ctx
            self._modules[key] = mod
        return mod

    def evaluate(self, expression: str, package: str | None = None) -> Any:
        """Evaluate one Jinja expression and return its Python value (a Relation stays a Relation)."""
        tpl = template("{%- set __mason_result = " + expression + " -%}", "<expression>")
        ctx = tpl.new_context(self.namespace(package), shared=True)
        for _ in tpl.root_render_func(ctx):
            pass
        return ctx.vars.get("__mason_result")

    def render(self, source: str, name: str, package: str | None = None) -> str:
        tpl = template(source, name)
        try:
            return render_template(tpl, self.namespace(package))
        except ReturnValue as ret:
            return ret.value  # type: ignore[no-any-return]


class Namespace(dict[str, Any]):
    """A render's root namespace for one package: fixed context entries plus macros found on demand."""

    def __init__(self, runtime: MacroRuntime, package: str) -> None:
        super().__init__(runtime.base)
        self._runtime = runtime
        self._package = package

    def _resolve(self, key: str) -> Any:
        if key == "context":  # dbt's `context`: this namespace, macros included
            return self
        index = self._runtime.index
        if self._runtime.overrides and (self._package, key) in self._runtime.overrides:
            return self._runtime.overrides[(self._package, key)]
        macro = index.find(key, self._package)
        if macro is not None:
            bound = self._runtime.bind(macro)
            self[key] = bound
            return bound
        if key == INTERNAL_PACKAGE or key in index.by_package:
            pkg_ns = PackageNamespace(self._runtime, key)
            self[key] = pkg_ns
            return pkg_ns
        if key == "secret":  # only profiles.yml and packages.yml have it; a project's own `secret` macro wins
            from mason.jinja.base_context import secret_outside_profiles

            return secret_outside_profiles
        return None

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        return isinstance(key, str) and self._resolve(key) is not None

    def __missing__(self, key: str) -> Any:
        found = self._resolve(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        found = self._resolve(key)
        return default if found is None else found


class PackageNamespace:
    """`dbt.foo()` or `my_package.foo()`."""

    def __init__(self, runtime: MacroRuntime, package: str) -> None:
        self._runtime = runtime
        self._package = package

    def __getattr__(self, name: str) -> Any:
        if self._runtime.overrides and (self._package, name) in self._runtime.overrides:
            return self._runtime.overrides[(self._package, name)]
        macro = self._runtime.index.find_in(self._package, name)
        if macro is None:
            # dbt's own context functions are reachable as `dbt.is_incremental()`, `dbt.run_query(...)`
            if self._package == INTERNAL_PACKAGE and name in self._runtime.base and not name.startswith("_"):
                return self._runtime.base[name]
            if name.startswith("_"):
                raise AttributeError(name)
            # undefined (so `pkg.x is defined` works); calling it says which macros the package has
            known = did_you_mean(name, self._runtime.index.by_package.get(self._package, {}))
            return jinja2.Undefined(hint=f"macro '{self._package}.{name}' is not defined"
                                         + (f" ({known})" if known else ""))
        return self._runtime.bind(macro)

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __contains__(self, name: str) -> bool:
        if self._package == INTERNAL_PACKAGE and name in self._runtime.base:
            return True
        return self._runtime.index.find_in(self._package, name) is not None


class BoundMacro:
    """A macro bound to a render: call it like a function; `return(x)` gives x, else the rendered text."""

    __slots__ = ("_runtime", "macro")

    def __init__(self, runtime: MacroRuntime, macro: Macro) -> None:
        self._runtime = runtime
        self.macro = macro

    @property
    def name(self) -> str:
        return self.macro.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        runtime = self._runtime
        if runtime.on_macro is not None and not runtime.stack:
            runtime.on_macro(self.macro)
        ctx = runtime.module(self.macro)
        jmacro = ctx.vars.get(self.macro.name + _DEF_SUFFIX)
        if jmacro is None:
            raise CompileError(f"macro {self.macro.name!r} could not be loaded",
                               Span(self.macro.original_file_path, self.macro.line))
        runtime.stack.append(self.macro.unique_id)
        try:
            return jmacro(*args, **kwargs)
        except ReturnValue as ret:
            return ret.value
        finally:
            runtime.stack.pop()

    def __repr__(self) -> str:
        return f"<macro {self.macro.package_name}.{self.macro.name}>"


def missing_macro_error(name: str, index: MacroIndex, span: Span | None) -> CompileError:
    return CompileError(f"macro {name!r} is not defined", span, did_you_mean(name, index.all_names()))


def error_line(exc: BaseException, filename: str) -> int | None:
    return template_line(exc, filename)
