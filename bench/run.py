"""Benchmark Mason against dbt-core and dbt Fusion on generated projects.

    make bench ARGS="--models 1000 10000 --reps 3"
    .venv/bin/python bench/run.py --models 200 --reps 2 --tools mason dbt-core

Installs dbt-core 1.11 + dbt-duckdb and dbt Fusion (2.0.0rc196 wheel + libduckdb
from npm) under bench/.cache/, generates a project per N with bench/generate.py,
times each operation per tool (wall-clock median, min, max; peak RSS), and
writes bench/results/latest.md and bench/results/latest.json.  See
bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import pg  # noqa: E402

DBT_CORE_SPEC = ["dbt-core~=1.11.0", "dbt-duckdb~=1.11"]
DBT_POSTGRES_SPEC = ["dbt-core~=1.11.0", "dbt-postgres~=1.11"]
PG_OPS = ("parse_cold", "parse_warm", "compile", "run_t1", "run_t4", "build", "seed_big")
FUSION_SPEC = "dbt==2.0.0rc196"
LIBDUCKDB_NPM = "@duckdb/node-bindings-linux-x64"
TIME_BIN = "/usr/bin/time"

OPS: dict[str, str] = {
    "parse_cold": "parse with no target/ (no partial-parse state, no cache)",
    "parse_warm": "parse again, nothing changed",
    "parse_changed": "parse after one intermediate model's SQL changed",
    "ls_select": "ls --select <staging model>+",
    "compile": "compile (all models)",
    "run_t1": "run --threads 1 into a fresh database (sources and seeds loaded)",
    "run_t4": "run --threads 4 into a fresh database (sources and seeds loaded)",
    "build": "build (seeds, models, tests; big seed excluded) into a fresh database holding the sources",
    "seed_big": "seed --select big_events (the big CSV) into an empty database",
}
FLOOR_OPS = ("run_t1", "run_t4", "build")  # rows compared with a floor: the runs with the models' SQL alone,
# build with the models' and then the tests' SQL (bench/floor.py --tests)
ALL_TOOLS = ("mason", "dbt-core", "fusion", "floor")


# ----------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    ok: bool
    wall_s: float
    rss_mb: float | None
    rc: int
    log: Path
    error: str = ""


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    if text.startswith("$ "):  # drop the command line written by measure()
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def measure(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float) -> Sample:
    """Run cmd once; wall time, peak RSS (of the biggest process), exit code."""
    log.parent.mkdir(parents=True, exist_ok=True)
    rss_file = log.with_suffix(".rss")
    if os.path.exists(TIME_BIN):
        full = [TIME_BIN, "-v", "-o", str(rss_file), *cmd]
    else:  # getrusage of a fresh wrapper process: its children are just cmd.
        code = (
            "import resource,subprocess,sys;rc=subprocess.call(sys.argv[2:]);"
            "open(sys.argv[1],'w').write('Maximum resident set size (kbytes): %d\\n'"
            "%resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);sys.exit(rc)"
        )
        full = [sys.executable, "-c", code, str(rss_file), *cmd]
    with log.open("w") as out:
        out.write("$ " + " ".join(cmd) + "\n\n")
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            full, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return Sample(False, time.perf_counter() - t0, None, -9, log, f"timed out after {timeout:.0f} s")
        wall = time.perf_counter() - t0
    rss = None
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", rss_file.read_text())
        if m:
            rss = int(m.group(1)) / 1024
    except OSError:
        pass
    if rc != 0:
        return Sample(False, wall, rss, rc, log, f"exit code {rc}\n{_tail(log)}")
    return Sample(True, wall, rss, rc, log)


def settle(target: Path) -> None:
    """Wait for Mason's background write of its parse cache (a detached process holding
    <target>/partial_parse.mason.lock, about a second at 10,000 models) so that every operation is timed
    from a steady state, not while the previous one's write competes for the CPU."""
    lock = target / "partial_parse.mason.lock"
    if not lock.exists():
        return
    import fcntl

    with lock.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)


def summarize(samples: list[Sample], command: str) -> dict:
    res: dict = {"command": command, "reps": len(samples)}
    bad = next((s for s in samples if not s.ok), None)
    if bad is not None:
        try:
            log = str(bad.log.relative_to(REPO))
        except ValueError:
            log = str(bad.log)
        res.update(status="failed", error=bad.error, log=log)
        return res
    times = [s.wall_s for s in samples]
    rss = [s.rss_mb for s in samples if s.rss_mb is not None]
    res.update(
        status="ok",
        times_s=[round(t, 4) for t in times],
        median_s=round(statistics.median(times), 4),
        min_s=round(min(times), 4),
        max_s=round(max(times), 4),
        peak_rss_mb=round(max(rss), 1) if rss else None,
        median_rss_mb=round(statistics.median(rss), 1) if rss else None,
    )
    return res


# ----------------------------------------------------------------------------- tools


@dataclass
class Tool:
    name: str
    exe: list[str]
    env: dict[str, str] = field(default_factory=dict)
    version: str = ""

    def command(self, sub: list[str], project: Path, target: Path) -> list[str]:
        # Same shape for every tool: project dir, profiles dir, target path.
        return [
            *self.exe,
            *sub,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
        ]


def _run_quiet(cmd: list[str], log: Path, env: dict | None = None, timeout: float = 1800) -> bool:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        try:
            return subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout) == 0
        except (OSError, subprocess.TimeoutExpired) as e:
            out.write(f"{e}\n")
            return False


