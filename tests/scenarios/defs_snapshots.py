"""Snapshot scenarios: strategies, hard deletes, meta column options, YAML and block definitions."""

from __future__ import annotations

from .harness import Scenario, Step, csv

# Source versions. v2: id 1 changes name and updated_at; id 2 changes city but keeps its updated_at (the
# timestamp strategy cannot see it, the check strategy can); id 3 is deleted; id 4 appears.
# v3: id 3 comes back, id 4 changes, id 1 is deleted; v4 repeats v3 (a run that finds nothing new).
PEOPLE = {
    1: csv("id,name,city,updated_at", "1,ann,paris,2024-01-01 00:00:00", "2,bob,rome,2024-01-01 00:00:00",
           "3,cid,oslo,2024-01-01 00:00:00"),
    2: csv("id,name,city,updated_at", "1,ann2,paris,2024-01-02 00:00:00", "2,bob,milan,2024-01-01 00:00:00",
           "4,dan,kyiv,2024-01-02 00:00:00"),
    3: csv("id,name,city,updated_at", "2,bob,milan,2024-01-01 00:00:00", "3,cid,oslo,2024-01-03 00:00:00",
           "4,dan,lima,2024-01-03 00:00:00"),
}


def block(name: str, config: str, select: str = "select * from {{ ref('people') }}") -> str:
    """A `{% snapshot %}` block file."""
    return f"{{% snapshot {name} %}}\n{{{{ config({config}) }}}}\n{select}\n{{% endsnapshot %}}\n"


def steps(command: str = "build") -> tuple[Step, ...]:
    """Run on v1, v2, v3 and v3 again; with `snapshot`, the first and last runs are `dbt snapshot` (the
    seed loaded first) and the others `build`."""
    middle = (Step(("build",), write={"seeds/people.csv": PEOPLE[2]}),
              Step(("build",), write={"seeds/people.csv": PEOPLE[3]}))
    if command == "build":
        return (Step(("build",)), *middle, Step(("build",)))
    return (Step(("seed",), capture=()), Step(("snapshot",)), *middle, Step(("snapshot",)))


TS = "unique_key='id', strategy='timestamp', updated_at='updated_at'"
CHECK_ALL = "unique_key='id', strategy='check', check_cols='all'"

STRATEGY_SNAPSHOTS = {
    "snap_ts": block("snap_ts", TS),
    "snap_check_all": block("snap_check_all", CHECK_ALL),
    "snap_check_list": block("snap_check_list", "unique_key='id', strategy='check', check_cols=['city']"),
    # the check strategy with updated_at: versions are stamped with the source column, not the clock
    "snap_check_updated_at": block(
        "snap_check_updated_at", "unique_key='id', strategy='check', check_cols=['name', 'city'], "
                                 "updated_at='updated_at'"),
    "snap_composite_key": block("snap_composite_key",
                                "unique_key=['id', 'city'], strategy='timestamp', updated_at='updated_at'"),
}

STRATEGIES = Scenario(
    name="snapshot_strategies",
    doc="block snapshots: timestamp, check (all / a list / with updated_at), composite unique_key",
    files={"seeds/people.csv": PEOPLE[1],
           **{f"snapshots/{n}.sql": sql for n, sql in STRATEGY_SNAPSHOTS.items()}},
    steps=steps("snapshot"),
    capture=tuple(STRATEGY_SNAPSHOTS),
    opaque={"snap_check_all": ("dbt_scd_id",), "snap_check_list": ("dbt_scd_id",)},
)

HARD_DELETE_SNAPSHOTS = {
    "hd_ignore": block("hd_ignore", TS + ", hard_deletes='ignore'"),
    "hd_invalidate": block("hd_invalidate", TS + ", hard_deletes='invalidate'"),
    "hd_new_record": block("hd_new_record", TS + ", hard_deletes='new_record'"),
    "hd_legacy_invalidate": block("hd_legacy_invalidate", TS + ", invalidate_hard_deletes=true"),
    "hd_check_invalidate": block("hd_check_invalidate", CHECK_ALL + ", hard_deletes='invalidate'"),
    "hd_check_new_record": block("hd_check_new_record", CHECK_ALL + ", hard_deletes='new_record'"),
}

