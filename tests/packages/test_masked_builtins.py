"""A project macro named `ref` or `source` replaces the built-in for every model (static ones included);
the built-in stays reachable as `builtins.ref`. dbt-core 1.11 compiles this project to the same SQL."""

from __future__ import annotations

import json
from pathlib import Path

from .test_materialization_errors import PROFILE, write
from .test_package_projects import mason

MACROS = """\
{% macro ref(model_name) %}
  {{ return(builtins.ref(model_name).include(database=False)) }}
{% endmacro %}
{% macro source(source_name, table_name) %}
  {{ return(builtins.source(source_name, table_name).include(database=False)) }}
{% endmacro %}
"""


def test_project_ref_and_source_macros_replace_the_builtins(tmp_path: Path) -> None:
    write(tmp_path, {
        "dbt_project.yml": "name: mb\nversion: '1.0'\nconfig-version: 2\nprofile: p\n",
        "profiles.yml": PROFILE.format(db=tmp_path / "mb.duckdb"),
        "macros/ref.sql": MACROS,
        "models/a.sql": "select 1 as x\n",
        "models/b.sql": "select * from {{ ref('a') }}\n",
        "models/src.yml": "sources:\n  - name: raw\n    schema: main\n    tables: [{name: a}]\n",
        "models/c.sql": "select * from {{ source('raw', 'a') }} union all select * from {{ ref('b') }}\n",
    })
    run = mason(tmp_path, "run", "--profiles-dir", ".")
    assert run.returncode == 0, run.stdout + run.stderr
    compiled = tmp_path / "target" / "compiled" / "mb" / "models"
    # as dbt-core 1.11 compiles them (checked with the reference install)
    assert (compiled / "b.sql").read_text() == 'select * from "main"."a"'
    assert (compiled / "c.sql").read_text() == 'select * from "main"."a" union all select * from "main"."b"'
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert sorted(manifest["nodes"]["model.mb.c"]["depends_on"]["nodes"]) == ["model.mb.b", "source.mb.raw.a"]
