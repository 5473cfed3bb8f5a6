"""`secret('name')`: values read from the providers profiles.yml declares, masked in every output.

```yaml
secrets:                       # top level (for every profile), or inside a profile next to `outputs:`
  providers:                   # tried in order (a profile's own first); the first that has the name wins
    - {type: env, prefix: MY_APP_}              # $MY_APP_db_password, then $MY_APP_DB_PASSWORD
    - {type: file, path: /run/secrets}          # /run/secrets/db_password, trailing newline dropped
    - {type: command, command: "vault kv get -field={name} secret/warehouse", timeout: 10}   # stdout, stripped
```

An empty value (an empty variable, file or output) counts as not found. A command that exits non-zero or runs
past its timeout is an error, reported without its output. Each (provider, name) is read once per process.
Nothing here runs, and profiles.yml is not read again, unless a profile calls secret(). Every value found is
registered in mason.observe.masking the moment it is read; a `default=` is not (it is written in profiles.yml).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.errors import ProjectError, Span, did_you_mean
from mason.observe import masking
from mason.project.yamlio import line_where

KINDS = {"env": ("prefix",), "file": ("path",), "command": ("command", "timeout")}
DEFAULT_TIMEOUT = 30.0
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*")
_EXAMPLE = "secrets:\n  providers:\n    - {type: env, prefix: MY_APP_}\n    - {type: file, path: /run/secrets}"


@dataclass(frozen=True, slots=True)
class Provider:
    kind: str  # env | file | command
    setting: str | tuple[str, ...]  # the env prefix, the folder, or the command's argv
    timeout: float
    where: Span  # profiles.yml:line of the entry
    base: str  # the folder relative paths are read and commands run from (profiles.yml's)

    def candidates(self, name: str) -> list[str]:
        """The env vars or files this provider would read for `name`."""
        if self.kind == "env":
            upper = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
            return list(dict.fromkeys((f"{self.setting}{name}", f"{self.setting}{upper}")))
        if self.kind == "file":
            return [str(Path(self.base, os.path.expanduser(str(self.setting)), name))]
        return []

    def describe(self, name: str) -> str:
        if self.kind == "env":
            return "env " + " or ".join(f"${c}" for c in self.candidates(name))
        if self.kind == "file":
            return f"file {self.candidates(name)[0]}"
        return f"command {Path(self.setting[0]).name} ({self.where})"

    def read(self, name: str, env: Mapping[str, str]) -> str | None:
        if self.kind == "env":
            return next((env[c] for c in self.candidates(name) if env.get(c)), None)
        if self.kind == "file":
            return self._read_file(name)
        return self._run(name, env)

    def _read_file(self, name: str) -> str | None:
        path = Path(self.candidates(name)[0])
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProjectError(f"secret {name!r}: could not read {path}: {type(exc).__name__}",
                               self.where, "check the file's permissions and encoding") from None
        return text.rstrip("\r\n") or None

    def _run(self, name: str, env: Mapping[str, str]) -> str | None:
        argv = [arg.replace("{name}", name) for arg in self.setting]
        program = Path(argv[0]).name
        span = self.where
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=self.base, env=dict(env), start_new_session=True)
        except OSError as exc:
            raise ProjectError(f"secret {name!r}: could not run {program}: {exc.strerror or exc}", span,
                               "check the command of this secrets provider and that the program is on PATH") from None
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise ProjectError(f"secret {name!r}: {program} did not finish within {self.timeout:g}s", span,
                               "raise the provider's `timeout:` (seconds), or check that the command does not wait "
                               "for input") from None
        if proc.returncode != 0:
            detail = _tail(err.decode("utf-8", "replace"))
            raise ProjectError(f"secret {name!r}: {program} exited with code {proc.returncode}"
                               + (f"; it said: {detail}" if detail else ""), span,
                               "its output is not shown; run the command yourself to see it") from None
        return out.decode("utf-8", "replace").strip() or None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, 9)  # the command's whole process group: a shell's children too
        else:  # pragma: no cover - Windows
            proc.kill()
    except OSError:
        pass
    proc.communicate()


def _tail(stderr: str) -> str:
    """The last lines of a failed command's stderr (never its stdout), short and masked."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()][-3:]
    text = " | ".join(lines)
    return masking.scrub(text[-300:])


_cache: dict[tuple[Provider, str], str | None] = {}
_cache_lock = threading.Lock()


def _read_once(provider: Provider, name: str, env: Mapping[str, str]) -> str | None:
    """A provider's answer for a name, asked once per process (a command runs once per name)."""
    if provider.kind == "env":  # nothing to save, and the environment is the caller's to change
        value = provider.read(name, env)
        masking.register([value] if value else [])
        return value
    key = (provider, name)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = provider.read(name, env)
    if value is not None:
        masking.register([value])
    with _cache_lock:
        _cache[key] = value
    return value


