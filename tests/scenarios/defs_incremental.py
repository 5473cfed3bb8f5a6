"""Incremental model scenarios: strategies and their options, on_schema_change, full refresh, lookback."""

from __future__ import annotations

from .harness import Scenario, Step, csv


def incremental(config: str, body: str = "select * from {{ ref('src') }}") -> str:
    """A model file: `config(materialized='incremental', <config>)` then `body`."""
    return f"{{{{ config(materialized='incremental', {config}) }}}}\n{body}\n"


# -- strategies ------------------------------------------------------------------------------------------
# `src` is keyed by id; `pairs` by (id, grp), where id alone repeats. Between versions rows change, get
# deleted and appear; v3 sets a value to null and brings back a deleted key.
SRC = {
    1: csv("id,v,w", "1,a,x", "2,b,x", "3,c,x"),
    2: csv("id,v,w", "2,b2,y", "3,c,x", "4,d,y"),
    3: csv("id,v,w", "1,a3,z", "2,b2,", "4,d3,y", "5,e,z"),
}
PAIRS = {
    1: csv("id,grp,v", "1,1,a", "1,2,b", "2,1,c"),
    2: csv("id,grp,v", "1,2,B", "2,1,c", "2,2,d"),
    3: csv("id,grp,v", "1,1,A", "2,2,D", "3,1,e"),
}
PAIRS_SQL = "select * from {{ ref('pairs') }}"

STRATEGY_MODELS = {
    "inc_append": incremental("incremental_strategy='append'"),
    "inc_default_with_key": incremental("unique_key='id'"),
    "inc_merge": incremental("incremental_strategy='merge', unique_key='id'"),
    "inc_merge_no_key": incremental("incremental_strategy='merge'"),
    "inc_merge_composite": incremental("incremental_strategy='merge', unique_key=['id', 'grp']", PAIRS_SQL),
    "inc_merge_update_columns": incremental(
        "incremental_strategy='merge', unique_key='id', merge_update_columns=['v']"),
    "inc_merge_exclude_columns": incremental(
        "incremental_strategy='merge', unique_key='id', merge_exclude_columns=['v']"),
    # only target rows with id >= 3 can match: the new versions of ids 1 and 2 are inserted beside the old
    "inc_merge_predicates": incremental(
        "incremental_strategy='merge', unique_key='id', "
        "incremental_predicates=['DBT_INTERNAL_DEST.id >= 3']"),
    "inc_delete_insert": incremental("incremental_strategy='delete+insert', unique_key='id'"),
    "inc_delete_insert_composite": incremental(
        "incremental_strategy='delete+insert', unique_key=['id', 'grp']", PAIRS_SQL),
    "inc_delete_insert_no_key": incremental("incremental_strategy='delete+insert'"),
    # only target rows with id >= 3 are deleted before the insert
    "inc_delete_insert_predicates": incremental(
        "incremental_strategy='delete+insert', unique_key='id', incremental_predicates=['id >= 3']"),
}

STRATEGIES = Scenario(
    name="incremental_strategies",
    doc="every strategy and merge option across three versions of the source rows",
    files={"seeds/src.csv": SRC[1], "seeds/pairs.csv": PAIRS[1],
           **{f"models/{n}.sql": sql for n, sql in STRATEGY_MODELS.items()}},
    steps=(
        Step(("build",)),
        Step(("build",), write={"seeds/src.csv": SRC[2], "seeds/pairs.csv": PAIRS[2]}),
        Step(("build",), write={"seeds/src.csv": SRC[3], "seeds/pairs.csv": PAIRS[3]}),
    ),
    capture=tuple(STRATEGY_MODELS),
)

# -- on_schema_change --------------------------------------------------------------------------------------
# Each model takes the rows newer than its table's; step 2 changes the columns: `c` appears, `b` goes and
# `n` changes type (integer -> text). Step 3 runs once more with the new columns, then step 4 rebuilds the
# failed model with --full-refresh.
ROWS = {1: csv("id,n", "1,10", "2,20"), 2: csv("id,n", "1,10", "2,20", "3,30"),
        3: csv("id,n", "1,10", "2,20", "3,30", "4,40")}
