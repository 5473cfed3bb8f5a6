"""Deterministic generator of realistic dbt projects for benchmarking.

    python bench/generate.py OUT_DIR --models 1000 [--seed 42] [--big-seed-rows 1000000]

The project has three layers (staging -> intermediate -> marts), 1-3 refs per
model, views / tables / incrementals, folder- and model-level configs and tags,
properties YAML with columns and data tests on about half of the models, a few
macros (one dispatched, one called by models, one custom generic test), small
seeds, sources over the seeds, a singular test, and optionally a big seed.

Every model has the same column shape (id, customer_id, amount, status,
order_date), ``id`` unique and not null, ``status`` in a fixed set and
``amount`` non-negative, so each model's SQL runs on DuckDB and every data
test passes.  The profile (profiles.yml in the project) is DuckDB, its path
taken from ``BENCH_DUCKDB_PATH`` (default ``bench.duckdb``: the file name's
stem, ``bench``, is the database name, so keep it when pointing elsewhere).

The generator writes ``bench_meta.json`` at the project root: the names the
runner needs (a model to select with ``+``, a model to touch, the big seed).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_NAME = "bench"
STATUSES = ("placed", "shipped", "completed", "returned")
PAYMENT_METHODS = ("credit_card", "coupon", "bank_transfer", "gift_card")
REGIONS = ("north", "south", "east", "west")
TAG_POOL = ("daily", "hourly", "finance", "core", "pii", "experimental")
# Raw source tables: CSV files under raw_data/ that the runner loads into schema
# ``raw`` of each fresh DuckDB file (they stand for the warehouse's raw tables).
RAW_TABLE_ROWS = {"raw_customers": 100, "raw_orders": 500, "raw_payments": 600}
# Small lookup seeds that staging models join to.
LOOKUP_SEEDS = {"orders": "status_codes", "payments": "payment_methods", "customers": "regions"}
BIG_SEED = "big_events"


@dataclass
class Model:
    name: str
    layer: str
    folder: str
    materialized: str
    refs: list[str] = field(default_factory=list)
    source: tuple[str, str] | None = None  # (source_name, table) for staging
    seed_ref: str | None = None  # lookup seed that a staging model joins via ref()
    shape: str = "join"
    tags: list[str] = field(default_factory=list)
    documented: bool = False


def _layer_counts(n: int) -> tuple[int, int, int]:
    n_stg = max(3, n // 10)
    n_mart = max(1, (n * 3) // 10)
    n_int = max(1, n - n_stg - n_mart)
    # Small N: make the total exact.
    while n_stg + n_int + n_mart > n and n_int > 1:
        n_int -= 1
    return n_stg, n_int, n_mart


def plan_models(n: int, seed: int) -> list[Model]:
    rng = random.Random(seed)
    n_stg, n_int, n_mart = _layer_counts(n)
    domains = max(1, min(20, n // 100))
    models: list[Model] = []

    sources = ("orders", "payments", "customers")
    staging: list[str] = []
    for i in range(n_stg):
        src = sources[i % 3]
        name = f"stg_{src}_{i:05d}"
        m = Model(name, "staging", f"staging/{src}", "view")
        m.source = ("raw", f"raw_{src}")
        if i % 5 == 4:
            m.seed_ref = LOOKUP_SEEDS[src]
        m.shape = "staging"
        models.append(m)
        staging.append(name)

    intermediate: list[str] = []
    for i in range(n_int):
        dom = f"domain_{i % domains:02d}"
        name = f"int_{dom}_{i:05d}"
        mat = rng.choices(["view", "table", "incremental"], weights=[6, 3, 1])[0]
        m = Model(name, "intermediate", f"intermediate/{dom}", mat)
        k = rng.randint(1, 3)
        # Mostly staging parents early on, then intermediate chains.
        pool_int = intermediate[-200:]
        for _ in range(k):
            if pool_int and rng.random() < 0.6:
                parent = rng.choice(pool_int)
            else:
                parent = rng.choice(staging)
            if parent not in m.refs:
                m.refs.append(parent)
        m.shape = rng.choices(["join", "aggregate", "filter"], weights=[5, 2, 3])[0]
        models.append(m)
        intermediate.append(name)

    marts: list[str] = []
    for i in range(n_mart):
        dom = f"domain_{i % domains:02d}"
        prefix = "fct" if i % 3 else "dim"
        name = f"{prefix}_{dom}_{i:05d}"
        mat = rng.choices(["table", "incremental", "view"], weights=[6, 2, 2])[0]
        m = Model(name, "marts", f"marts/{dom}", mat)
        k = rng.randint(1, 3)
        for _ in range(k):
            if marts and rng.random() < 0.25:
                parent = rng.choice(marts[-100:])
            else:
                parent = rng.choice(intermediate)
            if parent not in m.refs:
                m.refs.append(parent)
        m.shape = rng.choices(["join", "aggregate", "filter"], weights=[5, 3, 2])[0]
        models.append(m)
        marts.append(name)

    for m in models:
        m.tags = sorted(set(rng.sample(TAG_POOL, rng.randint(0, 2))))
        m.documented = rng.random() < 0.5
    return models


# ----------------------------------------------------------------------------- SQL


def _staging_sql(m: Model) -> str:
    assert m.source is not None
    rel = f"{{{{ source('{m.source[0]}', '{m.source[1]}') }}}}"
    table = m.source[1]
    lookup = m.seed_ref
    if table == "raw_orders":
        join = ""
        status = "cast(source.status as varchar)"
        if lookup:
            join = f"\n    inner join {{{{ ref('{lookup}') }}}} as codes on source.status = codes.status"
            status = "cast(codes.status as varchar)"
        body = f"""with source as (

    select * from {rel}

),

