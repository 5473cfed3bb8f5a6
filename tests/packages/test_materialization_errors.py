"""Jinja materializations that go wrong, and the lookup rules: errors name the file and line to fix, a
model's unknown materialization lists the known ones, the root project may override a built-in
materialization and a package may not."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from .test_package_projects import mason

PROFILE = """p:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{db}"
      schema: main
      threads: 1
"""

MATERIALIZATIONS = """\
{% materialization raiser, default %}
  {%- set target = this.incorporate(type='table') -%}
  {{ exceptions.raise_compiler_error('raiser refuses to build ' ~ this.identifier) }}
  {{ return({'relations': [target]}) }}
{% endmaterialization %}

{% materialization broken_sql, default %}
  {%- set target = this.incorporate(type='table') -%}
  {% call statement('main') -%}
    create table {{ target }} as select * from no_such_table
  {%- endcall %}
  {{ return({'relations': [target]}) }}
{% endmaterialization %}

{% materialization nocommit, default %}
  {%- set target = this.incorporate(type='table') -%}
  {% call statement('main') -%}
    create table {{ target }} as ({{ sql }})
  {%- endcall %}
  {{ return({'relations': [target]}) }}
{% endmaterialization %}

{% materialization view, default %}
  {%- set target = this.incorporate(type='table') -%}
  {% call statement('main') -%}
    create or replace table {{ target }} as ({{ sql }})
  {%- endcall %}
  {% do adapter.commit() %}
  {{ return({'relations': [target]}) }}
{% endmaterialization %}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_materialization_errors_and_lookup(tmp_path: Path) -> None:
    write(tmp_path / "pkgmat", {
        "dbt_project.yml": "name: pkgmat\nversion: '1.0'\nconfig-version: 2\n",
        "macros/table.sql": "{% materialization table, default %}\n"
                            "{{ exceptions.raise_compiler_error('a package must not replace table') }}\n"
                            "{% endmaterialization %}\n",
    })
    app = tmp_path / "app"
    write(app, {
        "dbt_project.yml": "name: app\nversion: '1.0'\nconfig-version: 2\nprofile: p\n",
        "profiles.yml": PROFILE.format(db=tmp_path / "app.duckdb"),
        "packages.yml": "packages:\n  - local: ../pkgmat\n",
        "macros/materializations.sql": MATERIALIZATIONS,
        "models/unknown.sql": "{{ config(materialized='nosuch') }}\nselect 1 as a\n",
        "models/raises.sql": "{{ config(materialized='raiser') }}\nselect 1 as a\n",
        "models/after_raises.sql": "select * from {{ ref('raises') }}\n",
        "models/bad_sql.sql": "{{ config(materialized='broken_sql') }}\nselect 1 as a\n",
        "models/overridden_view.sql": "{{ config(materialized='view') }}\nselect 2 as b\n",
        "models/plain_table.sql": "{{ config(materialized='table') }}\nselect 3 as c\n",
        "models/uncommitted.sql": "{{ config(materialized='nocommit') }}\nselect 4 as d\n",
    })
    assert mason(app, "deps").returncode == 0
    # an unknown materialization is a parse error (nothing runs), listing the ones defined here
    parsed = mason(app, "run", "--profiles-dir", ".")
    assert parsed.returncode == 1 and not (tmp_path / "app.duckdb").exists()
    unknown = parsed.stdout + parsed.stderr
    assert "models/unknown.sql:1: model.app.unknown: materialized 'nosuch' is not a materialization here" in unknown
    assert "use one of: broken_sql, ephemeral, incremental, nocommit, raiser, table, view" in unknown
    (app / "models" / "unknown.sql").unlink()
    run = mason(app, "run", "--profiles-dir", ".")
    assert run.returncode == 1
    results = {r["unique_id"].split(".")[-1]: r
               for r in json.loads((app / "target" / "run_results.json").read_text())["results"]}
    status = {name: r["status"] for name, r in results.items()}
    assert status == {"raises": "error", "after_raises": "skipped", "bad_sql": "error",
                      "overridden_view": "success", "plain_table": "success", "uncommitted": "success"}

    raises = results["raises"]["message"]
    assert raises.startswith("macros/materializations.sql:3: model.app.raises (models/raises.sql), "
                             "materialization 'raiser': raiser refuses to build raises"), raises
    bad_sql = results["bad_sql"]["message"]
    assert bad_sql.startswith("macros/materializations.sql:9: model.app.bad_sql (models/bad_sql.sql), "
                              "materialization 'broken_sql': Catalog Error"), bad_sql
    assert "no_such_table" in bad_sql
    assert "Traceback" not in run.stdout + run.stderr

    with duckdb.connect(str(tmp_path / "app.duckdb"), read_only=True) as con:
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                                 "where table_schema <> 'mason_monitoring'").fetchall())
    # the root project's `view` replaced Mason's; the package's `table` did not replace Mason's; what a
    # materialization does not commit is rolled back (as dbt does), though the node succeeds
    assert kinds == {"overridden_view": "BASE TABLE", "plain_table": "BASE TABLE"}
