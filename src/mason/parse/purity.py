"""Pure macros: whose output depends only on their arguments.

A model that calls only pure macros with literal arguments needs no Jinja render at parse time (the call
can record nothing: no ref, source, config or env_var), and at compile time each distinct call renders
once and is reused by every model that makes it. Purity is decided on the macro's Jinja syntax tree: every
name it reads that it does not define itself must be a pure builtin or another pure macro.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import jinja2
from jinja2 import meta, nodes

from mason.jinja.environment import environment
from mason.jinja.macros import MacroIndex
from mason.nodes.nodes import Macro

# Context entries whose result depends only on their arguments (no logging, no context, no errors raised
# on purpose): Jinja's own globals and dbt's pure helpers.
PURE_NAMES = frozenset(jinja2.defaults.DEFAULT_NAMESPACE) | {
    "return", "tojson", "fromjson", "toyaml", "fromyaml", "local_md5", "set", "set_strict", "zip",
    "zip_strict", "loop", "varargs", "kwargs",
}


class Purity:
    """Memoized facts about the macros of one MacroIndex, each decided once from the macro's syntax tree:
    purity (for static parsing and shared renders), whether rendering it may set configs, and the
    parameters it requires."""

    def __init__(self, index: MacroIndex) -> None:
        self.index = index
        self._known: dict[str, bool] = {}
        self._configures: dict[str, bool] = {}
        self._required: dict[str, tuple[str, ...]] = {}
        self._trees: dict[str, nodes.Template | None] = {}
        self._reads: dict[str, frozenset[str] | None] = {}
        self._lock = threading.Lock()

    def _tree(self, macro: Macro) -> nodes.Template | None:
        """The macro's Jinja syntax tree (None when it does not parse), parsed once."""
        if macro.unique_id not in self._trees:
            try:
                self._trees[macro.unique_id] = environment().parse(macro.macro_sql)
            except jinja2.TemplateSyntaxError:
                self._trees[macro.unique_id] = None
        return self._trees[macro.unique_id]

    def macro_for_call(self, name: str, package: str) -> Macro | None:
        """The macro an unqualified call `name(...)` from `package` runs, when it is pure."""
        macro = self.index.find(name, package)
        if macro is None or not self.is_pure(macro):
            return None
        return macro

    def is_pure(self, macro: Macro) -> bool:
        with self._lock:
            return self._check(macro, set())

    def _check(self, macro: Macro, visiting: set[str]) -> bool:
        # recursion: pure if the rest is
        return _memoized(macro, visiting, self._known, True, self._decide)

    def _decide(self, macro: Macro, visiting: set[str]) -> bool:
        tree = self._tree(macro)
        if tree is None:
            return False
        names = meta.find_undeclared_variables(tree)
        if "adapter" in names:
            # `adapter.dispatch('name', 'namespace')(...)` with literal arguments resolves statically; any
            # other use of the adapter is impure.
            targets = self._dispatch_targets(tree)
            if targets is None or not all(self._check(t, visiting) for t in targets):
                return False
        for name in names:
            if name == macro.name or name in PURE_NAMES or name == "adapter":
                continue
            other = self.index.find(name, macro.package_name)
            if other is None or not self._check(other, visiting):
                return False
        return True

    def config_reads(self, macro: Macro, context_names: frozenset[str]) -> frozenset[str] | None:
        """The config keys `macro`'s output depends on when it is pure but for reading the calling node's
        configs (`config.get('literal')`) and the run's `flags` (constant through a run): those keys, or
        None when it reads anything else. A generic test whose macro qualifies compiles by calling the
        macro with its arguments in a context shared by every test with the same values of those keys.
        `context_names`: the render context's entries, which shadow macros of the same name."""
        known = self._reads.get(macro.unique_id, False)
        if known is not False:  # the common case, once per test: no lock
            return known  # type: ignore[return-value]
        with self._lock:
            return self._reads_check(macro, set(), context_names)

    def _reads_check(self, macro: Macro, visiting: set[str], context_names: frozenset[str]) -> frozenset[str] | None:
        if macro.unique_id in self._reads:
            return self._reads[macro.unique_id]
        if macro.unique_id in visiting:
            return None  # recursion: not worth the risk
        visiting.add(macro.unique_id)
        found = self._decide_reads(macro, visiting, context_names)
        visiting.discard(macro.unique_id)
        self._reads[macro.unique_id] = found
        return found

    def _decide_reads(self, macro: Macro, visiting: set[str], context_names: frozenset[str]) -> frozenset[str] | None:
        tree = self._tree(macro)
        if tree is None:
            return None
        reads: set[str] = set()
        callees: list[Macro | None] = []
        names = meta.find_undeclared_variables(tree)
        uses = {name: 0 for name in names}
        for name_node in tree.find_all(nodes.Name):
            if name_node.name in uses:
                uses[name_node.name] += 1
        attrs = [(a.node.name, a.attr) for a in tree.find_all(nodes.Getattr)
                 if isinstance(a.node, nodes.Name) and a.node.name in uses]
        for name in names:
            if name == macro.name:
                continue
            if name == "config":  # only config.get('literal', ...)
                keys = [c.args[0].value for c in tree.find_all(nodes.Call)
                        if isinstance(c.node, nodes.Getattr) and c.node.attr == "get"
                        and isinstance(c.node.node, nodes.Name) and c.node.node.name == "config"
                        and c.args and isinstance(c.args[0], nodes.Const) and isinstance(c.args[0].value, str)]
                if len(keys) != uses[name]:
                    return None
                reads.update(keys)
            elif name == "flags":  # flags.SOMETHING
                if sum(1 for owner, _ in attrs if owner == "flags") != uses[name]:
                    return None
            elif name == "adapter":  # literal dispatches only
                targets = self._dispatch_targets(tree)
                if targets is None:
                    return None
                callees.extend(targets)
            elif name in PURE_NAMES:
                continue
            elif name in context_names:
                return None
            elif (other := self.index.find(name, macro.package_name)) is not None:
                callees.append(other)
            elif name == "dbt" or name in self.index.by_package:  # package.macro(...)
                mine = [attr for owner, attr in attrs if owner == name]
                if len(mine) != uses[name]:
                    return None
                callees.extend(self.index.find_in(name, attr) for attr in mine)
            else:
                return None
        for callee in callees:
            sub = self._reads_check(callee, visiting, context_names) if callee is not None else None
            if sub is None:
                return None
            reads.update(sub)
        return frozenset(reads)

    def may_configure(self, macro: Macro) -> bool:
        """Whether rendering `macro` may call `config(...)` (itself, through the macros it calls or a
        dispatch it cannot resolve): a generic test whose macro may must be rendered at parse time, as dbt
        does, so that the configs it sets (`fail_calc`, `severity`, ...) reach the node."""
        known = self._configures.get(macro.unique_id)
        if known is not None:  # the common case, once per test: no lock
            return known
        with self._lock:
            return self._configures_check(macro, set())

    def _configures_check(self, macro: Macro, visiting: set[str]) -> bool:
        # recursion: configures only if the rest does
        return _memoized(macro, visiting, self._configures, False, lambda m, seen: any(
            callee is None or self._configures_check(callee, seen) for callee in self._callees(m)))

    def required_arguments(self, macro: Macro) -> tuple[str, ...]:
        """The parameters of a (test) macro that have no default, besides `model`, from its signature."""
        found = self._required.get(macro.unique_id)
        if found is None:
            tree = self._tree(macro)
            defined = next(iter(tree.find_all(nodes.Macro)), None) if tree is not None else None
            names = [a.name for a in defined.args] if defined is not None else []
            required = names[:len(names) - len(defined.defaults)] if defined is not None else []
            found = self._required[macro.unique_id] = tuple(n for n in required if n != "model")
        return found

    def _callees(self, macro: Macro) -> list[Macro | None]:
        """The macros `macro` may call, by name, `package.name` or a literal dispatch; None stands for a
        call that may configure (`config` itself, an unparsable body, a dispatch on computed names)."""
        tree = self._tree(macro)
        if tree is None:
            return [None]
        names = meta.find_undeclared_variables(tree)
        if "config" in names and any(
                (isinstance(c.node, nodes.Name) and c.node.name == "config")
                or (isinstance(c.node, nodes.Getattr) and isinstance(c.node.node, nodes.Name)
                    and c.node.node.name == "config" and c.node.attr == "set")
                for c in tree.find_all(nodes.Call)):
            return [None]  # config(...) or config.set(...); reading with config.get(...) sets nothing
        calls = _dispatch_calls(tree)
        if calls is None:
            return [None]
        out: list[Macro | None] = []
        for name in names:
            if name != macro.name and name not in PURE_NAMES:
                other = self.index.find(name, macro.package_name)
                if other is not None:
                    out.append(other)
        for attr in tree.find_all(nodes.Getattr):
            if isinstance(attr.node, nodes.Name) and attr.node.name in names and attr.node.name != "adapter":
                other = self.index.find_in(attr.node.name, attr.attr)
                if other is not None:
                    out.append(other)
        for name, namespace in calls:  # any implementation the dispatch may pick
            out.extend(m for p, n in self.index.dispatch_candidates(name, namespace)
                       if (m := self.index.find_in(p, n)) is not None)
        return out

    def _dispatch_targets(self, tree: nodes.Template) -> list[Macro] | None:
        """The implementations the macro's dispatches run, when `adapter` is used for nothing else."""
        calls = _dispatch_calls(tree)
        uses = sum(1 for n in tree.find_all(nodes.Name) if n.name == "adapter")
        if calls is None or len(calls) != uses:
            return None
        targets: list[Macro] = []
        for name, namespace in calls:
            found = next((m for p, n in self.index.dispatch_candidates(name, namespace)
                          if (m := self.index.find_in(p, n)) is not None), None)
            if found is None:
                return None
            targets.append(found)
        return targets