renamed as (

    select
        cast(source.id as integer) as id,
        cast(source.customer_id as integer) as customer_id,
        {{{{ cents_to_dollars('source.amount_cents') }}}} as amount,
        {status} as status,
        cast(source.order_date as date) as order_date
    from source{join}

)

select * from renamed
"""
    elif table == "raw_payments":
        if lookup:
            status = "coalesce(methods.status, 'returned')"
            join = f"\nleft join {{{{ ref('{lookup}') }}}} as methods on source.payment_method = methods.payment_method"
        else:
            status = """case source.payment_method
        when 'credit_card' then 'completed'
        when 'coupon' then 'placed'
        when 'bank_transfer' then 'shipped'
        else 'returned'
    end"""
            join = ""
        body = f"""with source as (

    select * from {rel}

)

select
    cast(source.id as integer) as id,
    cast(source.order_id as integer) % 100 + 1 as customer_id,
    {{{{ cents_to_dollars('source.amount_cents') }}}} as amount,
    {status} as status,
    cast(source.paid_at as date) as order_date
from source{join}
"""
    else:
        join = ""
        where = "source.region is not null"
        if lookup:
            join = f"\ninner join {{{{ ref('{lookup}') }}}} as regions on source.region = regions.region"
            where = "regions.region_name is not null"
        body = f"""select
    cast(source.id as integer) as id,
    cast(source.id as integer) as customer_id,
    cast(0 as double) as amount,
    'placed' as status,
    cast(source.signup_date as date) as order_date
