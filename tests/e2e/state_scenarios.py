"""Slim-CI selection scenarios, shared by the test (tests/e2e/test_state.py, Mason) and the recorder of
dbt-core's answers (tests/e2e/gen_state_expected.py -> tests/e2e/expected/state.json).

Each scenario starts from BASE parsed with the `prod` target, keeps that run's manifest.json as the state,
applies its edits to the project, then lists each selector with the scenario's target."""

from __future__ import annotations

from pathlib import Path


def write_files(root: Path, files: dict[str, str | None]) -> None:
    """Write each file (None: delete it) under root."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

BASE = {
    "dbt_project.yml": "name: st\nversion: '1.0'\nconfig-version: 2\nprofile: st\n"
                       "models:\n  st:\n    +materialized: view\n    +tags: [\"{{ var('t', 'x') }}\"]\n",
    "profiles.yml": "st:\n  target: prod\n  outputs:\n"
                    "    prod: {type: duckdb, path: prod.duckdb, schema: prod}\n"
                    "    dev: {type: duckdb, path: dev.duckdb, schema: dev}\n",
    "macros/m.sql": "{% macro double(x) %}{{ x }} * 2{% endmacro %}\n"
                    "{% macro outer(x) %}{{ double(x) }} + 0{% endmacro %}\n",
    "seeds/s.csv": "id,v\n1,a\n2,b\n",
    "models/a.sql": "select id, v from {{ ref('s') }}\n",
    "models/b.sql": "select id, {{ outer('id') }} as d from {{ ref('a') }}\n",
    "models/c.sql": "select * from {{ ref('b') }}\n",
    "models/d.sql": "select 1 as x\n",
    "models/schema.yml": """models:
  - name: a
    description: the a model
    columns:
      - name: id
        description: the id
        data_tests: [not_null]
  - name: d
    config:
      persist_docs: {relation: true, columns: true}
    description: d desc
sources:
  - name: raw
    schema: main
    tables:
      - name: t1
        description: t1 desc
""",
}

SELECTORS = ("state:modified", "state:modified.body", "state:modified.configs", "state:modified.relation",
             "state:modified.persisted_descriptions", "state:modified.macros", "state:new", "state:modified+",
             "state:unmodified")

# name -> (target, {path: new text or None to delete}, extra ls flags)
SCENARIOS: dict[str, tuple[str, dict[str, str | None], tuple[str, ...]]] = {
    "unchanged_prod": ("prod", {}, ()),
    "unchanged_dev": ("dev", {}, ()),
    "project_config": ("prod", {"dbt_project.yml": BASE["dbt_project.yml"].replace("+materialized: view",
                                                                                    "+materialized: table")}, ()),
    "macro": ("prod", {"macros/m.sql": BASE["macros/m.sql"].replace("* 2", "* 3")}, ()),
    "descriptions": ("prod", {"models/schema.yml": BASE["models/schema.yml"].replace("d desc", "d desc 2")
                              .replace("the a model", "the a model 2")}, ()),
    "seed_rows": ("prod", {"seeds/s.csv": BASE["seeds/s.csv"] + "3,c\n"}, ()),
    "trailing_whitespace": ("prod", {"models/a.sql": "select id, v from {{ ref('s') }}  \n\n"}, ()),
    "model_body": ("prod", {"models/b.sql": "select id, {{ outer('id') }} as d, 1 as e from {{ ref('a') }}\n"}, ()),
    "test_config": ("prod", {"models/schema.yml": BASE["models/schema.yml"].replace(
        "data_tests: [not_null]", "data_tests: [{not_null: {config: {where: \"id > 0\"}}}]")}, ()),
    "var_in_config": ("prod", {}, ("--vars", "{t: y}")),
    "config_schema_call": ("prod", {"models/d.sql": "{{ config(schema='other') }}\nselect 1 as x\n"}, ()),
    "new_and_deleted": ("prod", {"models/e.sql": "select 2 as y\n", "models/c.sql": None}, ()),
    "schema_per_target_dev": ("dev", {"macros/names.sql": "{% macro generate_schema_name(custom, node) %}"
                                      "{{ target.schema }}_{{ target.name }}{% endmacro %}\n"}, ()),
}

# Where Mason deliberately answers otherwise than dbt-core 1.11: (scenario, selector) -> (dbt's, Mason's),
# each with the reason.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    # dbt compares a source's rendered database, which a target without an explicit database sets: on
    # DuckDB prod.duckdb and dev.duckdb are databases "prod" and "dev", so every source (and with `+`,
    # the whole project) counts as modified in CI. Mason compares the source's schema and identifier,
    # so a CI target does not rebuild everything.
    ("unchanged_dev", "state:modified"): "source database follows the target",
    ("unchanged_dev", "state:modified.relation"): "source database follows the target",
    ("unchanged_dev", "state:modified+"): "source database follows the target",
    ("unchanged_dev", "state:unmodified"): "source database follows the target",
    ("schema_per_target_dev", "state:modified"): "source database follows the target",
    ("schema_per_target_dev", "state:modified.relation"): "source database follows the target",
    ("schema_per_target_dev", "state:modified+"): "source database follows the target",
    ("schema_per_target_dev", "state:unmodified"): "source database follows the target",
}
