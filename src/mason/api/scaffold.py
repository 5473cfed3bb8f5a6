"""`mason init`: a new project with a DuckDB profile, ready for `mason build`."""

from __future__ import annotations

import os
from pathlib import Path

_PROJECT = """name: {name}
version: "1.0.0"
config-version: 2
profile: {name}

model-paths: ["models"]
seed-paths: ["seeds"]
test-paths: ["tests"]
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]
analysis-paths: ["analyses"]

clean-targets: ["target", "dbt_packages"]

models:
  {name}:
    staging:
      +materialized: view
    marts:
      +materialized: table
"""

_PROFILE = """{name}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{{{ env_var('MASON_DUCKDB_PATH', '{name}.duckdb') }}}}"
      schema: main
      threads: 4
"""

_FILES = {
    "seeds/raw_people.csv": "id,name,signed_up_at\n1,Ada,2024-01-03\n2,Grace,2024-02-11\n3,Linus,2024-03-20\n",
    "models/staging/stg_people.sql": (
        "select\n    id as person_id,\n    name,\n    cast(signed_up_at as date) as signed_up_on\n"
        "from {{ ref('raw_people') }}\n"
    ),
    "models/marts/people_by_month.sql": (
        "select\n    date_trunc('month', signed_up_on) as signup_month,\n    count(*) as people\n"
        "from {{ ref('stg_people') }}\ngroup by 1\n"
    ),
    "models/schema.yml": (
        "version: 2\n\nmodels:\n  - name: stg_people\n    description: One row per person.\n    columns:\n"
        "      - name: person_id\n        data_tests: [unique, not_null]\n"
        "  - name: people_by_month\n    columns:\n      - name: signup_month\n        data_tests: [unique]\n"
    ),
    "macros/.gitkeep": "",
    "tests/.gitkeep": "",
    "snapshots/.gitkeep": "",
    "analyses/.gitkeep": "",
    ".gitignore": "target/\ndbt_packages/\nlogs/\n*.duckdb\n*.duckdb.wal\n",
}


def create_project(name: str | None, skip_profile: bool, profiles_dir: str | None) -> int:
    if not name:
        name = "my_project"
    if not name.isidentifier():
        print(f"Error: {name!r} is not a valid project name: use letters, digits and underscores")
        return 2
    root = Path.cwd() / name
    if root.exists():
        print(f"Error: {root} already exists; choose another name or remove it")
        return 1
    root.mkdir(parents=True)
    (root / "dbt_project.yml").write_text(_PROJECT.format(name=name))
    for rel, text in _FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not skip_profile:
        folder = Path(profiles_dir) if profiles_dir else root
        folder.mkdir(parents=True, exist_ok=True)
        profiles = folder / "profiles.yml"
        entry = _PROFILE.format(name=name)
        if profiles.exists():
            existing = profiles.read_text()
            if f"\n{name}:" not in f"\n{existing}":
                profiles.write_text(existing.rstrip("\n") + "\n\n" + entry)
        else:
            profiles.write_text(entry)
        where = os.path.relpath(profiles)
    else:
        where = "(skipped)"
    print(f"Created project {name} in {root}")
    print(f"Profile: {where} (DuckDB file {name}.duckdb)")
    print(f"Next: cd {name} && mason build")
    return 0