from {rel} as source{join}
where {where}
"""
    return body


def _model_sql(m: Model, idx: int, warehouse: str = "duckdb") -> str:
    lines: list[str] = []
    cfg: list[str] = []
    # Some models set their config in SQL; the rest rely on dbt_project.yml / YAML.
    default_mat = {"staging": "view", "intermediate": "view", "marts": "table"}[m.layer]
    if m.materialized == "incremental":
        cfg += ["materialized='incremental'", "unique_key='id'", "on_schema_change='append_new_columns'"]
    elif m.materialized != default_mat:
        cfg.append(f"materialized='{m.materialized}'")
    if idx % 7 == 0 and m.tags:
        cfg.append(f"tags={m.tags!r}")
    if cfg:
        lines.append("{{\n    config(\n        " + ",\n        ".join(cfg) + "\n    )\n}}\n")
    if m.layer == "staging":
        lines.append(_staging_sql(m))
        return "\n".join(lines)

    refs = m.refs
    ctes = [f"base as (\n\n    select * from {{{{ ref('{refs[0]}') }}}}\n\n)"]
    for j, r in enumerate(refs[1:], start=1):
        ctes.append(
            f"p{j} as (\n\n    select id, amount as amount_{j}, order_date as order_date_{j}\n"
            f"    from {{{{ ref('{r}') }}}}\n\n)"
        )
    joins = "".join(f"\n    left join p{j} on base.id = p{j}.id" for j in range(1, len(refs)))
    amount = "base.amount" + "".join(f" + coalesce(p{j}.amount_{j}, 0)" for j in range(1, len(refs)))
    order_date = "base.order_date"
    if len(refs) > 1:
        order_date = (
            "greatest(base.order_date"
            + "".join(f", coalesce(p{j}.order_date_{j}, base.order_date)" for j in range(1, len(refs)))
            + ")"
        )

    if m.shape == "aggregate":
        ctes.append(
            f"joined as (\n\n    select\n        base.customer_id,\n        {amount} as amount,\n"
            f"        base.status,\n        {order_date} as order_date\n    from base{joins}\n\n)"
        )
        final = (
            "select\n    customer_id as id,\n    customer_id,\n    sum(amount) as amount,\n"
            "    max(status) as status,\n    max(order_date) as order_date,\n"
            "    {{ safe_divide('sum(amount)', 'count(*)') }} as avg_amount\n"
            "from joined\ngroup by customer_id"
        )
        final = f"select id, customer_id, amount, status, order_date\nfrom (\n{final}\n) as agg"
    elif m.shape == "filter":
        final = (
            "select\n    base.id,\n    base.customer_id,\n    "
            + (f"round({amount}, 2)" if warehouse == "duckdb" else f"round(cast({amount} as numeric), 2)")
            + " as amount,\n"
            f"    base.status,\n    {order_date} as order_date\nfrom base{joins}\n"
            f"where base.status in ('placed', 'shipped', 'completed', 'returned')"
        )
    else:
        final = (
            f"select\n    base.id,\n    base.customer_id,\n    {amount} as amount,\n"
            f"    base.status,\n    {order_date} as order_date\nfrom base{joins}"
        )
    if m.materialized == "incremental":
        final = (
            f"select * from (\n{final}\n) as src\n"
            "{% if is_incremental() %}\n"
            "where src.order_date >= (select coalesce(max(order_date), cast('1900-01-01' as date)) from {{ this }})\n"
            "{% endif %}"
        )
    lines.append("with " + ",\n\n".join(ctes) + "\n\n" + final + "\n")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- YAML


def _yaml_dump(obj: object) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1000)


def _model_props(m: Model, idx: int) -> dict:
    cols = [
        {
            "name": "id",
            "description": f"Primary key of {m.name}.",
            "data_tests": ["unique", "not_null"],
        },
        {"name": "customer_id", "description": "The customer.", "data_tests": ["not_null"]},
        {"name": "amount", "description": "Amount in dollars."},
        {"name": "status", "description": "Order status."},
        {"name": "order_date", "description": "Date of the order."},
    ]
    if idx % 3 == 0:
        cols[3]["data_tests"] = [{"accepted_values": {"arguments": {"values": list(STATUSES)}}}]
    if idx % 4 == 0:
        cols[2]["data_tests"] = ["non_negative"]
    props: dict = {"name": m.name, "description": f"{m.layer.capitalize()} model {m.name}.", "columns": cols}
    if idx % 5 == 0:
        props["config"] = {"tags": ["documented"], "meta": {"owner": f"team_{idx % 4}"}}
    return props


# ----------------------------------------------------------------------------- seeds


def _raw_csv(name: str, rows: int, rng: random.Random) -> str:
    out: list[str] = []
    if name == "raw_customers":
        out.append("id,first_name,last_name,region,signup_date")
        for i in range(1, rows + 1):
            out.append(
                f"{i},first{i},last{rng.randint(1, 50)},{rng.choice(REGIONS)},"
                f"2020-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
    elif name == "raw_orders":
        out.append("id,customer_id,order_date,status,amount_cents")
        for i in range(1, rows + 1):
            out.append(
                f"{i},{rng.randint(1, 100)},2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                f"{rng.choice(STATUSES)},{rng.randint(100, 100000)}"
            )
    else:
        out.append("id,order_id,payment_method,amount_cents,paid_at")
        for i in range(1, rows + 1):
            out.append(
                f"{i},{rng.randint(1, 500)},{rng.choice(PAYMENT_METHODS)},{rng.randint(100, 50000)},"
                f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
    return "\n".join(out) + "\n"


def write_big_seed(path: Path, rows: int, seed: int = 7) -> None:
    """A large seed: id, customer_id, event_type, amount_cents, event_date."""
    rng = random.Random(seed)
    kinds = ("view", "click", "purchase", "refund")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("id,customer_id,event_type,amount_cents,event_date\n")
        chunk: list[str] = []
        rint = rng.randrange
        for i in range(1, rows + 1):
            chunk.append(
                f"{i},{rint(1, 10001)},{kinds[i & 3]},{rint(0, 100000)},2022-{rint(1, 13):02d}-{rint(1, 29):02d}\n"
            )
            if len(chunk) >= 50000:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))


# ----------------------------------------------------------------------------- project files

DBT_PROJECT = """name: {name}
version: "1.0.0"
config-version: 2
profile: {name}

