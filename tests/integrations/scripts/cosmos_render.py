"""Run inside the cosmos virtualenv: load the docs' DAG file and write its tasks and their downstream tasks as JSON.

Usage: python cosmos_render.py DAG_FILE OUT
"""

import importlib.util
import json
import sys
from pathlib import Path


def main() -> None:
    dag_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    spec = importlib.util.spec_from_file_location("jaffle_shop_dag", dag_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.jaffle_shop
    out.write_text(json.dumps({t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}, indent=1,
                              sort_keys=True))


if __name__ == "__main__":
    main()
