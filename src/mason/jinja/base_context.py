"""Functions every dbt Jinja context has, from dbt_project.yml rendering to materializations."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2.defaults
import yaml

from mason.errors import CompileError, MasonError, did_you_mean
from mason.jinja.environment import MacroException, return_
from mason.observe.masking import scrub

SECRET_PREFIXES = ("DBT_ENV_SECRET_", "MASON_SECRET_")


class EnvVarError(MasonError):
    pass


def make_env_var(env: Mapping[str, str], used: dict[str, str] | None = None, allow_secrets: bool = True) -> Callable[..., str]:
    def env_var(name: str, default: Any = None) -> str:
        if not allow_secrets and name.startswith(SECRET_PREFIXES):
            raise EnvVarError(
                f"secret env var {name!r} can only be used in profiles.yml or packages.yml",
                hint="move the secret into your profile",
            )
        if name in env:
            value = env[name]
        elif default is not None:
            value = str(default)
        else:
            raise EnvVarError(
                f"env var required but not provided: {name!r}",
                hint=f"set {name} in the environment or pass a default: env_var('{name}', 'value')",
            )
        if used is not None and not name.startswith(SECRET_PREFIXES):
            used[name] = env.get(name)  # type: ignore[assignment]  # None when the default was used
        return value

    return env_var


def secret_outside_profiles(name: Any = None, *args: Any, **kwargs: Any) -> str:
    """`secret()` anywhere but profiles.yml and packages.yml (where project/secrets.py provides it): its value
    would be written into the manifest, compiled SQL or docs."""
    raise EnvVarError(
        f"secret({str(name)!r}) can only be used in profiles.yml or packages.yml",
        hint="read the secret in your profile (e.g. a target field); Mason masks its value wherever it appears",
    )


class VarLookup:
    """`var(name, default)` with dbt's precedence: --vars, root project (package-scoped first), own package."""

    def __init__(self, cli_vars: Mapping[str, Any], root_vars: Mapping[str, Any], root_package: str,
                 package: str, package_vars: Mapping[str, Any] | None = None,
                 render: Callable[[Any], Any] | None = None) -> None:
        self._layers: list[Mapping[str, Any]] = [cli_vars]
        scoped = root_vars.get(package) if isinstance(root_vars.get(package), dict) else None
        if scoped:
            self._layers.append(scoped)
        self._layers.append({k: v for k, v in root_vars.items() if not (isinstance(v, dict) and k == package)})
        if package_vars is not None and package != root_package:
            own_scoped = package_vars.get(package)
            if isinstance(own_scoped, dict):
                self._layers.append(own_scoped)
            self._layers.append(package_vars)
        self._render = render

    _MISSING = object()

    def lookup(self, name: str, default: Any = _MISSING) -> Any:
        for layer in self._layers:
            if name in layer:
                value = layer[name]
                if self._render is not None and isinstance(value, str) and "{" in value:
                    value = self._render(value)
                return value
        return default

    def __call__(self, name: str, default: Any = _MISSING) -> Any:
        value = self.lookup(name, default)
        if value is self._MISSING:
            known = [k for layer in self._layers for k in layer]
            hint = did_you_mean(name, known) or f"pass it with --vars '{{{name}: ...}}' or add it under vars: in dbt_project.yml"
            raise CompileError(f"required var {name!r} not found in config", hint=hint)
        return value

    def has_var(self, name: str) -> bool:
        return self.lookup(name) is not self._MISSING