model-paths: ["models"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
test-paths: ["tests"]
analysis-paths: ["analyses"]
snapshot-paths: ["snapshots"]

clean-targets: ["target", "dbt_packages"]

vars:
  start_date: "2020-01-01"

models:
  {name}:
    +materialized: view
    staging:
      +materialized: view
      +tags: ["staging"]
    intermediate:
      +materialized: view
      +tags: ["intermediate"]
    marts:
      +materialized: table
      +tags: ["marts"]
      +meta:
        tier: gold

seeds:
  {name}:
    +tags: ["raw"]
    regions:
      +column_types:
        created_on: date
"""

PROFILES_POSTGRES = """{name}:
  target: dev
  outputs:
    dev:
      type: postgres
      host: "{{{{ env_var('BENCH_PG_HOST', '127.0.0.1') }}}}"
      port: "{{{{ env_var('BENCH_PG_PORT', '5432') | as_number }}}}"
      user: "{{{{ env_var('BENCH_PG_USER', 'postgres') }}}}"
      password: "{{{{ env_var('BENCH_PG_PASSWORD', '') }}}}"
      dbname: "{{{{ env_var('BENCH_PG_DB', 'bench') }}}}"
      schema: main
      threads: 4
"""

PROFILES = """{name}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{{{ env_var('BENCH_DUCKDB_PATH', 'bench.duckdb') }}}}"
      schema: main
      threads: 4
"""

MACROS = {
    "cents_to_dollars.sql": """{% macro cents_to_dollars(column_name, scale=2) -%}
    round(cast({{ column_name }} as double) / 100, {{ scale }})
{%- endmacro %}
""",
    "safe_divide.sql": """{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'bench')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) = 0 then null else ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}