HARD_DELETES = Scenario(
    name="snapshot_hard_deletes",
    doc="hard_deletes ignore / invalidate / new_record, the legacy invalidate_hard_deletes, a key coming back",
    files={"seeds/people.csv": PEOPLE[1],
           **{f"snapshots/{n}.sql": sql for n, sql in HARD_DELETE_SNAPSHOTS.items()}},
    steps=steps(),
    capture=tuple(HARD_DELETE_SNAPSHOTS),
    opaque={n: ("dbt_scd_id",) for n in ("hd_new_record", "hd_check_invalidate", "hd_check_new_record")},
)

META_NAMES = ("snapshot_meta_column_names={'dbt_valid_from': 'valid_from', 'dbt_valid_to': 'valid_to', "
              "'dbt_scd_id': 'scd_id', 'dbt_updated_at': 'changed_at', 'dbt_is_deleted': 'is_deleted'}")
META_SNAPSHOTS = {
    "meta_valid_to_current": block(
        "meta_valid_to_current", TS + ", hard_deletes='invalidate', "
                                      "dbt_valid_to_current=\"cast('9999-12-31' as timestamp)\""),
    "meta_valid_to_current_check": block(
        "meta_valid_to_current_check", CHECK_ALL + ", dbt_valid_to_current=\"cast('9999-12-31' as timestamp)\""),
    "meta_column_names": block("meta_column_names", TS + ", hard_deletes='new_record', " + META_NAMES),
    "meta_new_record_valid_to_current": block(
        "meta_new_record_valid_to_current", TS + ", hard_deletes='new_record', "
                                                 "dbt_valid_to_current=\"cast('9999-12-31' as timestamp)\""),
    "meta_check_names_updated_at": block(
        "meta_check_names_updated_at", "unique_key='id', strategy='check', check_cols=['city'], "
                                       "updated_at='updated_at', hard_deletes='new_record', " + META_NAMES),
}

# A snapshot defined in YAML only (dbt >= 1.9), reading the seed through `relation:`.
YAML_SNAPSHOT = """
snapshots:
  - name: yaml_ts
    relation: ref('people')
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: invalidate
  - name: yaml_check
    relation: ref('people')
    config:
      unique_key: id
      strategy: check
      check_cols: [name]
      dbt_valid_to_current: "cast('9999-12-31' as timestamp)"
"""

META = Scenario(
    name="snapshot_meta_and_yaml",
    doc="dbt_valid_to_current, snapshot_meta_column_names, and snapshots defined in YAML (removed at the end: "
        "their tables stay as they were)",
    files={"seeds/people.csv": PEOPLE[1], "snapshots/defined.yml": YAML_SNAPSHOT,
           **{f"snapshots/{n}.sql": sql for n, sql in META_SNAPSHOTS.items()}},
    steps=(*steps()[:3], Step(("build",), write={"snapshots/defined.yml": None, "seeds/people.csv": PEOPLE[2]})),
    capture=(*META_SNAPSHOTS, "yaml_ts", "yaml_check"),
    opaque={"meta_valid_to_current_check": ("dbt_scd_id",), "meta_column_names": ("scd_id",),
            "meta_new_record_valid_to_current": ("dbt_scd_id",), "meta_check_names_updated_at": ("scd_id",),
            "yaml_check": ("dbt_scd_id",)},
)

# The snapshot query changes shape: v2 adds `country` (and a null city), v3 drops `city` again. A final
# `--full-refresh` build must not rebuild snapshots.
SHAPES = {
    1: ("select id, name, city, updated_at from {{ ref('people') }}", PEOPLE[1]),
    2: ("select id, name, city, updated_at, 'x' || id as country from {{ ref('people') }}",
        csv("id,name,city,updated_at", "1,ann2,,2024-01-02 00:00:00", "2,bob,milan,2024-01-01 00:00:00",
            "4,dan,kyiv,2024-01-02 00:00:00")),
    3: ("select id, name, updated_at, 'x' || id as country from {{ ref('people') }}", PEOPLE[3]),
}
SHAPE_CONFIGS = {"shape_ts": TS, "shape_check_all": CHECK_ALL + ", hard_deletes='invalidate'",
                 "shape_check_list": "unique_key='id', strategy='check', check_cols=['name', 'updated_at']"}


