"""Run inside the prefect virtualenv: run the docs' flow on PROJECT_DIR and write its final state and the build's
closing `Done.` line as JSON.

Usage: python prefect_flow.py FLOW_FILE PROJECT_DIR OUT
"""

import importlib.util
import json
import sys
from pathlib import Path


def main() -> None:
    flow_file, project, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    spec = importlib.util.spec_from_file_location("jaffle_shop_flow", flow_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = module.jaffle_shop_build(project_dir=project, return_state=True)
    lines = state.result(raise_on_failure=False)
    done = [line for line in lines if "Done. PASS=" in line] if isinstance(lines, list) else []
    out.write_text(json.dumps({"state": state.type.value, "done": done[-1] if done else str(lines)[-2000:]},
                              indent=1))


if __name__ == "__main__":
    main()