class SecretLookup:
    """The `secret(name, default=None)` function of one profiles.yml rendering."""

    def __init__(self, path: Path, display: str, raw: Mapping[str, Any], profile_name: str | None,
                 env: Mapping[str, str], render: Callable[[Any], Any] = lambda v: v,
                 caller: tuple[Path, str] | None = None) -> None:
        self._path = path
        self._display = display
        self._caller = caller or (path, display)  # the file whose secret() calls errors point at
        self._raw = raw
        self._profile = profile_name
        self._env = env
        self._render = render
        self._providers: list[Provider] | None = None
        self.values: list[str] = []  # what secret() returned from a provider, for Target.secrets

    def __call__(self, name: Any = None, default: Any = None) -> str:
        name = str(name) if name is not None else ""
        if not _NAME.fullmatch(name) or ".." in name:
            raise ProjectError(f"secret({name!r}): a secret's name is letters, digits, _ . - and / between parts",
                               self._call_span(name), "e.g. secret('db_password') or secret('warehouse/token')")
        providers = self.providers()
        for provider in providers:
            value = _read_once(provider, name, self._env)
            if value is not None:
                self.values.append(value)
                return value
        if default is not None:
            return str(default)
        if not providers:
            raise ProjectError(f"secret({name!r}) is called but {self._display} declares no secret providers",
                               self._call_span(name), "add a `secrets:` block to profiles.yml, e.g.\n" + _EXAMPLE)
        tried = "; ".join(p.describe(name) for p in providers)
        raise ProjectError(f"secret {name!r} not found; tried: {tried}", self._call_span(name),
                           f"provide it through one of these, or give a default: secret('{name}', default='...')")

    def _call_span(self, name: str) -> Span:
        path, display = self._caller
        line = line_where(path, lambda text: "secret(" in text and (f"'{name}'" in text or f'"{name}"' in text))
        return Span(display, line)

    def providers(self) -> list[Provider]:
        if self._providers is None:
            lines = _entry_lines(self._path)
            found: list[Provider] = []
            profile = self._raw.get(self._profile) if self._profile else None
            if isinstance(profile, dict) and "secrets" in profile:
                found += self._read_block(profile["secrets"], lines.get(self._profile or "", []), self._profile)
            top = self._raw.get("secrets")
            if isinstance(top, dict) and "outputs" not in top:  # (a profile may be called `secrets`)
                found += self._read_block(top, lines.get("", []), None)
            self._providers = found
        return self._providers

    def _read_block(self, block: Any, lines: list[int], profile: str | None) -> list[Provider]:
        where = f"the `secrets:` of profile {profile!r}" if profile else "the top-level `secrets:`"
        entries = block.get("providers") if isinstance(block, dict) else None
        if not isinstance(entries, list) or set(block) - {"providers"}:
            raise ProjectError(f"{where} must be a mapping with a `providers:` list", self._span(lines, -1),
                               "e.g.\n" + _EXAMPLE)
        base = str(self._path.parent.resolve())
        out = []
        for i, entry in enumerate(entries):
            span = self._span(lines, i)
            entry = self._render(entry)
            kind = entry.get("type") if isinstance(entry, dict) else None
            if kind not in KINDS:
                raise ProjectError(f"secrets provider {i + 1} of {where} has type: {kind}; Mason knows "
                                   + ", ".join(KINDS), span,
                                   did_you_mean(str(kind), KINDS) or "e.g. {type: file, path: /run/secrets}")
            assert isinstance(entry, dict)
            unknown = sorted(set(entry) - {"type", *KINDS[kind]})
            if unknown:
                raise ProjectError(f"secrets provider {i + 1} ({kind}) has unknown keys: {', '.join(unknown)}",
                                   span, f"a {kind} provider takes: " + ", ".join(KINDS[kind]))
            out.append(Provider(kind, _setting(kind, entry, span), _timeout(entry, span), span, base))
        return out

    def _span(self, lines: list[int], index: int) -> Span:
        if 0 <= index < len(lines) - 1:
            return Span(self._display, lines[index + 1])
        return Span(self._display, lines[0] if lines else None)


def _setting(kind: str, entry: dict[str, Any], span: Span) -> str | tuple[str, ...]:
    if kind == "env":
        return str(entry.get("prefix") or "")
    if kind == "file":
        if not entry.get("path"):
            raise ProjectError("a file secrets provider needs path: (the folder holding one file per secret)", span,
                               "e.g. {type: file, path: /run/secrets}")
        return str(entry["path"])
    command = entry.get("command")
    argv = shlex.split(command) if isinstance(command, str) else command
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str | int | float) for a in argv):
        raise ProjectError("a command secrets provider needs command: (a string, or a list of arguments)", span,
                           "e.g. {type: command, command: \"vault kv get -field={name} secret/warehouse\"}")
    return tuple(str(a) for a in argv)


def _timeout(entry: dict[str, Any], span: Span) -> float:
    value = entry.get("timeout", DEFAULT_TIMEOUT)
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = 0.0
    if timeout <= 0:
        raise ProjectError(f"timeout: {value!r} is not a positive number of seconds", span)
    return timeout


def _entry_lines(path: Path) -> dict[str, list[int]]:
    """Line numbers for errors: per profile ('' for the top level), the `secrets:` line then each provider's."""
    import yaml

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    out: dict[str, list[int]] = {}
    if not isinstance(root, yaml.MappingNode):
        return out

    def block(key: yaml.Node, value: yaml.Node) -> list[int]:
        lines = [key.start_mark.line + 1]
        if isinstance(value, yaml.MappingNode):
            for k, v in value.value:
                if k.value == "providers" and isinstance(v, yaml.SequenceNode):
                    lines += [item.start_mark.line + 1 for item in v.value]
        return lines

    for key, value in root.value:
        if key.value == "secrets":
            out[""] = block(key, value)
        elif isinstance(value, yaml.MappingNode):
            for k, v in value.value:
                if k.value == "secrets":
                    out[str(key.value)] = block(k, v)
    return out