def _shapes(version: int) -> dict[str, str | None]:
    select, people = SHAPES[version]
    return {"seeds/people.csv": people, **{f"snapshots/{n}.sql": block(n, c, select) for n, c in SHAPE_CONFIGS.items()}}


SCHEMA_CHANGES = Scenario(
    name="snapshot_schema_changes",
    doc="the snapshot query gains and loses columns; null check columns; --full-refresh leaves snapshots alone",
    files={k: v for k, v in _shapes(1).items() if v is not None},
    steps=(Step(("build",)), Step(("build",), write=_shapes(2)), Step(("build",), write=_shapes(3)),
           Step(("build", "--full-refresh"))),
    capture=tuple(SHAPE_CONFIGS),
    opaque={"shape_check_all": ("dbt_scd_id",), "shape_check_list": ("dbt_scd_id",)},
)

# Conflicting or wrong settings: which dbt accepts (and how it reads them) and which it refuses.
ODD_SNAPSHOTS = {
    "odd_legacy_and_new_record": block("odd_legacy_and_new_record",
                                       TS + ", invalidate_hard_deletes=true, hard_deletes='new_record'"),
    "odd_legacy_and_ignore": block("odd_legacy_and_ignore", TS + ", invalidate_hard_deletes=true, hard_deletes='ignore'"),
    "odd_missing_check_col": block("odd_missing_check_col", "unique_key='id', strategy='check', check_cols=['nope']"),
    "odd_missing_updated_at": block("odd_missing_updated_at",
                                    "unique_key='id', strategy='timestamp', updated_at='nope'"),
}

ODD_CONFIGS = Scenario(
    name="snapshot_odd_configs",
    doc="conflicting hard delete settings and configured columns the query lacks",
    files={"seeds/people.csv": PEOPLE[1], **{f"snapshots/{n}.sql": sql for n, sql in ODD_SNAPSHOTS.items()}},
    steps=steps()[:2],
    capture=tuple(ODD_SNAPSHOTS),
    opaque={"odd_missing_check_col": ("dbt_scd_id",)},
)

# updated_at values that are null: a new key without one, an existing key losing it, then both getting one;
# the last step runs with --empty.
NULL_TIMES = {
    2: csv("id,name,city,updated_at", "1,ann2,paris,", "2,bob,rome,2024-01-01 00:00:00", "3,cid,oslo,2024-01-01 00:00:00",
           "5,eve,bern,"),
    3: csv("id,name,city,updated_at", "1,ann3,paris,2024-01-05 00:00:00", "2,bob,rome,2024-01-01 00:00:00",
           "3,cid,oslo,2024-01-01 00:00:00", "5,eve,bern,2024-01-05 00:00:00"),
}
NULL_SNAPSHOTS = {
    "null_ts": block("null_ts", TS + ", hard_deletes='invalidate'"),
    "null_check_updated_at": block("null_check_updated_at", "unique_key='id', strategy='check', "
                                                            "check_cols=['name'], updated_at='updated_at'"),
}

NULL_UPDATED_AT = Scenario(
    name="snapshot_null_updated_at",
    doc="null updated_at values with the timestamp strategy and the check strategy; a run with --empty",
    files={"seeds/people.csv": PEOPLE[1], **{f"snapshots/{n}.sql": sql for n, sql in NULL_SNAPSHOTS.items()}},
    steps=(Step(("build",)), Step(("build",), write={"seeds/people.csv": NULL_TIMES[2]}),
           Step(("build",), write={"seeds/people.csv": NULL_TIMES[3]}), Step(("snapshot", "--empty"))),
    capture=tuple(NULL_SNAPSHOTS),
)

SCENARIOS = [STRATEGIES, HARD_DELETES, META, SCHEMA_CHANGES, ODD_CONFIGS, NULL_UPDATED_AT]