NEWER = "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}"
OLD_COLS = "select id, 'a' || id as a, 'b' || id as b, n from {{ ref('rows') }}\n" + NEWER
ADDED = "select id, 'a' || id as a, 'b' || id as b, n, 'c' || id as c from {{ ref('rows') }}\n" + NEWER
DROPPED = "select id, 'a' || id as a, n from {{ ref('rows') }}\n" + NEWER
RETYPED = "select id, 'a' || id as a, 'b' || id as b, cast(n as varchar) || '!' as n from {{ ref('rows') }}\n" + NEWER
ALL_CHANGES = "select id, cast(n as varchar) || '!' as n, 'c' || id as c, 'a' || id as a from {{ ref('rows') }}\n" + NEWER

OSC_CASES = {
    # name: (on_schema_change, strategy options, SQL after the change)
    "osc_ignore_added": ("ignore", "incremental_strategy='append'", ADDED),
    "osc_ignore_dropped": ("ignore", "incremental_strategy='append'", DROPPED),
    "osc_fail_added": ("fail", "incremental_strategy='append'", ADDED),
    "osc_fail_retyped": ("fail", "incremental_strategy='append'", RETYPED),
    "osc_append_added": ("append_new_columns", "incremental_strategy='append'", ADDED),
    "osc_append_all": ("append_new_columns", "incremental_strategy='append'", ALL_CHANGES),
    "osc_sync_added": ("sync_all_columns", "incremental_strategy='append'", ADDED),
    "osc_sync_dropped": ("sync_all_columns", "incremental_strategy='append'", DROPPED),
    "osc_sync_retyped": ("sync_all_columns", "incremental_strategy='append'", RETYPED),
    "osc_sync_all": ("sync_all_columns", "incremental_strategy='append'", ALL_CHANGES),
    "osc_sync_merge": ("sync_all_columns", "incremental_strategy='merge', unique_key='id'", ALL_CHANGES),
    "osc_append_delete_insert": ("append_new_columns", "incremental_strategy='delete+insert', unique_key='id'",
                                 ALL_CHANGES),
}


def _osc(name: str, changed: bool) -> str:
    mode, options, after = OSC_CASES[name]
    return incremental(f"{options}, on_schema_change='{mode}'", after if changed else OLD_COLS)


ON_SCHEMA_CHANGE = Scenario(
    name="on_schema_change",
    doc="ignore / fail / append_new_columns / sync_all_columns with added, dropped and retyped columns",
    files={"seeds/rows.csv": ROWS[1], **{f"models/{n}.sql": _osc(n, False) for n in OSC_CASES}},
    steps=(
        Step(("build",)),
        Step(("build",), write={"seeds/rows.csv": ROWS[2], **{f"models/{n}.sql": _osc(n, True) for n in OSC_CASES}}),
        Step(("build",), write={"seeds/rows.csv": ROWS[3]}),
        Step(("run", "--full-refresh", "-s", "osc_fail_added", "osc_fail_retyped")),
    ),
    capture=tuple(OSC_CASES),
)

# -- full refresh ------------------------------------------------------------------------------------------
FR_MODELS = {
    "fr_default": incremental("incremental_strategy='append'"),
    "fr_config_false": incremental("incremental_strategy='append', full_refresh=false"),
    "fr_config_true": incremental("incremental_strategy='append', full_refresh=true"),
    "fr_merge": incremental("incremental_strategy='merge', unique_key='id'"),
}
# a view turned into an incremental model: its first incremental run rebuilds it as a table
WAS_VIEW = "{{ config(materialized='view') }}\nselect * from {{ ref('src') }}\n"