def _version(cmd: list[str], env: dict | None = None) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"? ({e})"
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr).strip()
    return " ".join(text.splitlines()[:3]) if text else "?"


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        DBT_VERSION_CHECK="false",
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def setup_mason() -> tuple[Tool | None, str]:
    exe = Path(sys.executable).parent / "mason"
    path = str(exe) if exe.exists() else shutil.which("mason")
    if not path:
        return None, "mason executable not found (run `make install`)"
    t = Tool("mason", [path], base_env())
    t.version = _version([path, "--version"], t.env)
    _compile_bytecode(Path(path).parent / "python")
    return t, ""


def _compile_bytecode(python: Path) -> None:
    """Write Mason's bytecode, as `pip install` does for a regular (not editable) install and for the
    peers' installs: with PYTHONDONTWRITEBYTECODE set (this machine sets it) an editable install would
    otherwise compile every module from source in every command (0.15 s of each)."""
    code = "import compileall, pathlib, mason; compileall.compile_dir(pathlib.Path(mason.__file__).parent, quiet=1)"
    subprocess.run([str(python), "-c", code], check=False, capture_output=True)


def _venv(path: Path, log: Path) -> bool:
    if (path / "bin" / "python").exists():
        return True
    return _run_quiet([sys.executable, "-m", "venv", "--clear", str(path)], log) and _run_quiet(
        [str(path / "bin" / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], log
    )


def setup_dbt_core(cache: Path, log: Path, warehouse: str = "duckdb") -> tuple[Tool | None, str]:
    spec = DBT_CORE_SPEC if warehouse == "duckdb" else DBT_POSTGRES_SPEC
    venv = cache / ("dbt-core" if warehouse == "duckdb" else "dbt-postgres")
    dbt = venv / "bin" / "dbt"
    stamp = venv / ".bench-installed"
    if not stamp.exists():
        print(f"[bench] installing {' + '.join(spec)} into {venv} ...", flush=True)
        if not (
            _venv(venv, log) and _run_quiet([str(venv / "bin" / "pip"), "install", "-q", *spec], log)
        ):
            return None, f"pip install {' '.join(spec)} failed (see {log})"
        stamp.touch()
    t = Tool("dbt-core", [str(dbt)], base_env())
    raw = _version([str(dbt), "--version"], t.env)
    try:
        out = subprocess.run(
            [str(dbt), "--version"], capture_output=True, text=True, timeout=120, env=t.env
        ).stdout
        core = re.search(r"installed:\s*(\S+)", out)
        duck = re.search(rf"{warehouse}:\s*(\S+)", out)
        t.version = f"dbt-core {core.group(1)}, dbt-{warehouse} {duck.group(1)}" if core and duck else raw
    except (OSError, subprocess.TimeoutExpired):
        t.version = raw
    return t, ""


def setup_fusion(cache: Path, log: Path) -> tuple[Tool | None, str]:
    venv = cache / "fusion"
    dbt = venv / "bin" / "dbt"
    stamp = venv / ".bench-installed"
    if not stamp.exists():
        print(f"[bench] installing dbt Fusion ({FUSION_SPEC}) into {venv} ...", flush=True)
        if not (
            _venv(venv, log) and _run_quiet([str(venv / "bin" / "pip"), "install", "-q", FUSION_SPEC], log)
        ):
            return None, f"pip install {FUSION_SPEC} failed (see {log})"
        stamp.touch()
    npm_dir = cache / "npm"
    libs = list(npm_dir.glob("node_modules/@duckdb/*/libduckdb.so"))
    if not libs:
        if not shutil.which("npm"):
            return None, "npm not found: cannot fetch libduckdb.so for Fusion's DuckDB driver"
        print(f"[bench] npm install {LIBDUCKDB_NPM} into {npm_dir} ...", flush=True)
        npm_dir.mkdir(parents=True, exist_ok=True)
        if not _run_quiet(
            ["npm", "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund", LIBDUCKDB_NPM], log
        ):
            return None, f"npm install {LIBDUCKDB_NPM} failed (see {log})"
        libs = list(npm_dir.glob("node_modules/@duckdb/*/libduckdb.so"))
        if not libs:
            return None, f"libduckdb.so not found under {npm_dir} after npm install"
    env = base_env()
    libdir = str(libs[0].parent)
    env["LD_LIBRARY_PATH"] = libdir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    t = Tool("fusion", [str(dbt)], env)
    t.version = _version([str(dbt), "--version"], env)
    if t.version.startswith("?"):
        return None, f"Fusion binary does not run: {t.version}"
    return t, ""


# ----------------------------------------------------------------------------- databases


def _rm_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()


def _copy_db(src: Path, dst: Path) -> None:
    _rm_db(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _load_seeds_python(db: Path, project: Path, seeds: list[str]) -> None:
    import duckdb

    con = duckdb.connect(str(db), config={"storage_compatibility_version": "v1.0.0"})
    try:
        for s in seeds:
            con.execute(
                f'create or replace table main."{s}" as select * from read_csv(?, header = true)',
                [str(project / "seeds" / f"{s}.csv")],
            )
    finally:
        con.close()


def _count_relations(db: Path) -> tuple[int, str]:
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            n = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'main'"
            ).fetchone()
            return int(n[0]) if n else 0, ""
        finally:
            con.close()
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return -1, str(e).splitlines()[0]


def _count_rows(db: Path, table: str) -> int:
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            r = con.execute(f'select count(*) from main."{table}"').fetchone()
            return int(r[0]) if r else 0
        finally:
            con.close()
    except Exception:  # noqa: BLE001
        return -1


# ----------------------------------------------------------------------------- one tool, one project


class ToolBench:
    def __init__(
        self, tool: Tool, project: Path, meta: dict, work: Path, logs: Path, reps: int, timeout: float
    ):
        self.tool, self.project, self.meta = tool, project, meta
        self.work = work / tool.name
        self.logs = logs / tool.name
        self.reps, self.timeout = reps, timeout
        self.target = self.work / "target"
        self.db = self.work / "db" / "bench.duckdb"  # file stem = database name "bench"
        self.env = dict(tool.env, BENCH_DUCKDB_PATH=str(self.db))
        self.templates: dict[str, Path] = {}
        self.notes: list[str] = []

    # -- helpers
    def cmd(self, *sub: str) -> list[str]:
        return self.tool.command(list(sub), self.project, self.target)

    def untimed(self, sub: list[str], name: str) -> bool:
        s = measure(self.cmd(*sub), self.project, self.env, self.logs / f"setup_{name}.log", self.timeout)
        return s.ok

    def clean_state(self) -> None:
        shutil.rmtree(self.target, ignore_errors=True)
        shutil.rmtree(self.project / "logs", ignore_errors=True)

    def reset_db(self, kind: str) -> None:
        _rm_db(self.db)
        self.db.parent.mkdir(parents=True, exist_ok=True)
        if kind != "empty":
            _copy_db(self.templates[kind], self.db)

    def prepare(self) -> None:
        """DuckDB templates: 'raw' (source tables) and 'seeded' (+ the tool's own seed run)."""
        tdir = self.work / "templates"
        tdir.mkdir(parents=True, exist_ok=True)
        raw = tdir / "tmpl_raw.duckdb"
        _rm_db(raw)
        generate.load_raw(raw, self.project)
        self.templates["raw"] = raw
        self.reset_db("raw")
        seeded = tdir / "tmpl_seeded.duckdb"
        if not self.untimed(["seed", "--exclude", generate.BIG_SEED], "seed_small"):
            self.notes.append(
                f"`{self.tool.name} seed` of the small seeds failed (see {self.logs / 'setup_seed_small.log'}); "
                "run/compile use seeds loaded by DuckDB's read_csv instead"
            )
            self.reset_db("raw")
            _load_seeds_python(self.db, self.project, self.meta["small_seeds"])
        _copy_db(self.db, seeded)
        self.templates["seeded"] = seeded
        self.clean_state()

    def timed(self, op: str, sub: list[str], before=None, check=None) -> dict:
        samples: list[Sample] = []
        for i in range(self.reps):
            if before:
                before(i)
            settle(self.target)
            s = measure(self.cmd(*sub), self.project, self.env, self.logs / f"{op}_r{i}.log", self.timeout)
            if s.ok and check:
                err = check()
                if err:
                    s.ok, s.error = False, err
            samples.append(s)
            status = f"{s.wall_s:7.2f} s  {s.rss_mb or 0:7.0f} MiB" if s.ok else "FAILED"
            print(f"    {self.tool.name:9s} {op:14s} rep {i + 1}/{self.reps}: {status}", flush=True)
            if not s.ok:
                print("      " + s.error.replace("\n", "\n      ")[-1500:], flush=True)
                break
        return summarize(samples, " ".join([self.tool.name, *sub]))

    def count_rows(self, table: str) -> int:
        return _count_rows(self.db, table)

    def check_relations(self) -> str:
        want = self.meta["models"] + len(self.meta["small_seeds"])
        got, err = _count_relations(self.db)
        if got < want:
            return f"exit code 0 but the DuckDB file has {got} relations in schema main, expected {want} {err}".strip()
        return ""

    # -- operations
    def run_op(self, op: str) -> dict:
        touch = self.project / self.meta["touch_model_path"]
        if op == "parse_cold":
            self.reset_db("seeded")
            return self.timed(op, ["parse"], before=lambda i: self.clean_state())
        if op == "parse_warm":
            self.reset_db("seeded")
            self.untimed(["parse"], "parse_warm_prime")
            return self.timed(op, ["parse"])
        if op == "parse_changed":
            self.reset_db("seeded")
            original = touch.read_text()
            self.untimed(["parse"], "parse_changed_prime")
            try:
                return self.timed(
                    op,
                    ["parse"],
                    before=lambda i: touch.write_text(original + f"\n-- bench: change {i + 1}\n"),
                )
            finally:
                touch.write_text(original)
                self.untimed(["parse"], "parse_changed_restore")
        if op == "ls_select":
            self.reset_db("seeded")
            return self.timed(op, ["ls", "--select", self.meta["ls_select_model"] + "+"])
        if op == "compile":
            return self.timed(op, ["compile"], before=lambda i: self.reset_db("seeded"))
        if op in ("run_t1", "run_t4"):
            threads = op[-1]
            return self.timed(
                op,
                ["run", "--threads", threads],
                before=lambda i: self.reset_db("seeded"),
                check=self.check_relations,
            )
        if op == "build":
            return self.timed(
                op,
                ["build", "--exclude", generate.BIG_SEED],
                before=lambda i: self.reset_db("raw"),
                check=self.check_relations,
            )
        if op == "seed_big":
            rows = self.meta["big_seed_rows"]

            def check() -> str:
                got = self.count_rows(generate.BIG_SEED)
                return (
                    ""
                    if got == rows
                    else f"exit code 0 but {generate.BIG_SEED} has {got} rows, expected {rows}"
                )

            return self.timed(
                op,
                ["seed", "--select", generate.BIG_SEED],
                before=lambda i: self.reset_db("empty"),
                check=check,
            )
        raise ValueError(op)


class PgToolBench(ToolBench):
    """The same operations on the embedded PostgreSQL server (bench/pg.py): every tool builds into the
    database `bench`, recreated before each repetition from a template database (raw tables; + seeds)."""

    def __init__(self, server, tool: Tool, project: Path, meta: dict, work: Path, logs: Path, reps: int,
                 timeout: float):
        super().__init__(tool, project, meta, work, logs, reps, timeout)
        self.server = server
        self.env = dict(tool.env, **pg.env(server))
        self.prefix = "tmpl_" + re.sub(r"\W", "_", tool.name)

    def reset_db(self, kind: str) -> None:
        pg.reset(self.server, None if kind == "empty" else f"{self.prefix}_{kind}")

    def prepare(self) -> None:
        """Template databases: '<tool>_raw' (the raw tables) and '<tool>_seeded' (+ the small seeds, loaded
        by COPY with the seeds' column types, the same for every tool)."""
        pg.make_template(self.server, f"{self.prefix}_raw", self.project, seeds=False)
        pg.make_template(self.server, f"{self.prefix}_seeded", self.project, seeds=True)
        self.clean_state()

    def check_relations(self) -> str:
        want = self.meta["models"] + len(self.meta["small_seeds"])
        got, err = pg.count_relations(self.server)
        if got < want:
            return f"exit code 0 but database {pg.DB} has {got} relations in schema main, expected {want} {err}".strip()
        return ""

    def count_rows(self, table: str) -> int:
        return pg.count_rows(self.server, table)


def bench_floor(
    project: Path,
    meta: dict,
    target_dir: Path,
    source: str,
    work: Path,
    logs: Path,
    reps: int,
    timeout: float,
    tests: bool = False,
    server=None,
) -> dict:
    """The floor: bench/floor.py runs the compiled SQL of the models (and with `tests` then the data tests'
    queries) on one connection, into DuckDB or (with `server`) PostgreSQL, from sources and seeds loaded."""
    name = "floor_build" if tests else "floor"
    want = meta["models"] + len(meta["small_seeds"])
    cmd = [sys.executable, str(BENCH / "floor.py"), "--target-dir", str(target_dir), *(["--tests"] if tests else [])]
    if server is None:
        db = work / "floor" / "db" / "bench.duckdb"
        tmpl = work / "floor" / "template.duckdb"
        _rm_db(tmpl)
        tmpl.parent.mkdir(parents=True, exist_ok=True)
        generate.load_raw(tmpl, project)
        _load_seeds_python(tmpl, project, meta["small_seeds"])
        cmd += ["--db", str(db)]

        def reset() -> None:
            _copy_db(tmpl, db)

        def count() -> tuple[int, str]:
            return _count_relations(db)
    else:
        pg.make_template(server, "tmpl_floor_seeded", project, seeds=True)
        e = pg.env(server)
        cmd += ["--postgres", f"host={e['BENCH_PG_HOST']} port={e['BENCH_PG_PORT']} user={e['BENCH_PG_USER']} "
                f"password={e['BENCH_PG_PASSWORD']} dbname={pg.DB}"]

        def reset() -> None:
            pg.reset(server, "tmpl_floor_seeded")

        def count() -> tuple[int, str]:
            return pg.count_relations(server)
    samples = []
    for i in range(reps):
        reset()
        s = measure(cmd, project, base_env(), logs / "floor" / f"{name}_r{i}.log", timeout)
        if s.ok:
            got, err = count()
            if got < want:
                s.ok, s.error = False, f"floor built {got} relations, expected {want} {err}"
        samples.append(s)
        print(
            f"    {'floor':9s} {name:14s} rep {i + 1}/{reps}: "
            + (f"{s.wall_s:7.2f} s  {s.rss_mb or 0:7.0f} MiB" if s.ok else "FAILED"),
            flush=True,
        )
        if not s.ok:
            print("      " + s.error.replace("\n", "\n      ")[-1500:], flush=True)
            break
    res = summarize(samples, f"python bench/floor.py{' --tests' if tests else ''} (compiled SQL from {source})")
    res["compiled_sql_from"] = source
    if samples and samples[-1].ok:
        try:
            last = json.loads(samples[-1].log.read_text().strip().splitlines()[-1])
            res["sql_only_s"] = last.get("sql_s")
            res["tests"] = last.get("tests")
        except (ValueError, IndexError):
            pass
    return res


# ----------------------------------------------------------------------------- report


def machine_info() -> dict:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    try:
        import duckdb

        duck = duckdb.__version__
    except ImportError:
        duck = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb_python": duck,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt_cell(r: dict | None) -> str:
    if not r:
        return "–"
    if r["status"] != "ok":
        first = r.get("error", "failed").splitlines()[0]
        return f"**FAILED** ({first})"
    rss = f", {r['peak_rss_mb']:.0f} MiB" if r.get("peak_rss_mb") is not None else ""
    return f"{r['median_s']:.2f} s ({r['min_s']:.2f}–{r['max_s']:.2f}){rss}"


def _ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b or a.get("status") != "ok" or b.get("status") != "ok" or not b.get("median_s"):
        return "–"
    return f"{a['median_s'] / b['median_s']:.2f}×"


# The performance issues' targets: (label, block, operation, against, how). `block` is a results key (see
# block_key), `against` a tool, "floor" or "floor_build" (the floor with the tests' queries), `how` is
# "ratio<=x" (Mason's median over the other's), "speedup>=x" (the other's over Mason's), "abs<=seconds" or
# "rss_ratio<=x".
TARGETS: list[tuple[str, str, str, str, str]] = [
    ("parse cold, 10,000 models: <= 3 s", "10000", "parse_cold", "", "abs<=3"),
    ("parse cold, 10,000 models: >= 20x faster than dbt-core", "10000", "parse_cold", "dbt-core", "speedup>=20"),
    ("parse cold, 10,000 models: no slower than Fusion", "10000", "parse_cold", "fusion", "ratio<=1"),
    ("parse warm (nothing changed), 10,000 models: <= 0.5 s", "10000", "parse_warm", "", "abs<=0.5"),
    ("parse after one model changed, 10,000 models: <= 1 s", "10000", "parse_changed", "", "abs<=1"),
    ("ls --select <model>+, 10,000 models: <= 1 s", "10000", "ls_select", "", "abs<=1"),
    ("real-shaped project (3,000 models, 5,000 tests, 900 macros): parse cold >= 20x faster than dbt-core",
     "real-3000", "parse_cold", "dbt-core", "speedup>=20"),
    ("real-shaped project: parse warm <= 0.5 s", "real-3000", "parse_warm", "", "abs<=0.5"),
    ("run 1,000 models, 1 thread: <= 1.5x the floor", "1000", "run_t1", "floor", "ratio<=1.5"),
    ("run 1,000 models, 4 threads: <= 1.5x the floor", "1000", "run_t4", "floor", "ratio<=1.5"),
    ("run 5,000 models, 1 thread: <= 1.5x the floor", "5000", "run_t1", "floor", "ratio<=1.5"),
    ("run 5,000 models, 4 threads: <= 1.5x the floor", "5000", "run_t4", "floor", "ratio<=1.5"),
    ("build 1,000 models with their tests: <= 1.3x the floor (models' and tests' SQL)", "1000", "build",
     "floor_build", "ratio<=1.3"),
    ("build 5,000 models with their tests: <= 1.3x the floor (models' and tests' SQL)", "5000", "build",
     "floor_build", "ratio<=1.3"),
    ("seed of a 1M-row CSV: >= 20x faster than dbt-core", "1000", "seed_big", "dbt-core", "speedup>=20"),
    ("PostgreSQL: seed of a 1M-row CSV >= 10x faster than dbt-postgres", "postgres-1000", "seed_big", "dbt-core",
     "speedup>=10"),
    ("PostgreSQL: run 1,000 models (4 threads) >= 5x faster than dbt-postgres", "postgres-1000", "run_t4",
     "dbt-core", "speedup>=5"),
    ("PostgreSQL: build 1,000 models >= 5x faster than dbt-postgres", "postgres-1000", "build", "dbt-core",
     "speedup>=5"),
    ("PostgreSQL: run 1,000 models, 1 thread: <= 1.5x the psycopg floor", "postgres-1000", "run_t1", "floor",
     "ratio<=1.5"),
    ("PostgreSQL: run 1,000 models, 4 threads (the profile's): <= 1.5x the psycopg floor", "postgres-1000",
     "run_t4", "floor", "ratio<=1.5"),
    ("PostgreSQL: build 1,000 models: <= 1.5x the psycopg floor (models' and tests' SQL)", "postgres-1000",
     "build", "floor_build", "ratio<=1.5"),
    ("peak memory, parse of 10,000 models: <= 0.4x dbt-core's", "10000", "parse_cold", "dbt-core",
     "rss_ratio<=0.4"),
    ("peak memory, build of 10,000 models: <= 0.4x dbt-core's", "10000", "build", "dbt-core", "rss_ratio<=0.4"),
]


@dataclass(frozen=True)
class BlockSpec:
    """One project of the plan: a generated project of `n` models on a warehouse, or the real-shaped one."""

    n: int
    warehouse: str = "duckdb"  # duckdb | postgres
    project: str = "generated"  # generated | real

    @property
    def key(self) -> str:
        return block_key(self.n, self.warehouse, self.project)


def block_key(n: int, warehouse: str = "duckdb", project: str = "generated") -> str:
    if project == "real":
        return f"real-{n}"
    return str(n) if warehouse == "duckdb" else f"{warehouse}-{n}"


def _key_order(key: str) -> tuple[int, int]:
    kind, _, n = key.rpartition("-")
    return ({"": 0, "real": 1, "postgres": 2}.get(kind, 3), int(n))


# `--targets`: the projects, operations and tools the targets need; a peer runs only the operations a target
# compares it with (dbt-core's full set at 1,000 models alone takes half an hour per repetition here) unless
# --all-peer-ops.
TARGET_PLAN: dict[BlockSpec, tuple[list[str], tuple[str, ...]]] = {
    BlockSpec(1000): (list(OPS), ALL_TOOLS),
    BlockSpec(5000): (["run_t1", "run_t4", "build"], ("mason", "floor")),
    BlockSpec(10000): (["parse_cold", "parse_warm", "parse_changed", "ls_select", "build"],
                       ("mason", "dbt-core", "fusion")),
    BlockSpec(3000, project="real"): (["parse_cold", "parse_warm", "parse_changed"], ("mason", "dbt-core")),
    BlockSpec(1000, "postgres"): (["run_t1", "run_t4", "build", "seed_big"], ("mason", "dbt-core", "floor")),
}
TARGET_PEER_OPS = {("1000", "dbt-core"): ["seed_big"], ("1000", "fusion"): [],
                   ("10000", "dbt-core"): ["parse_cold", "build"], ("10000", "fusion"): ["parse_cold"],
                   ("real-3000", "dbt-core"): ["parse_cold"]}
TARGET_PEER_REPS = {("10000", "dbt-core", "build"): 1}  # an hour a repetition: memory is what is compared


def _measured(data: dict, key: str, op: str, tool: str) -> dict | None:
    block = data["results"].get(key)
    if not block:
        return None
    if tool in ("floor", "floor_build"):
        return block.get(tool)
    return block["ops"].get(op, {}).get(tool)


def target_rows(data: dict) -> list[list[str]]:
    rows = []
    for label, key, op, other, how in TARGETS:
        mason = _measured(data, key, op, "mason")
        ref = _measured(data, key, op, other) if other else None
        kind, _, limit_s = how.partition("<=") if "<=" in how else how.partition(">=")
        limit = float(limit_s)
        measured, met = "not measured", "–"
        ok = mason and mason.get("status") == "ok"
        if ok and kind == "abs":
            value = mason["median_s"]
            measured, met = f"{value:.2f} s", "yes" if value <= limit else "NO"
        elif kind == "rss_ratio" and mason and ref and mason.get("peak_rss_mb") and ref.get("peak_rss_mb"):
            value = mason["peak_rss_mb"] / ref["peak_rss_mb"]
            measured = f"{mason['peak_rss_mb']:.0f} MiB vs {ref['peak_rss_mb']:.0f} MiB ({value:.2f}x)"
            met = "yes" if value <= limit else "NO"
        elif ok and ref and ref.get("status") == "ok" and ref.get("median_s"):
            if kind == "ratio":
                value = mason["median_s"] / ref["median_s"]
                measured = f"{mason['median_s']:.2f} s vs {ref['median_s']:.2f} s: {value:.2f}x"
                met = "yes" if value <= limit else "NO"
            elif kind == "speedup":
                value = ref["median_s"] / mason["median_s"]
                measured = f"{mason['median_s']:.2f} s vs {ref['median_s']:.2f} s: {value:.1f}x faster"
                met = "yes" if value >= limit else "NO"
        rows.append([label, measured, met])
    return rows


def rerun_command(key: str, op: str, tools: list[str]) -> str:
    """The command that measures one row of the table again."""
    kind, _, n = key.rpartition("-")
    extra = {"real": " --project real", "postgres": " --warehouse postgres"}.get(kind, "")
    return f"python bench/run.py --models {n}{extra} --ops {op} --tools {' '.join(tools)}"


def write_report(data: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(data, indent=2) + "\n")
    m = data["machine"]
    lines = [
        "# Mason benchmark",
        "",
        f"Run {data['finished_at']} with `{data['command']}`.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python {m['python']}, "
        f"DuckDB (Python) {m['duckdb_python']}.",
        "",
        f"Load average (1/5/15 min) at the start: {m.get('load_average_1_5_15')}, at the end: "
        f"{data.get('load_average_at_end')} (a load above the core count means other work shared the machine and the "
        "numbers are noisy).",
        "",
        "Tools:",
        "",
    ]
    for name, t in data["tools"].items():
        lines.append(f"- **{name}**: {t.get('version') or ''}{' — ' + t['note'] if t.get('note') else ''}")
    lines += [
        "",
        "Cells: median wall-clock seconds (min–max) over the repetitions, peak RSS. "
        "Ratios are Mason's median divided by the other's: below 1× Mason is faster. "
        "The floor is the same compiled SQL run in one Python process on one connection, in DAG order "
        "(DuckDB, or PostgreSQL over psycopg): for `build`, the models' SQL and then every data test's query.",
    ]
    if data["config"].get("targets"):
        lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in target_rows(data)]
    tool_cols = [t for t in ("mason", "dbt-core", "fusion") if t in data["tools"]]
    # the one comparison table: project x operation, a column per tool, the ratios, the command to rerun it
    head = ["project", "operation", *tool_cols, "floor", "Mason / dbt-core", "Mason / floor", "rerun"]
    lines += ["", "## All measurements", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, block in data["results"].items():
        for op, per_tool in block["ops"].items():
            floor = block.get("floor_build") if op == "build" else block.get("floor") if op in FLOOR_OPS else None
            tools = [t for t in tool_cols if t in per_tool] + (["floor"] if floor else [])
            row = [_project_label(key), op, *[_fmt_cell(per_tool.get(t)) for t in tool_cols], _fmt_cell(floor),
                   _ratio(per_tool.get("mason"), per_tool.get("dbt-core")), _ratio(per_tool.get("mason"), floor),
                   f"`{rerun_command(key, op, tools)}`"]
            lines.append("| " + " | ".join(row) + " |")
    for key, block in data["results"].items():
        p = block["project"]
        lines += ["", f"## {_project_label(key)}", ""]
        if block.get("project_kind") == "real":
            lines.append(
                f"Real-shaped (bench/generate_real.py): {p['models']} models ({p['models_per_project']}), "
                f"{p['yaml_tests']} YAML tests, {p['singular_tests']} singular tests, {p['macros']} macros, "
                f"{p['sources']} source tables; {data['config']['reps']} repetitions.")
        else:
            lines.append(
                f"{p['layers']['staging']} staging / {p['layers']['intermediate']} intermediate / "
                f"{p['layers']['marts']} marts; {p['materializations']['view']} views, "
                f"{p['materializations']['table']} tables, {p['materializations']['incremental']} incrementals; "
                f"{p['documented_models']} models with properties and tests; big seed {p['big_seed_rows']} rows; "
                f"{data['config']['reps']} repetitions.")
        for name in ("floor", "floor_build"):
            f = block.get(name)
            if f and f.get("status") == "ok":
                lines += ["", f"{'Floor of build' if name == 'floor_build' else 'Floor'}: compiled SQL from "
                              f"{f.get('compiled_sql_from')}; of its median, SQL alone took {f.get('sql_only_s')} s "
                              f"in the last repetition{' (' + str(f.get('tests')) + ' tests)' if f.get('tests') else ''}."]
        failures = [
            (op, t, r) for op, pt in block["ops"].items() for t, r in pt.items() if r["status"] != "ok"
        ]
        for name in ("floor", "floor_build"):
            if block.get(name) and block[name].get("status") != "ok":
                failures.append((name, "floor", block[name]))
        if failures:
            lines += ["", "### Failures", ""]
            for op, t, r in failures:
                lines += [f"- **{t} {op}** (`{r['command']}`), log `{r.get('log', '')}`:", "", "  ```"]
                lines += ["  " + ln for ln in r.get("error", "").splitlines()[-15:]]
                lines += ["  ```"]
        notes = block.get("notes") or []
        if notes:
            lines += ["", "Notes:", ""] + [f"- {x}" for x in notes]
    lines += ["", "Operations:", ""] + [f"- `{k}`: {v}" for k, v in OPS.items()]
    (out_dir / "latest.md").write_text("\n".join(lines) + "\n")


def _project_label(key: str) -> str:
    kind, _, n = key.rpartition("-")
    size = f"{int(n):,}"
    return {"real": f"real-shaped, {size} models", "postgres": f"{size} models, PostgreSQL"}.get(
        kind, f"{size} models, DuckDB")


# ----------------------------------------------------------------------------- main


class RealToolBench(ToolBench):
    """Parse operations on the real-shaped project: no database is read (the profile's DuckDB file is
    never opened by parse)."""

    def reset_db(self, kind: str) -> None:
        pass

    def prepare(self) -> None:
        self.clean_state()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--models", "-n", type=int, nargs="+", default=[1000], help="project sizes (default 1000)"
    )
    ap.add_argument(
        "--ops",
        nargs="+",
        default=list(OPS),
        choices=list(OPS),
        metavar="OP",
        help=f"operations (default all): {', '.join(OPS)}",
    )
    ap.add_argument("--reps", type=int, default=3, help="repetitions per operation and tool (default 3)")
    ap.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb",
                    help="duckdb (default) or postgres: the embedded PostgreSQL server, dbt-core + dbt-postgres")
    ap.add_argument("--project", choices=("generated", "real"), default="generated",
                    help="generated (bench/generate.py, default) or real: the real-shaped project of "
                    "bench/generate_real.py (parse operations only; --models is its model count)")
    ap.add_argument(
        "--sizes", nargs="+", default=None,
        help="with --targets: only these of its projects, by key (1000, 5000, 10000, real-3000, postgres-1000)")
    ap.add_argument(
        "--combine", type=Path, nargs="+", default=None, metavar="JSON",
        help="write one report from several latest.json files (later files win per cell) and stop")
    ap.add_argument(
        "--targets",
        action="store_true",
        help="measure what the performance targets need (see TARGET_PLAN) and report each target as met or "
        "not; overrides --models, --ops, --warehouse and --project",
    )
    ap.add_argument(
        "--tools",
        nargs="+",
        default=list(ALL_TOOLS),
        choices=ALL_TOOLS,
        help="tools (default all; 'floor' is the warehouse running the compiled SQL)",
    )
    ap.add_argument(
        "--big-seed-rows", type=int, default=1_000_000, help="rows in the big seed (default 1000000)"
    )
    ap.add_argument("--seed", type=int, default=42, help="generator seed")
    ap.add_argument("--timeout", type=float, default=7200, help="seconds before one command is killed")
    ap.add_argument(
        "--all-peer-ops",
        action="store_true",
        help="with --targets: run every planned operation for dbt-core and Fusion too, not only those the "
        "targets compare with",
    )
    ap.add_argument("--cache-dir", type=Path, default=BENCH / ".cache", help="installs and work files")
    ap.add_argument("--out-dir", type=Path, default=BENCH / "results", help="where latest.md/json go")
    args = ap.parse_args(argv)
    if args.combine:
        return combine(args.combine, args.out_dir)
    if args.targets:
        plan = {spec: TARGET_PLAN[spec] for spec in TARGET_PLAN if not args.sizes or spec.key in args.sizes}
        plan = {spec: (ops, tuple(t for t in tools if t in args.tools)) for spec, (ops, tools) in plan.items()}
    else:
        ops = list(args.ops)
        if args.project == "real":
            ops = [op for op in ops if op in ("parse_cold", "parse_warm", "parse_changed")]
        elif args.warehouse == "postgres":
            ops = [op for op in ops if op in PG_OPS]
        plan = {BlockSpec(n, args.warehouse, args.project): (ops, tuple(args.tools)) for n in args.models}

    cache: Path = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    logs_root = args.out_dir.resolve() / "tmp" / "logs"
    shutil.rmtree(logs_root, ignore_errors=True)
    install_log = logs_root / "install.log"

    wanted = {t for _, tools in plan.values() for t in tools}
    warehouses = {spec.warehouse for spec in plan}
    tools: dict[tuple[str, str], Tool] = {}  # (name, warehouse) -> tool
    tool_info: dict[str, dict] = {}
    for wh in sorted(warehouses):
        setups = {
            "mason": setup_mason,
            "dbt-core": lambda wh=wh: setup_dbt_core(cache, install_log, wh),
            "fusion": lambda: setup_fusion(cache, install_log),
        }
        for name in ("mason", "dbt-core", "fusion"):
            if name not in wanted or (name == "fusion" and wh != "duckdb"):
                continue
            label = name if wh == "duckdb" or name == "mason" else f"{name} ({wh})"
            tool, why = setups[name]()
            if tool is None:
                print(f"[bench] {label} unavailable, carrying on without it: {why}", flush=True)
                tool_info[label] = {"version": "", "note": f"not benchmarked: {why}"}
                continue
            print(f"[bench] {label}: {tool.version}", flush=True)
            tools[(name, wh)] = tool
            tool_info.setdefault(name if name == "mason" else label, {"version": tool.version})
    if "floor" in wanted:
        tool_info["floor"] = {"version": "DuckDB " + machine_info()["duckdb_python"] + " / psycopg via bench/floor.py"}

    data: dict = {
        "command": "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "tools": tool_info,
        "config": {
            "reps": args.reps,
            "big_seed_rows": args.big_seed_rows,
            "seed": args.seed,
            "targets": args.targets,
            "plan": {spec.key: {"ops": ops, "tools": list(tools_)} for spec, (ops, tools_) in plan.items()},
        },
        "operations": OPS,
        "results": {},
    }

    server = None
    try:
        if any(spec.warehouse == "postgres" for spec in plan):
            print("[bench] starting the embedded PostgreSQL server ...", flush=True)
            server = pg.start()  # stopped below whatever happens
        for spec, (ops, tools_for) in plan.items():
            _run_block(spec, ops, tools_for, tools, args, cache, logs_root, data, server)
    finally:
        if server is not None:
            server.stop()

    print(f"[bench] wrote {args.out_dir / 'latest.md'} and latest.json", flush=True)
    print((args.out_dir / "latest.md").read_text())
    return 0


