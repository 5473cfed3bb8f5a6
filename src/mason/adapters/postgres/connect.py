"""Reading a `type: postgres` profile target and opening connections, with clear errors and retries."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mason.adapters.target import Target
from mason.errors import ProjectError, Span

# profile keys dbt-postgres accepts (besides type, threads, schema)
KNOWN_KEYS = frozenset({
    "type", "threads", "host", "port", "user", "username", "pass", "password", "dbname", "database", "schema",
    "keepalives_idle", "connect_timeout", "retries", "search_path", "role", "sslmode", "sslcert", "sslkey",
    "sslrootcert", "sslcrl", "application_name", "sslpassword", "target_session_attrs",
})
_SSL_KEYS = ("sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl")


@dataclass(frozen=True)
class ConnectionSettings:
    profile: str
    target: str
    profiles_path: str
    host: str
    port: int
    user: str
    dbname: str
    password: str | None = field(default=None, repr=False)
    connect_timeout: int = 10
    keepalives_idle: int = 0
    retries: int = 1
    search_path: str | None = None
    role: str | None = None
    application_name: str = "mason"
    ssl: tuple[tuple[str, str], ...] = ()
    read_only: bool = False  # every transaction read only (the semantic layer's server asks for it)
    statement_timeout_ms: int = 0  # the server cancels a statement running longer (0: no limit)

    @property
    def where(self) -> str:
        return f"profile {self.profile!r}, target {self.target!r}"

    @staticmethod
    def from_target(target: Target) -> ConnectionSettings:
        creds = target.credentials
        label = f"profile {target.profile_name!r}, target {target.target_name!r}"
        span = Span(target.profiles_path) if target.profiles_path else None

        def need(*keys: str) -> str:
            for key in keys:
                value = creds.get(key)
                if value is not None and str(value) != "":
                    return str(value)
            raise ProjectError(f"the postgres target ({label}) has no {keys[0]!r}", span,
                               f"add {keys[0]}: to the target in profiles.yml")

        def number(key: str, default: int) -> int:
            value = creds.get(key)
            if value is None or value == "":
                return default
            try:
                return int(value)
            except (TypeError, ValueError) as exc:
                raise ProjectError(f"{key} in the postgres target ({label}) must be a whole number, not {value!r}",
                                   span) from exc

        password = creds.get("password", creds.get("pass"))
        return ConnectionSettings(
            profile=target.profile_name, target=target.target_name, profiles_path=target.profiles_path,
            host=need("host"), port=number("port", 5432), user=need("user", "username"),
            dbname=need("dbname", "database"),
            password=None if password is None else str(password),
            connect_timeout=number("connect_timeout", 10), keepalives_idle=number("keepalives_idle", 0),
            retries=max(0, number("retries", 1)),
            search_path=str(creds["search_path"]) if creds.get("search_path") else None,
            role=str(creds["role"]) if creds.get("role") else None,
            application_name=str(creds.get("application_name") or "mason"),
            ssl=tuple((k, str(creds[k])) for k in _SSL_KEYS if creds.get(k)),
            read_only=bool(creds.get("read_only")), statement_timeout_ms=number("statement_timeout_ms", 0),
        )

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname,
            "connect_timeout": self.connect_timeout, "application_name": self.application_name,
        }
        if self.password is not None:
            out["password"] = self.password
        if self.keepalives_idle:
            out["keepalives_idle"] = self.keepalives_idle
        options = []
        if self.search_path:
            options.append("-c search_path=" + self.search_path.replace(" ", "\\ "))
        if self.read_only:
            options.append("-c default_transaction_read_only=on")
        if self.statement_timeout_ms:
            options.append(f"-c statement_timeout={int(self.statement_timeout_ms)}")
        if options:
            out["options"] = " ".join(options)
        out.update(dict(self.ssl))
        return out

    def describe(self) -> list[tuple[str, str]]:
        rows = [("host", self.host), ("port", str(self.port)), ("user", self.user), ("database", self.dbname),
                ("connect_timeout", str(self.connect_timeout)), ("retries", str(self.retries)),
                ("application_name", self.application_name)]
        for key, value in (("search_path", self.search_path), ("role", self.role),
                           ("keepalives_idle", self.keepalives_idle or None), *self.ssl):
            if value:
                rows.append((key, str(value)))
        return rows


def _explain(settings: ConnectionSettings, text: str) -> ProjectError:
    """A connection failure as a message naming the server and the profile, and what to do."""
    where = f"{settings.host}:{settings.port}"
    span = Span(settings.profiles_path) if settings.profiles_path else None
    lower = text.lower()
    if "password authentication failed" in lower or "no password supplied" in lower \
            or "authentication failed" in lower:
        return ProjectError(
            f"PostgreSQL at {where} refused the login of user {settings.user!r} ({settings.where})", span,
            "check user and password in the target (a password usually comes from env_var('...'): is that "
            "variable set in this shell?)")
    if "does not exist" in lower and "database" in lower:
        return ProjectError(
            f"database {settings.dbname!r} does not exist on the PostgreSQL server at {where} ({settings.where})",
            span, f"create it (create database \"{settings.dbname}\") or fix dbname in the target")
    if "role" in lower and "does not exist" in lower:
        return ProjectError(f"PostgreSQL at {where} has no user {settings.user!r} ({settings.where})", span,
                            "fix user in the target, or create that role on the server")
    if "connection refused" in lower:
        return ProjectError(
            f"could not connect to PostgreSQL at {where} ({settings.where}): connection refused", span,
            "is the server running and accepting TCP connections on that host and port? check host and port "
            "in the target")
    if "timeout" in lower or "timed out" in lower:
        return ProjectError(
            f"could not connect to PostgreSQL at {where} ({settings.where}): no answer within "
            f"{settings.connect_timeout}s", span, "check host, port and firewalls, or raise connect_timeout")
    if "resolve host" in lower or "name or service not known" in lower or "could not translate host" in lower:
        return ProjectError(f"unknown host {settings.host!r} for PostgreSQL ({settings.where})", span,
                            "check host in the target")
    short = text.replace("connection failed: ", "").strip()
    return ProjectError(f"could not connect to PostgreSQL at {where} ({settings.where}): {short}", span,
                        "check host, port, user, password, dbname and ssl settings in the target")


def _permanent(text: str) -> bool:
    lower = text.lower()
    return any(s in lower for s in ("authentication failed", "does not exist", "no password supplied",
                                    "resolve host", "name or service not known", "ssl"))


def connect(settings: ConnectionSettings, psycopg: Any) -> Any:
    """An autocommit connection (Mason sends BEGIN/COMMIT itself), after `retries` extra tries on
    transient failures; `role` is set on it."""
    attempt = 0
    while True:
        try:
            # no server-side prepared statements: they break behind transaction-pooling proxies (pgbouncer)
            conn = psycopg.connect(autocommit=True, prepare_threshold=None, **settings.kwargs())
            break
        except psycopg.OperationalError as exc:
            text = str(exc)
            if attempt >= settings.retries or _permanent(text):
                raise _explain(settings, text) from None
            attempt += 1
            time.sleep(min(1.0 * attempt, 5.0))
    if settings.role:
        try:
            conn.execute('set role "' + settings.role.replace('"', '""') + '"')
        except psycopg.Error as exc:
            conn.close()
            raise ProjectError(f"could not switch to role {settings.role!r} ({settings.where}): {exc}",
                               Span(settings.profiles_path) if settings.profiles_path else None,
                               "fix role in the target, or grant that role to the user") from None
    return conn