FULL_REFRESH = Scenario(
    name="full_refresh",
    doc="--full-refresh rebuilds unless full_refresh: false; full_refresh: true always rebuilds",
    files={"seeds/src.csv": SRC[1], "models/fr_was_view.sql": WAS_VIEW,
           **{f"models/{n}.sql": sql for n, sql in FR_MODELS.items()}},
    steps=(
        Step(("build",)),
        Step(("build",), write={"seeds/src.csv": SRC[2],
                                "models/fr_was_view.sql": incremental("incremental_strategy='append'")}),
        Step(("build", "--full-refresh"), write={"seeds/src.csv": SRC[3]}),
        Step(("run",)),
        Step(("run", "--empty")),
    ),
    capture=(*FR_MODELS, "fr_was_view"),
)

# -- a lookback written in the model -------------------------------------------------------------------------
# Rows newer than (latest loaded - 3 days) are reprocessed each run; a late row inside that window lands,
# a correction outside it does not (merge), or is appended again (append keeps every reprocessed row).
ORDERS = {
    1: csv("id,created_at,amount", "1,2024-03-01 10:00:00,10", "2,2024-03-05 10:00:00,20",
           "3,2024-03-10 10:00:00,30"),
    2: csv("id,created_at,amount", "1,2024-03-01 10:00:00,11", "2,2024-03-05 10:00:00,20",
           "3,2024-03-10 10:00:00,33", "4,2024-03-08 09:00:00,40", "5,2024-03-06 09:00:00,50"),
    3: csv("id,created_at,amount", "1,2024-03-01 10:00:00,11", "2,2024-03-05 10:00:00,20",
           "3,2024-03-10 10:00:00,33", "4,2024-03-08 09:00:00,41", "5,2024-03-06 09:00:00,50",
           "6,2024-03-12 00:00:00,60"),
}
LOOKBACK_BODY = ("select id, created_at, amount from {{ ref('orders') }}\n"
                 "{% if is_incremental() %}\n"
                 "where created_at > (select max(created_at) from {{ this }})"
                 " - interval '{{ var('lookback_days', 3) }} days'\n"
                 "{% endif %}")
LOOKBACK_MODELS = {
    "lb_merge": incremental("incremental_strategy='merge', unique_key='id'", LOOKBACK_BODY),
    "lb_delete_insert": incremental("incremental_strategy='delete+insert', unique_key='id'", LOOKBACK_BODY),
    "lb_append": incremental("incremental_strategy='append'", LOOKBACK_BODY),
}

LOOKBACK = Scenario(
    name="lookback_in_model",
    doc="an is_incremental() lookback window: late rows inside the window land, older corrections do not",
    files={"seeds/orders.csv": ORDERS[1], **{f"models/{n}.sql": sql for n, sql in LOOKBACK_MODELS.items()}},
    steps=(
        Step(("build",)),
        Step(("seed",), write={"seeds/orders.csv": ORDERS[2]}, capture=()),
        Step(("run",)),
        Step(("run",)),
        Step(("build",), write={"seeds/orders.csv": ORDERS[3]}),
        # a wider window for once: the old correction of id 1 lands too
        Step(("run", "--vars", "{lookback_days: 15}")),
    ),
    capture=tuple(LOOKBACK_MODELS),
)

# -- edge cases --------------------------------------------------------------------------------------------
# `keys` has a null key (never matches) and, in v2, a key twice in the new rows; `wide` gains a column `x`.
KEYS = {1: csv("id,grp,v", "1,1,a", ",1,n", "2,2,b"),
        2: csv("id,grp,v", "1,1,a2", ",1,n2", "2,2,b2", "2,3,b3", "3,1,c")}
