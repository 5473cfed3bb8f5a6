"""Run inside the dagster virtualenv: import the docs' definitions.py from WORKDIR, materialize every asset, and
write what Dagster recorded (materializations, asset-check evaluations, their metadata) as JSON to OUT.

Usage: python dagster_materialize.py WORKDIR OUT
"""

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any


def value(metadata: Any, key: str) -> Any:
    entry = metadata.get(key)
    return None if entry is None else entry.value


def main() -> None:
    workdir, out = Path(sys.argv[1]), Path(sys.argv[2])
    spec = importlib.util.spec_from_file_location("definitions", workdir / "definitions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    job = module.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(raise_on_error=False)
    materializations = sorted(
        ({"asset": "/".join(e.asset_key.path), "status": value(e.materialization.metadata, "status"),
          "row_count": value(e.materialization.metadata, "dagster/row_count"),
          "metadata": sorted(e.materialization.metadata)} for e in result.get_asset_materialization_events()),
        key=lambda m: m["asset"])
    checks = sorted(
        ({"asset": "/".join(c.asset_key.path), "check": c.check_name, "passed": c.passed, "severity": str(c.severity),
          "failed_rows": value(c.metadata, "dagster_dbt/failed_row_count"), "status": value(c.metadata, "status"),
          "metadata": sorted(c.metadata)} for c in result.get_asset_check_evaluations()),
        key=lambda c: (c["asset"], c["check"]))
    out.write_text(json.dumps({"success": result.success, "materializations": materializations, "checks": checks},
                              indent=1))


if __name__ == "__main__":
    main()