{% macro duckdb__safe_divide(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
""",
    "non_negative.sql": """{% test non_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
""",
    "log_run_start.sql": """{% macro log_run_start() %}
    {% do log('bench project: run starting', info=False) %}
{% endmacro %}
""",
}


def generate(out: Path, n: int, seed: int = 42, big_seed_rows: int = 0, warehouse: str = "duckdb") -> dict:
    """Write the project to ``out`` (replacing it) and return its metadata. ``warehouse="postgres"``: a
    PostgreSQL profile (connection from BENCH_PG_* variables) and the few spellings PostgreSQL needs
    (numeric where DuckDB's double is rounded); everything else is the same project."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(seed + 1)
    models = plan_models(n, seed)

    (out / "dbt_project.yml").write_text(DBT_PROJECT.format(name=PROJECT_NAME))
    (out / "profiles.yml").write_text((PROFILES if warehouse == "duckdb" else PROFILES_POSTGRES).format(name=PROJECT_NAME))
    for d in ("analyses", "snapshots", "tests"):
        (out / d).mkdir(exist_ok=True)

    macros = out / "macros"
    macros.mkdir()
    for fname, body in MACROS.items():
        (macros / fname).write_text(body if warehouse == "duckdb" else body.replace(" as double)", " as numeric)"))

    raw = out / "raw_data"
    raw.mkdir()
    for name, rows in RAW_TABLE_ROWS.items():
        (raw / f"{name}.csv").write_text(_raw_csv(name, rows, rng))

    seeds = out / "seeds"
    seeds.mkdir()
    (seeds / "status_codes.csv").write_text(
        "status,label,sort_order\n" + "".join(f"{s},{s.capitalize()},{i}\n" for i, s in enumerate(STATUSES))
    )
    (seeds / "payment_methods.csv").write_text(
        "payment_method,status,is_card\n"
        "credit_card,completed,true\ncoupon,placed,false\nbank_transfer,shipped,false\ngift_card,returned,true\n"
    )
    (seeds / "regions.csv").write_text(
        "region,region_name,created_on\n"
        + "".join(f"{r},{r.capitalize()} region,2019-01-0{i + 1}\n" for i, r in enumerate(REGIONS))
    )
    key = {"status_codes": "status", "payment_methods": "payment_method", "regions": "region"}
    seed_props: dict = {
        "version": 2,
        "seeds": [
            {
                "name": name,
                "description": f"Lookup table {name}.",
                "columns": [{"name": col, "data_tests": ["unique", "not_null"]}],
            }
            for name, col in key.items()
        ],
    }
    if big_seed_rows:
        write_big_seed(seeds / f"{BIG_SEED}.csv", big_seed_rows)
        seed_props["seeds"].append(
            {
                "name": BIG_SEED,
                "description": f"{big_seed_rows} synthetic events.",
                "config": {
                    "column_types": {
                        "id": "integer",
                        "customer_id": "integer",
                        "event_type": "varchar",
                        "amount_cents": "integer",
                        "event_date": "date",
                    }
                },
            }
        )
    (seeds / "_seeds.yml").write_text(_yaml_dump(seed_props))

    # Sources: the raw tables (loaded by the runner into schema ``raw``, see load_raw()).
    (out / "models" / "staging").mkdir(parents=True)
    src = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Raw tables from the operational database.",
                "tables": [
                    {
                        "name": t,
                        "description": f"Raw {t[4:]}.",
                        "columns": [{"name": "id", "data_tests": ["unique", "not_null"]}],
                    }
                    for t in RAW_TABLE_ROWS
                ],
            }
        ],
    }
    (out / "models" / "staging" / "_sources.yml").write_text(_yaml_dump(src))

    by_folder: dict[str, list[tuple[int, Model]]] = {}
    for idx, m in enumerate(models):
        d = out / "models" / m.folder
        d.mkdir(parents=True, exist_ok=True)
        sql = _model_sql(m, idx, warehouse)
        (d / f"{m.name}.sql").write_text(sql if warehouse == "duckdb" else sql.replace(" as double)", " as numeric)"))
        by_folder.setdefault(m.folder, []).append((idx, m))
    for folder, items in by_folder.items():
        documented = [_model_props(m, idx) for idx, m in items if m.documented]
        if not documented:
            continue
        # Tags from YAML on some undocumented-in-SQL models.
        for props, (_idx, m) in zip(documented, [it for it in items if it[1].documented]):
            if m.tags and "config" not in props:
                props["config"] = {"tags": m.tags}
        leaf = folder.split("/")[-1]
        (out / "models" / folder / f"_{leaf}__models.yml").write_text(
            _yaml_dump({"version": 2, "models": documented})
        )

    # A singular test on the first mart (amount is never negative).
    first_mart = next(m for m in models if m.layer == "marts")
    (out / "tests" / "assert_mart_amount_non_negative.sql").write_text(
        f"select id from {{{{ ref('{first_mart.name}') }}}} where amount < 0\n"
    )

    # Metadata for the runner.
    children: dict[str, int] = {m.name: 0 for m in models}
    for m in models:
        for r in m.refs:
            children[r] += 1
    stg = [m for m in models if m.layer == "staging"]
    ls_model = max(stg, key=lambda m: (children[m.name], m.name)).name
    ints = [m for m in models if m.layer == "intermediate"]
    touch_model = ints[len(ints) // 2]
    meta = {
        "project_name": PROJECT_NAME,
        "models": len(models),
        "seed": seed,
        "layers": {
            "staging": len(stg),
            "intermediate": len(ints),
            "marts": sum(1 for m in models if m.layer == "marts"),
        },
        "materializations": {
            k: sum(1 for m in models if m.materialized == k) for k in ("view", "table", "incremental")
        },
        "documented_models": sum(1 for m in models if m.documented),
        "ls_select_model": ls_model,
        "touch_model": touch_model.name,
        "touch_model_path": f"models/{touch_model.folder}/{touch_model.name}.sql",
        "raw_tables": list(RAW_TABLE_ROWS),
        "small_seeds": sorted(LOOKUP_SEEDS.values()),
        "big_seed": BIG_SEED if big_seed_rows else None,
        "big_seed_rows": big_seed_rows,
        "warehouse": warehouse,
    }
    (out / "bench_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def load_raw(db_path: Path | str, project: Path | str) -> None:
    """Create schema ``raw`` with the project's raw tables in a DuckDB file.

    The file is written with storage compatible with DuckDB 1.0 so that every
    tool's DuckDB (dbt-duckdb's, Fusion's libduckdb, Mason's) can open it.
    """
    import duckdb

    con = duckdb.connect(str(db_path), config={"storage_compatibility_version": "v1.0.0"})
    try:
        con.execute("create schema if not exists raw")
        for csv in sorted((Path(project) / "raw_data").glob("*.csv")):
            con.execute(
                f'create or replace table raw."{csv.stem}" as select * from read_csv(?, header = true)',
                [str(csv)],
            )
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="project folder to (re)create")
    ap.add_argument("--models", "-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=42, help="random seed (same seed, same project)")
    ap.add_argument(
        "--big-seed-rows", type=int, default=0, help="also write a big seed CSV with this many rows"
    )
    ap.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb", help="the profile's warehouse")
    args = ap.parse_args(argv)
    meta = generate(args.out, args.models, args.seed, args.big_seed_rows, args.warehouse)
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
