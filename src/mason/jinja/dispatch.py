"""`adapter.dispatch`: find `<adapter>__name`, then `default__name`, along dbt's search order."""

from __future__ import annotations

from typing import Any

from mason.errors import CompileError
from mason.jinja.macros import MacroRuntime


def dispatch(runtime: MacroRuntime, macro_name: str, macro_namespace: str | None = None,
             packages: Any = None) -> Any:
    if "." in macro_name:
        ns, _, macro_name = macro_name.partition(".")
        macro_namespace = macro_namespace or ns
    index = runtime.index
    candidates = index.dispatch_candidates(macro_name, macro_namespace)
    if packages:
        candidates = [(p, n) for p in packages for _, n in candidates[:len(index.adapter_prefixes) + 1]]
    for package, name in candidates:
        macro = index.find_in(package, name)
        if macro is not None:
            return runtime.bind(macro)
    tried = ", ".join(f"{p}.{n}" for p, n in candidates)
    raise CompileError(
        f"adapter.dispatch could not find an implementation of {macro_name!r} (namespace {macro_namespace!r})",
        hint=f"searched: {tried}",
    )