KEYS_SQL = "select * from {{ ref('keys') }}"
WIDE_V1 = "select id, v from {{ ref('src') }}"
WIDE_V2 = "select id, v, upper(v) as x from {{ ref('src') }}"
EDGE_MODELS = {
    "edge_merge_null_key": incremental("incremental_strategy='merge', unique_key='id'",
                                       "select * from {{ ref('keys') }} where grp < 3"),
    "edge_delete_insert_null_key": incremental("incremental_strategy='delete+insert', unique_key='id'", KEYS_SQL),
    # dbt-duckdb joins the new rows' table into the delete: an unqualified column is ambiguous (an error)
    "edge_delete_insert_composite_predicates": incremental(
        "incremental_strategy='delete+insert', unique_key=['id', 'grp'], "
        "incremental_predicates=['DBT_INCREMENTAL_TARGET.grp > 1']", KEYS_SQL),
    "edge_delete_insert_ambiguous_predicate": incremental(
        "incremental_strategy='delete+insert', unique_key=['id', 'grp'], incremental_predicates=['grp > 1']",
        KEYS_SQL),
    "edge_merge_key_list_of_one": incremental(
        "incremental_strategy='merge', unique_key=['id'], merge_update_columns=['v']"),
    "edge_merge_new_column": incremental(
        "incremental_strategy='merge', unique_key='id', on_schema_change='append_new_columns'", WIDE_V1),
    "edge_merge_exclude_new_column": incremental(
        "incremental_strategy='merge', unique_key='id', on_schema_change='sync_all_columns', "
        "merge_exclude_columns=['x']", WIDE_V1),
    # on_schema_change: ignore with merge, when the model gains a column / loses one
    "edge_merge_ignore_added": incremental("incremental_strategy='merge', unique_key='id'", WIDE_V1),
    "edge_merge_ignore_dropped": incremental("incremental_strategy='merge', unique_key='id'", WIDE_V2),
}
EDGE_V2 = {
    "edge_merge_new_column": incremental(
        "incremental_strategy='merge', unique_key='id', on_schema_change='append_new_columns'", WIDE_V2),
    "edge_merge_exclude_new_column": incremental(
        "incremental_strategy='merge', unique_key='id', on_schema_change='sync_all_columns', "
        "merge_exclude_columns=['x']", WIDE_V2),
    "edge_merge_ignore_added": incremental("incremental_strategy='merge', unique_key='id'", WIDE_V2),
    "edge_merge_ignore_dropped": incremental("incremental_strategy='merge', unique_key='id'", WIDE_V1),
}

EDGES = Scenario(
    name="incremental_edge_cases",
    doc="null and repeated keys, predicates with a composite delete+insert, a one-item key list, changed "
        "columns with merge",
    files={"seeds/keys.csv": KEYS[1], "seeds/src.csv": SRC[1],
           **{f"models/{n}.sql": sql for n, sql in EDGE_MODELS.items()}},
    steps=(
        Step(("build",)),
        Step(("build",), write={"seeds/keys.csv": KEYS[2], "seeds/src.csv": SRC[2],
                                **{f"models/{n}.sql": sql for n, sql in EDGE_V2.items()}}),
        Step(("build",), write={"seeds/src.csv": SRC[3]}),
    ),
    capture=tuple(EDGE_MODELS),
)

# -- configurations dbt refuses (the first run creates the table without using the strategy) -----------------
ROWS_SQL = "select * from {{ ref('rows') }}"
ERROR_MODELS = {
    "err_insert_overwrite": incremental("incremental_strategy='insert_overwrite'", ROWS_SQL),
    "err_unknown_strategy": incremental("incremental_strategy='upsert_please'", ROWS_SQL),
    "err_update_and_exclude": incremental(
        "incremental_strategy='merge', unique_key='id', merge_update_columns=['n'], merge_exclude_columns=['n']",
        ROWS_SQL),
    "ok_beside_errors": incremental("incremental_strategy='append'", ROWS_SQL),
}

CONFIG_ERRORS = Scenario(
    name="incremental_config_errors",
    doc="strategies and options dbt-duckdb refuses fail their model and leave the table as it was",
    files={"seeds/rows.csv": ROWS[1], **{f"models/{n}.sql": sql for n, sql in ERROR_MODELS.items()}},
    steps=(Step(("build",)), Step(("build",), write={"seeds/rows.csv": ROWS[2]})),
    capture=tuple(ERROR_MODELS),
)

SCENARIOS = [STRATEGIES, ON_SCHEMA_CHANGE, FULL_REFRESH, LOOKBACK, EDGES, CONFIG_ERRORS]