def _dispatch_calls(tree: nodes.Template) -> list[tuple[str, str | None]] | None:
    """(macro name, namespace) of every `adapter.dispatch(...)` call; None when one is not made of
    literals (it cannot be resolved without rendering)."""
    calls: list[tuple[str, str | None]] = []
    for call in tree.find_all(nodes.Call):
        func = call.node
        if not (isinstance(func, nodes.Getattr) and func.attr == "dispatch"
                and isinstance(func.node, nodes.Name) and func.node.name == "adapter"):
            continue
        args = [a.value for a in call.args if isinstance(a, nodes.Const)]
        kwargs = {k.key: k.value.value for k in call.kwargs if isinstance(k.value, nodes.Const)}
        if (len(args) != len(call.args) or len(kwargs) != len(call.kwargs) or call.dyn_args or call.dyn_kwargs
                or set(kwargs) - {"macro_name", "macro_namespace"}):
            return None
        params = dict(zip(("macro_name", "macro_namespace"), args)) | kwargs
        name, namespace = params.get("macro_name"), params.get("macro_namespace")
        if not isinstance(name, str) or "." in name or not isinstance(namespace, str | None):
            return None
        calls.append((name, namespace))
    return calls


def _memoized(macro: Macro, visiting: set[str], memo: dict[str, bool], on_cycle: bool,
              decide: Callable[[Macro, set[str]], bool]) -> bool:
    """A property of a macro decided once, through the macros it calls (`visiting` breaks recursion)."""
    known = memo.get(macro.unique_id)
    if known is not None:
        return known
    if macro.unique_id in visiting:
        return on_cycle
    visiting.add(macro.unique_id)
    result = decide(macro, visiting)
    visiting.discard(macro.unique_id)
    memo[macro.unique_id] = result
    return result