def _tojson(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return json.dumps(value, sort_keys=sort_keys, default=str)
    except (TypeError, ValueError):
        return default


def _fromjson(text: str, default: Any = None) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _toyaml(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return yaml.safe_dump(value, sort_keys=sort_keys)
    except yaml.YAMLError:
        return default


def _fromyaml(text: str, default: Any = None) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return default


def _local_md5(value: str) -> str:
    return hashlib.md5(value.encode("utf-8")).hexdigest()


def _set(value: Any, default: Any = None) -> Any:
    try:
        return set(value)
    except TypeError:
        return default


def _set_strict(value: Any) -> set[Any]:
    return set(value)


def _zip(*args: Any, default: Any = None) -> Any:
    try:
        return zip(*args)
    except TypeError:
        return default


def _zip_strict(*args: Any) -> Any:
    return zip(*args)


class _Exceptions:
    """`exceptions.*` as dbt exposes it."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn

    @staticmethod
    def raise_compiler_error(msg: str, node: Any = None) -> None:
        raise MacroException(str(msg))

    @staticmethod
    def raise_not_implemented(msg: str) -> None:
        raise MacroException(f"not implemented: {msg}")

    @staticmethod
    def raise_contract_error(yaml_columns: Any, sql_columns: Any) -> None:
        raise MacroException(f"contract error: declared columns {yaml_columns} do not match {sql_columns}")

    @staticmethod
    def raise_fail_fast_error(msg: str, node: Any = None) -> None:
        raise MacroException(str(msg))

    @staticmethod
    def column_type_missing(column_names: Any) -> None:
        raise MacroException(f"contract requires data_type for columns: {column_names}")

    def warn(self, msg: str, node: Any = None) -> str:
        self._warn(str(msg))
        return ""

    def __getattr__(self, name: str) -> Callable[..., None]:
        """dbt's other `raise_*` helpers (raise_database_error, raise_dependency_error, ...): all stop the
        render with their arguments as the message."""
        if not name.startswith("raise_") and name not in ("relation_wrong_type", "column_type_missing"):
            raise AttributeError(name)

        def raiser(*args: Any, **kwargs: Any) -> None:
            detail = "; ".join(str(a) for a in (*args, *kwargs.values()))
            raise MacroException(f"{name.removeprefix('raise_').replace('_', ' ')}: {detail}")

        return raiser


MODULES = {
    "datetime": datetime,
    "re": re,
    "itertools": itertools,
    "json": json,
}


def _modules() -> dict[str, Any]:
    import pytz

    mods = dict(MODULES)
    mods["pytz"] = pytz
    return mods


class _LazyModules(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self.update(_modules())
            self._loaded = True

    def __getitem__(self, key: str) -> Any:
        self._load()
        return super().__getitem__(key)

    def __getattr__(self, key: str) -> Any:
        self._load()
        try:
            return super().__getitem__(key)
        except KeyError as exc:
            raise AttributeError(key) from exc


def base_functions(log: Callable[[str, bool], None]) -> dict[str, Any]:
    """The context entries that do not depend on the node or the stage."""

    def log_fn(msg: Any, info: bool = False) -> str:
        log(str(msg), info)
        return ""

    def print_fn(msg: Any) -> str:
        from mason.observe.output import jinja_print

        jinja_print(scrub(str(msg)))
        return ""

    funcs: dict[str, Any] = dict(jinja2.defaults.DEFAULT_NAMESPACE)
    funcs.update(
        {
            "return": return_,
            "log": log_fn,
            "print": print_fn,
            "exceptions": _Exceptions(lambda m: log(f"warning: {m}", True)),
            "modules": _LazyModules(),
            "tojson": _tojson,
            "fromjson": _fromjson,
            "toyaml": _toyaml,
            "fromyaml": _fromyaml,
            "local_md5": _local_md5,
            "set": _set,
            "set_strict": _set_strict,
            "zip": _zip,
            "zip_strict": _zip_strict,
            "try_or_compiler_error": _try_or_compiler_error,
            "before_begin": _before_begin,
            "after_commit": _after_commit,
            "in_transaction": _in_transaction,
            "diff_of_two_dicts": _diff_of_two_dicts,
            "validation": _Validation(),
        }
    )
    return funcs


class _AnyType:
    def __getitem__(self, _types: Any) -> None:
        return None


class _Validation:
    """`validation.any[...]` builds validators for `config.get(..., validator=...)`; Mason accepts any value."""

    any = _AnyType()


def _before_begin(sql: str) -> dict[str, Any]:
    """A hook that runs outside the model's transaction, before it starts."""
    return {"sql": sql, "transaction": False}


def _after_commit(sql: str) -> dict[str, Any]:
    """A hook that runs outside the model's transaction, after it commits."""
    return {"sql": sql, "transaction": False}


def _in_transaction(sql: str) -> dict[str, Any]:
    return {"sql": sql, "transaction": True}


def _try_or_compiler_error(message_if_exception: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except Exception:
        raise MacroException(message_if_exception)


def _diff_of_two_dicts(dict_a: dict[str, list[str]], dict_b: dict[str, list[str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    lower_b = {k.lower(): [v.lower() for v in vs] for k, vs in dict_b.items()}
    for key, values in dict_a.items():
        other = lower_b.get(key.lower(), [])
        missing = [v for v in values if v.lower() not in other]
        if missing:
            result[key] = missing
    return result
