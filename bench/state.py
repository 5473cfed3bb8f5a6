#!/usr/bin/env python3
"""Slim CI's state comparison at scale: two manifests of a generated project (production's, and one where
`--changed` models were edited), compared by `state:modified`.

    .venv/bin/python bench/state.py [--models 10000] [--changed 20] [--reps 5] [--dbt /path/to/venv/bin/dbt]

Prints: the comparison alone (Mason's api.select with the state, in process; the state manifest read
included), `mason ls -s state:modified --state` from process start, and, with --dbt, `dbt ls -s
state:modified --state` against a state dbt wrote (the same edits on a second copy, parsed by dbt before and
after, so its partial parse is warm). Checks that both tools select the edited models (and nothing else).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(cmd: list[str], cwd: Path, reps: int) -> tuple[float, list[str]]:
    times, out = [], ""
    for _ in range(reps):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        out = proc.stdout
    return statistics.median(times), sorted(line.strip() for line in out.splitlines() if line.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=10_000)
    ap.add_argument("--changed", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dbt", type=Path, default=None)
    args = ap.parse_args()
    mason = str(Path(sys.executable).parent / "mason")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench"
        generate(project, args.models)
        subprocess.run([mason, "parse", "-q"], cwd=project, env=_env(), check=True)
        state = Path(tmp) / "prod_state"
        state.mkdir()
        shutil.copy(project / "target" / "manifest.json", state / "manifest.json")
        models = sorted((project / "models").rglob("*.sql"))
        step = max(1, len(models) // args.changed)
        edited = models[::step][: args.changed]
        for path in edited:
            path.write_text(path.read_text() + "\n-- edited\n")
        subprocess.run([mason, "parse", "-q"], cwd=project, env=_env(), check=True)
        want = sorted(f"bench.{'.'.join(p.relative_to(project / 'models').with_suffix('').parts)}" for p in edited)

        sys.path.insert(0, str(ROOT / "src"))
        from mason import api
        from mason.graph.state import State
        from mason.memory import pause_collector
        from mason.session import Session

        pause_collector()  # as the CLI runs every command
        session = Session(project_dir=project, profiles_dir=project, env=_env())
        parsed = api.parse(session)
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            ids = api.select(parsed, select=["state:modified"], state=State(state), resource_types=("model",))
            times.append(time.perf_counter() - start)
        assert len(ids) == len(edited), (len(ids), len(edited))
        print(f"{args.models} models, {len(edited)} edited: state comparison (state manifest read + "
              f"state:modified over every node) median {statistics.median(times):.3f} s "
              f"(min {min(times):.3f}; target <= 1 s)")
        took, got = _timed([mason, "ls", "-s", "state:modified", "--resource-type", "model", "--state",
                            str(state)], project, args.reps)
        assert got == want, (got[:5], want[:5])
        print(f"mason ls -s state:modified --state, process start to output: median {took:.3f} s")
        if args.dbt:  # dbt compares with a state dbt wrote (its own macros): the same edits on a fresh copy
            dbt_project, dbt_state = Path(tmp) / "dbt" / "bench", Path(tmp) / "dbt_state"
            generate(dbt_project, args.models)
            dbt = [str(args.dbt), "--no-use-colors"]
            subprocess.run([*dbt, "parse", "--profiles-dir", ".", "-q"], cwd=dbt_project, env=_env(), check=True)
            dbt_state.mkdir()
            shutil.copy(dbt_project / "target" / "manifest.json", dbt_state / "manifest.json")
            for path in edited:
                twin = dbt_project / path.relative_to(project)
                twin.write_text(twin.read_text() + "\n-- edited\n")
            subprocess.run([*dbt, "parse", "--profiles-dir", ".", "-q"], cwd=dbt_project, env=_env(), check=True)
            took, got = _timed([*dbt, "ls", "--profiles-dir", ".", "-q", "-s", "state:modified", "--resource-type",
                                "model", "--state", str(dbt_state)], dbt_project, max(1, args.reps // 2))
            same = "the same models" if got == want else f"{len(got)} models (Mason: {len(want)})"
            print(f"dbt ls -s state:modified --state (warm partial parse): median {took:.3f} s; {same}")

if __name__ == "__main__":
    main()
