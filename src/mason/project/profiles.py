"""profiles.yml: the lookup order dbt uses, rendering with env_var (secrets allowed) and secret() (see
project/secrets.py), the chosen target."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mason.adapters.target import HIDDEN_TARGET_FIELDS, SUPPORTED_ADAPTERS, Target, database_and_schema
from mason.errors import ProjectError, Span, did_you_mean
from mason.jinja.base_context import SECRET_PREFIXES, VarLookup, base_functions, make_env_var
from mason.jinja.native import has_jinja, render_native
from mason.observe import masking
from mason.project.secrets import SecretLookup
from mason.project.yamlio import line_where, load_yaml_file

PROFILES_FILE = "profiles.yml"


def profiles_search_path(project_dir: Path, profiles_dir: Path | None, env: Mapping[str, str]) -> list[Path]:
    if profiles_dir is not None:
        return [profiles_dir]
    if env.get("DBT_PROFILES_DIR"):
        return [Path(env["DBT_PROFILES_DIR"])]
    return [Path.cwd(), project_dir, Path(env.get("HOME", str(Path.home()))) / ".dbt"]


def find_profiles_file(project_dir: Path, profiles_dir: Path | None, env: Mapping[str, str]) -> Path:
    searched = profiles_search_path(project_dir, profiles_dir, env)
    for folder in searched:
        candidate = folder / PROFILES_FILE
        if candidate.is_file():
            return candidate
    places = ", ".join(str(p) for p in searched)
    raise ProjectError(
        f"could not find {PROFILES_FILE}; looked in: {places}",
        hint="pass --profiles-dir, set DBT_PROFILES_DIR, or create ~/.dbt/profiles.yml (mason init makes one)",
    )


def _render(value: Any, ctx: dict[str, Any], name: str) -> Any:
    if isinstance(value, dict):
        return {k: _render(v, ctx, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, ctx, name) for v in value]
    if isinstance(value, str) and has_jinja(value):
        return render_native(value, ctx, name)
    return value


def load_target(project_dir: Path, profile_name: str, target_name: str | None, profiles_dir: Path | None,
                env: Mapping[str, str], cli_vars: Mapping[str, Any], threads: int | None = None) -> Target:
    path = find_profiles_file(project_dir, profiles_dir, env)
    display = str(path)
    raw = load_yaml_file(path, display) or {}
    if not isinstance(raw, dict):
        raise ProjectError("profiles.yml must be a mapping of profile names", Span(display, 1))
    profile = raw.get(profile_name)
    if not isinstance(profile, dict):
        names = [k for k in raw if k not in ("config", "secrets") or isinstance(raw[k], dict) and "outputs" in raw[k]]
        raise ProjectError(
            f"profile {profile_name!r} not found in {display}", Span(display),
            did_you_mean(profile_name, names) or f"profiles there: {', '.join(names) or 'none'}",
        )
    chosen = target_name or env.get("DBT_TARGET") or profile.get("target") or "default"
    outputs = profile.get("outputs") or {}
    if chosen not in outputs:
        raise ProjectError(
            f"target {chosen!r} not found in profile {profile_name!r}", Span(display),
            did_you_mean(chosen, outputs) or f"targets there: {', '.join(outputs) or 'none'}",
        )
    used: dict[str, str] = {}
    ctx = base_functions(lambda m, i: None)
    ctx["env_var"] = make_env_var(env, used)
    ctx["var"] = VarLookup(cli_vars, {}, profile_name, profile_name)
    plain = dict(ctx)  # what the secrets providers' own settings are rendered with
    secret = SecretLookup(path, display, raw, profile_name, env, lambda value: _render(value, plain, display))
    ctx["secret"] = secret
    output = _render(dict(outputs[chosen]), ctx, display)
    adapter_type = output.get("type")
    if not adapter_type:
        raise ProjectError(f"target {chosen!r} in profile {profile_name!r} has no type:", Span(display))
    if adapter_type not in SUPPORTED_ADAPTERS:
        close = did_you_mean(str(adapter_type), SUPPORTED_ADAPTERS)
        raise ProjectError(
            f"target {chosen!r} of profile {profile_name!r} has type: {adapter_type}, which Mason does not support",
            Span(display, line_where(path, lambda line: "type:" in line and str(adapter_type) in line)),
            (f"{close} " if close else "") + "Mason supports type: " + ", ".join(SUPPORTED_ADAPTERS))
    secrets = tuple(v for k, v in env.items() if k.startswith(SECRET_PREFIXES) and v)
    secrets += tuple(str(output[k]) for k in HIDDEN_TARGET_FIELDS if output.get(k))
    secrets += tuple(secret.values)
    masking.register(secrets)
    database, schema = database_and_schema(adapter_type, output)
    return Target(
        profile_name=profile_name,
        target_name=chosen,
        type=adapter_type,
        threads=int(threads or output.get("threads") or 1),
        database=database,
        schema=schema,
        credentials=output,
        secrets=secrets,
        profiles_path=display,
    )


def secret_function(project_dir: Path, profiles_dir: Path | None, profile_name: str | None, env: Mapping[str, str],
                    caller: tuple[Path, str]) -> Callable[..., str]:
    """`secret()` for a file other than profiles.yml (packages.yml), with profiles.yml's providers: the profile
    file is found and read only when the function is first called, so a project needing no secret needs none."""
    made: list[SecretLookup] = []

    def secret(name: Any = None, default: Any = None) -> str:
        if not made:
            path = find_profiles_file(project_dir, profiles_dir, env)
            raw = load_yaml_file(path, str(path))
            ctx = base_functions(lambda m, i: None)
            ctx["env_var"] = make_env_var(env)
            made.append(SecretLookup(path, str(path), raw if isinstance(raw, dict) else {}, profile_name, env,
                                     lambda value: _render(value, ctx, str(path)), caller))
        return made[0](name, default)

    return secret
