"""Run inside the cosmos virtualenv: run the docs' DAG (in AIRFLOW_HOME's dags folder) once with dag.test(), and
write the run's state and each task's as JSON.

Usage: python cosmos_test_dag.py DAG_FILE OUT
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
    run = module.jaffle_shop.test()
    out.write_text(json.dumps({"state": str(run.state),
                               "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}},
                              indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