def _run_block(spec: BlockSpec, ops: list[str], tools_for: tuple[str, ...], tools: dict, args, cache: Path,
               logs_root: Path, data: dict, server) -> None:
    """Measure one project of the plan (`server`: the PostgreSQL server, for a PostgreSQL project)."""
    n, key = spec.n, spec.key
    print(f"[bench] {_project_label(key)}: generating project ...", flush=True)
    work = cache / "work" / key
    shutil.rmtree(work, ignore_errors=True)
    project = work / "project"
    if spec.project == "real":
        import generate_real

        meta = generate_real.generate(project, n, seed=args.seed)
    else:
        big = args.big_seed_rows if "seed_big" in ops else 0
        meta = generate.generate(project, n, seed=args.seed, big_seed_rows=big, warehouse=spec.warehouse)
    logs = logs_root / key
    block: dict = {"project": meta, "project_kind": spec.project, "warehouse": spec.warehouse,
                   "ops": {op: {} for op in ops}, "notes": []}
    data["results"][key] = block
    benches: dict[str, ToolBench] = {}
    for (name, wh), tool in tools.items():
        if wh != spec.warehouse or name not in tools_for:
            continue
        tool_ops = ops
        if args.targets and not args.all_peer_ops and name in ("dbt-core", "fusion"):
            tool_ops = [op for op in ops if op in TARGET_PEER_OPS.get((key, name), ops)]
        if not tool_ops:
            continue
        print(f"[bench] {_project_label(key)}: {name}", flush=True)
        if spec.project == "real":
            tb: ToolBench = RealToolBench(tool, project, meta, work, logs, args.reps, args.timeout)
        elif spec.warehouse == "postgres":
            tb = PgToolBench(server, tool, project, meta, work, logs, args.reps, args.timeout)
        else:
            tb = ToolBench(tool, project, meta, work, logs, args.reps, args.timeout)
        benches[name] = tb
        try:
            tb.prepare()
        except Exception as e:  # noqa: BLE001
            tb.notes.append(f"preparing the databases failed: {e!r}")
        for op in tool_ops:
            tb.reps = TARGET_PEER_REPS.get((key, name, op), args.reps) if args.targets else args.reps
            try:
                block["ops"][op][name] = tb.run_op(op)
            except Exception as e:  # noqa: BLE001 - a harness error fails this cell, not the run
                print(f"    {name:9s} {op:14s} harness error: {e!r}", flush=True)
                block["ops"][op][name] = {
                    "status": "failed", "command": f"{name} {op}", "reps": 0, "error": f"harness error: {e!r}"}
        block["notes"] += [f"{name}: {x}" for x in tb.notes]
        data["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
        write_report(data, args.out_dir)  # partial results survive an interrupted run

    floors = [(name, op == "build") for op in ops if op in FLOOR_OPS
              for name in ["floor_build" if op == "build" else "floor"]]
    floors = list(dict.fromkeys(floors))
    if "floor" in tools_for and floors and spec.project != "real":
        source = None
        for name in ("mason", "dbt-core", "fusion"):
            tb = benches.get(name)
            if tb is None:
                continue
            tb.reset_db("seeded")  # compile sees a fresh database, as the floor's run will (is_incremental)
            if tb.untimed(["compile"], "compile_for_floor"):
                source = (name, tb.target)
                break
        for fname, with_tests in floors:
            if source is None:
                block[fname] = {"status": "failed", "command": "bench/floor.py", "reps": 0,
                                "error": "no tool produced compiled SQL and a manifest"}
                continue
            print(f"[bench] {_project_label(key)}: {fname} (compiled SQL from {source[0]})", flush=True)
            block[fname] = bench_floor(project, meta, source[1], source[0], work, logs, args.reps, args.timeout,
                                       tests=with_tests, server=server if spec.warehouse == "postgres" else None)
    data["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
    data["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_report(data, args.out_dir)


def combine(paths: list[Path], out_dir: Path) -> int:
    """One report from several runs' JSON: a later run's measurement of a (project, operation, tool) wins."""
    runs = [json.loads(p.read_text()) for p in paths]
    data = dict(runs[-1])
    data["results"] = {}
    for run in runs:
        for key, block in run["results"].items():
            into = data["results"].setdefault(key, {**block, "ops": {}, "notes": []})
            for op, per_tool in block["ops"].items():
                into["ops"].setdefault(op, {}).update(
                    {t: r for t, r in per_tool.items() if r.get("status") == "ok" or t not in into["ops"].get(op, {})})
            for name in ("floor", "floor_build"):
                if block.get(name) and (block[name].get("status") == "ok" or name not in into):
                    into[name] = block[name]
            into["notes"] += [x for x in block.get("notes", []) if x not in into["notes"]]
        for name, info in run["tools"].items():
            data["tools"].setdefault(name, info)
    data["results"] = dict(sorted(data["results"].items(), key=lambda kv: _key_order(kv[0])))
    data["command"] = " + ".join(r["command"] for r in runs)
    data["config"] = {**data["config"], "targets": any(r["config"].get("targets") for r in runs)}
    write_report(data, out_dir)
    print((out_dir / "latest.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
