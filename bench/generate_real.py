"""A real-shaped dbt project, for parse benchmarks: what a large production project looks like.

    python bench/generate_real.py OUT_DIR [--models 3000] [--tests 5000] [--macros 900] [--seed 42]

Unlike bench/generate.py (uniform models that run on tiny data), this project is shaped after large
production projects; only parsing (and listing) it is measured:

- models across three packages: the root project (60%) and two installed packages, `acme_finance` and
  `acme_marketing` (20% each, in dbt_packages/ as `deps` leaves them), plus a macro package `acme_utils`;
  staging models over sources, intermediate and mart models with 1-4 refs, marts reading the packages'
  models with two-argument refs;
- Jinja as real projects write it: `config()` blocks whose values come from `var()` and `env_var()`,
  `{% set %}` lists looped over, `{% if var(...) %}` and `{% if target.name == ... %}` blocks,
  `is_incremental()` filters, calls to project and package macros (pure helpers, dispatched helpers,
  macros reading vars), an overridden `generate_schema_name`, `run_query` behind `execute`;
- properties YAML for every model (descriptions, many from `{{ doc() }}` blocks, columns, config with
  tags and meta) and `--tests` data tests, most with arguments: `accepted_values`, `relationships`, and
  the utility package's generic tests (expression_is_true, accepted_range, not_null_proportion,
  unique_combination_of_columns, relationships_where, recency, ...), some with `where` / `severity`;
- `--macros` macros in all (counting every `{% macro %}` / `{% test %}` definition): helpers, dispatched
  families (`default__` / `duckdb__` / `postgres__`), generic tests, hooks;
- sources (ten, twelve tables each) with `loaded_at_field` and freshness, seeds with column types,
  snapshots, exposures, analyses, singular tests, an on-run-start hook, `dispatch` config, dozens of vars.

dbt-core 1.11 and Mason both parse it without errors (profiles.yml: DuckDB, path from BENCH_DUCKDB_PATH).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

ROOT = "acme"
PACKAGES = ("acme_finance", "acme_marketing")
UTILS = "acme_utils"
DOMAINS = ("orders", "customers", "payments", "products", "inventory", "shipping", "support", "web")
SOURCES = ("shop_db", "billing", "crm", "events", "erp", "ads", "support_desk", "warehouse_db", "hr", "web_analytics")
COLUMNS = ("id", "customer_id", "order_id", "status", "amount", "currency", "created_at", "updated_at",
           "is_deleted", "region", "channel", "quantity")
STATUSES = ("placed", "shipped", "completed", "returned", "cancelled")

# -------------------------------------------------------------------------------------------- macros

UTIL_TESTS = {
    "expression_is_true": ("model, expression, column_name=None", """
select * from {{ model }}
{% if column_name is none %}
where not({{ expression }})
{%- else %}
where not({{ column_name }} {{ expression }})
{%- endif %}"""),
    "accepted_range": ("model, column_name, min_value=none, max_value=none, inclusive=true", """
with meet_condition as (select * from {{ model }})
select * from meet_condition
where 1 = 2
{%- if min_value is not none %} or not({{ column_name }} >{{ '=' if inclusive }} {{ min_value }}){% endif %}
{%- if max_value is not none %} or not({{ column_name }} <{{ '=' if inclusive }} {{ max_value }}){% endif %}"""),
    "not_null_proportion": ("model, column_name, at_least, at_most=1.0", """
with validation as (
    select sum(case when {{ column_name }} is null then 0 else 1 end) / cast(count(*) as double) as prop
    from {{ model }}
)
select * from validation where prop < {{ at_least }} or prop > {{ at_most }}"""),
    "unique_combination_of_columns": ("model, combination_of_columns, quote_columns=false", """
{%- set columns = combination_of_columns if not quote_columns else [] -%}
{%- if quote_columns %}{% for c in combination_of_columns %}{% do columns.append(adapter.quote(c)) %}{% endfor %}{% endif -%}
select {{ columns | join(', ') }} from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1"""),
    "relationships_where": ("model, column_name, to, field, from_condition='1=1', to_condition='1=1'", """
with left_table as (
    select {{ column_name }} as id from {{ model }} where {{ column_name }} is not null and {{ from_condition }}
), right_table as (
    select {{ field }} as id from {{ to }} where {{ field }} is not null and {{ to_condition }}
)
select left_table.id from left_table left join right_table on left_table.id = right_table.id
where right_table.id is null"""),
    "recency": ("model, field, datepart, interval, ignore_time_component=false", """
select max({{ field }}) as most_recent from {{ model }}
having max({{ field }}) < {{ acme_utils.dateadd(datepart, interval * -1, acme_utils.current_ts()) }}"""),
    "at_least_one": ("model, column_name", """
select count({{ column_name }}) as n from {{ model }} having count({{ column_name }}) = 0"""),
    "not_constant": ("model, column_name", """
select count(distinct {{ column_name }}) as n from {{ model }} having count(distinct {{ column_name }}) = 1"""),
    "sequential_values": ("model, column_name, interval=1", """
with windowed as (
    select {{ column_name }}, lag({{ column_name }}) over (order by {{ column_name }}) as previous
    from {{ model }}
)
select * from windowed where not({{ column_name }} = previous + {{ interval }})"""),
    "cardinality_equality": ("model, column_name, to, field", """
select count(distinct {{ column_name }}) as n from {{ model }}
except
select count(distinct {{ field }}) from {{ to }}"""),
}


def _util_macros(n: int) -> dict[str, str]:
    """acme_utils: generic tests (dispatched, as utility packages write them) and helper families."""
    files: dict[str, str] = {}
    count = 0
    for name, (sig, body) in UTIL_TESTS.items():
        args = ", ".join(a.split("=")[0].strip() for a in sig.split(","))
        files[f"macros/generic_tests/{name}.sql"] = (
            f"{{% test {name}({sig}) %}}\n"
            f"  {{{{ return(adapter.dispatch('test_{name}', 'acme_utils')({args})) }}}}\n{{% endtest %}}\n\n"
            f"{{% macro default__test_{name}({sig}) %}}{body}\n{{% endmacro %}}\n")
        count += 2
    fixed = {
        "dateadd.sql": """{% macro dateadd(datepart, interval, from_date_or_timestamp) %}
  {{ return(adapter.dispatch('dateadd', 'acme_utils')(datepart, interval, from_date_or_timestamp)) }}
{% endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}
    dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{% endmacro %}
{% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) %}
    {{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))
{% endmacro %}
{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) %}
    {{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))
{% endmacro %}
""",
        "current_ts.sql": """{% macro current_ts() %}{{ return(adapter.dispatch('current_ts', 'acme_utils')()) }}{% endmacro %}
{% macro default__current_ts() %}current_timestamp{% endmacro %}
""",
        "surrogate_key.sql": """{% macro surrogate_key(field_list) %}
  {{ return(adapter.dispatch('surrogate_key', 'acme_utils')(field_list)) }}
{% endmacro %}
{% macro default__surrogate_key(field_list) %}
{%- set fields = [] -%}
{%- for field in field_list -%}
    {%- do fields.append("coalesce(cast(" ~ field ~ " as varchar), '_null_')") -%}
    {%- if not loop.last %}{%- do fields.append("'-'") -%}{% endif -%}
{%- endfor -%}
md5({{ fields | join(' || ') }})
{% endmacro %}
""",
        "star.sql": """{% macro star_cols(cols, relation_alias=none, prefix='') -%}
{%- for col in cols -%}
    {%- if relation_alias %}{{ relation_alias }}.{% endif %}{{ col }}{% if prefix %} as {{ prefix }}{{ col }}{% endif %}
    {%- if not loop.last %},
    {% endif -%}
{%- endfor -%}
{%- endmacro %}
""",
    }
    files.update({f"macros/{k}": v for k, v in fixed.items()})
    count += 4 + 2 + 2 + 1
    i = 0
    while count < n:
        group = []
        for _ in range(5):
            if count >= n:
                break
            kind = i % 3
            if kind == 0 and count + 3 <= n:
                group.append(
                    f"{{% macro cast_{i}(expr) %}}{{{{ return(adapter.dispatch('cast_{i}', 'acme_utils')(expr)) }}}}"
                    f"{{% endmacro %}}\n{{% macro default__cast_{i}(expr) %}}cast({{{{ expr }}}} as varchar){{% endmacro %}}\n"
                    f"{{% macro postgres__cast_{i}(expr) %}}({{{{ expr }}}})::text{{% endmacro %}}\n")
                count += 3
            elif kind == 1:
                group.append(f"{{% macro safe_{i}(a, b) -%}}\n    case when {{{{ b }}}} = 0 then null else {{{{ a }}}} / "
                             f"{{{{ b }}}} end\n{{%- endmacro %}}\n")
                count += 1
            else:
                group.append(f"{{% macro pivot_{i}(column, values, agg='sum', then_value=1) -%}}\n"
                             f"{{% for v in values %}}{{{{ agg }}}}(case when {{{{ column }}}} = '{{{{ v }}}}' then "
                             f"{{{{ then_value }}}} else 0 end) as {{{{ column }}}}_{{{{ v }}}}{{% if not loop.last %}},"
                             f"{{% endif %}}{{% endfor %}}\n{{%- endmacro %}}\n")
                count += 1
            i += 1
        files[f"macros/helpers_{len(files):03d}.sql"] = "\n".join(group)
    return files


def _project_macros(n: int, project: str, rng: random.Random) -> tuple[dict[str, str], list[str], list[str]]:
    """(files, pure helper names, var-reading macro names)."""
    files: dict[str, str] = {}
    pure: list[str] = []
    reading: list[str] = []
    count = 0
    if project == ROOT:
        files["macros/generate_schema_name.sql"] = """{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ default_schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
"""
        files["macros/hooks.sql"] = """{% macro log_run_start() %}
    {% do log('acme: run started by ' ~ env_var('USER', 'someone') ~ ' on ' ~ target.name, info=False) %}
{% endmacro %}
{% macro grant_select(schema_name) %}
    {% if target.name == 'prod' %}grant usage on schema {{ schema_name }} to reporter{% endif %}
{% endmacro %}
"""
        files["tests/generic/is_positive.sql"] = """{% test is_positive(model, column_name, allow_zero=false) %}
select * from {{ model }} where {{ column_name }} <{{ '' if allow_zero else '=' }} 0
{% endtest %}
"""
        count += 4
    i = 0
    while count < n:
        group = []
        for _ in range(8):
            if count >= n:
                break
            kind = rng.random()
            name = f"{project.split('_')[-1]}_m{i:04d}"
            if kind < 0.45:
                group.append(f"{{% macro {name}(col, scale=2) -%}}\n    round(cast({{{{ col }}}} as double) / 100, "
                             f"{{{{ scale }}}})\n{{%- endmacro %}}\n")
                pure.append(name)
                count += 1
            elif kind < 0.65:
                group.append(f"{{% macro {name}(col) -%}}\n    {{{{ col }}}} >= cast('{{{{ var(\"start_date\") }}}}' "
                             f"as date) - interval '{{{{ var(\"lookback_days\", 3) }}}} day'\n{{%- endmacro %}}\n")
                reading.append(name)
                count += 1
            elif kind < 0.85 and count + 3 <= n:
                group.append(f"{{% macro {name}(x) %}}{{{{ return(adapter.dispatch('{name}', '{project}')(x)) }}}}"
                             f"{{% endmacro %}}\n{{% macro default__{name}(x) %}}coalesce({{{{ x }}}}, 0){{% endmacro %}}\n"
                             f"{{% macro duckdb__{name}(x) %}}coalesce({{{{ x }}}}, 0)::double{{% endmacro %}}\n")
                pure.append(name)
                count += 3
            else:
                group.append(f"{{% macro {name}(relation, cols) -%}}\n{{%- set out = [] -%}}\n"
                             f"{{%- for c in cols %}}{{% do out.append('max(' ~ c ~ ') as max_' ~ c) %}}{{% endfor -%}}\n"
                             f"select {{{{ out | join(', ') }}}} from {{{{ relation }}}}\n{{%- endmacro %}}\n")
                count += 1
            i += 1
        files[f"macros/{project.split('_')[-1]}_{len(files):03d}.sql"] = "\n".join(group)
    return files, pure, reading


# -------------------------------------------------------------------------------------------- models


def _model_sql(rng: random.Random, project: str, layer: str, name: str, parents: list[tuple[str | None, str]],
               source: tuple[str, str] | None, pure: list[str], reading: list[str], materialized: str) -> str:
    out: list[str] = []
    cfg: list[str] = []
    if materialized == "incremental":
        cfg += ["materialized='incremental'", "unique_key='id'", "on_schema_change='append_new_columns'",
                "incremental_strategy=var('incremental_strategy', 'delete+insert')"]
    elif materialized != {"staging": "view", "intermediate": "view", "marts": "table"}[layer]:
        cfg.append(f"materialized='{materialized}'")
    r = rng.random()
    if r < 0.2:
        cfg.append("tags=var('extra_tags', ['nightly'])")
    elif r < 0.35:
        cfg.append(f"tags=['{rng.choice(DOMAINS)}', 'tier_{rng.randint(1, 3)}']")
    if rng.random() < 0.15:
        cfg.append("meta={'owner': env_var('ACME_OWNER', 'analytics'), 'sla_hours': var('sla_hours', 24)}")
    if layer == "marts" and rng.random() < 0.2:
        cfg.append("schema=env_var('ACME_REPORTING_SCHEMA', 'reporting')")
    if rng.random() < 0.05:
        cfg.append("post_hook=\"{{ grant_select(this.schema) }}\"" if project == ROOT else "enabled=true")
    if cfg:
        out.append("{{\n    config(\n        " + ",\n        ".join(cfg) + "\n    )\n}}\n")
    if rng.random() < 0.25:
        out.append("{% set metrics = ['amount', 'quantity', 'discount', 'tax'] %}")
    helper = rng.choice(pure) if pure else None
    reader = rng.choice(reading) if reading and rng.random() < 0.3 else None
    cols = ",\n        ".join(COLUMNS[: rng.randint(5, len(COLUMNS))])
    if source is not None:
        body = f"""with source as (
    select * from {{{{ source('{source[0]}', '{source[1]}') }}}}
),
renamed as (
    select
        {cols},
        {{{{ acme_utils.surrogate_key(['id', 'updated_at']) }}}} as row_key{', ' + '{{ ' + helper + "('amount') }} as amount_dollars" if helper else ''}
    from source
    {{% if not var('include_deleted', false) %}}where not coalesce(is_deleted, false){{% endif %}}
)
select * from renamed
{{% if target.name != 'prod' %}}limit {{{{ var('dev_row_limit', 1000) }}}}{{% endif %}}
"""
    else:
        refs = []
        for j, (pkg, parent) in enumerate(parents):
            call = f"ref('{pkg}', '{parent}')" if pkg else f"ref('{parent}')"
            refs.append(f"p{j} as (\n    select * from {{{{ {call} }}}}\n)")
        joins = "".join(f"\n    left join p{j} on p0.id = p{j}.id" for j in range(1, len(parents)))
        metric = ("{% for m in metrics %}\n        sum(p0.{{ m }}) as total_{{ m }}{% if not loop.last %},{% endif %}"
                  "{% endfor %}" if out and out[-1].startswith("{% set metrics") else "sum(p0.amount) as total_amount")
        extra = f",\n        {{{{ {helper}('p0.amount') }}}} as amount_scaled" if helper else ""
        where = f"\n    where {{{{ {reader}('p0.created_at') }}}}" if reader else ""
        body = (f"with {', '.join(refs)},\nfinal as (\n    select\n        p0.id,\n        p0.customer_id,\n"
                f"        max(p0.status) as status,\n        {metric}{extra}\n    from p0{joins}{where}\n"
                f"    group by 1, 2{', 6' if extra else ''}\n)\nselect * from final\n")
        if materialized == "incremental":
            body += ("{% if is_incremental() %}\nwhere id > (select coalesce(max(id), 0) from {{ this }})\n"
                     "{% endif %}\n")
        if rng.random() < 0.03:
            body = ("{% if execute %}\n  {% set statuses = run_query(\"select distinct status from \" ~ ref('"
                    + parents[0][1] + "')).columns[0].values() %}\n{% else %}\n  {% set statuses = [] %}\n"
                    "{% endif %}\n" + body)
    out.append(body)
    return "\n".join(out)


def _column_tests(rng: random.Random, column: str, model_names: list[tuple[str | None, str]]) -> list:
    """Tests with arguments for one column, as real projects spell them."""
    r = rng.random()
    if column == "id":
        tests: list = ["unique", "not_null"]
        if r < 0.1:
            tests[1] = {"not_null": {"config": {"where": "created_at > '2020-01-01'", "severity": "warn"}}}
        return tests
    if column == "status":
        return [{"accepted_values": {"arguments": {"values": list(STATUSES)},
                                     "config": {"severity": "warn"} if r < 0.3 else {}}}]
    if column == "customer_id" and model_names:
        pkg, target = rng.choice(model_names)
        to = f"ref('{pkg}', '{target}')" if pkg else f"ref('{target}')"
        if r < 0.5:
            return [{"relationships": {"arguments": {"to": to, "field": "id"}}}]
        return [{"acme_utils.relationships_where": {"arguments": {"to": to, "field": "id",
                                                                  "from_condition": "created_at > '2021-01-01'"}}}]
    if column == "amount":
        if r < 0.4:
            return [{"acme_utils.accepted_range": {"arguments": {"min_value": 0, "max_value": 1000000,
                                                                 "inclusive": True}}}]
        if r < 0.7:
            return [{"acme_utils.expression_is_true": {"arguments": {"expression": ">= 0"},
                                                       "config": {"where": "not is_deleted"}}}]
        return [{"is_positive": {"arguments": {"allow_zero": True}}}]
    if column == "created_at":
        return [{"acme_utils.not_null_proportion": {"arguments": {"at_least": 0.95}}}]
    if column == "region":
        return [{"acme_utils.not_constant": {"config": {"severity": "warn"}}}]
    return ["not_null"]


def generate(out: Path, models: int = 3000, tests: int = 5000, macros: int = 900, seed: int = 42) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(seed)
    shares = {ROOT: 0.6, PACKAGES[0]: 0.2, PACKAGES[1]: 0.2}
    counts = {p: int(models * s) for p, s in shares.items()}
    counts[ROOT] += models - sum(counts.values())
    macro_counts = {UTILS: macros // 3, PACKAGES[0]: macros // 18, PACKAGES[1]: macros // 18}
    macro_counts[ROOT] = macros - sum(macro_counts.values())
    roots = {ROOT: out, **{p: out / "dbt_packages" / p for p in (*PACKAGES, UTILS)}}
    written_tests = 0
    test_budget = {p: int(tests * counts[p] / models) for p in counts}

    def write(project: str, rel: str, text: str) -> None:
        path = roots[project] / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    # utility package: macros only
    write(UTILS, "dbt_project.yml", f"name: {UTILS}\nversion: '1.2.0'\nconfig-version: 2\nmacro-paths: ['macros']\n")
    for rel, text in _util_macros(macro_counts[UTILS]).items():
        write(UTILS, rel, text)

    all_models: dict[str, list[str]] = {}
    for project in (*PACKAGES, ROOT):
        files, pure, reading = _project_macros(macro_counts[project], project, rng)
        for rel, text in files.items():
            write(project, rel, text)
        n = counts[project]
        n_stg = max(10, n // 6)
        n_mart = max(5, n // 4)
        n_int = n - n_stg - n_mart
        short = project.split("_")[-1]
        sources = SOURCES[:4] if project != ROOT else SOURCES
        names: list[tuple[str, str, str]] = []  # (layer, domain, name)
        for i in range(n):
            layer = "staging" if i < n_stg else "intermediate" if i < n_stg + n_int else "marts"
            domain = DOMAINS[i % len(DOMAINS)]
            prefix = {"staging": "stg", "intermediate": "int", "marts": "fct" if i % 3 else "dim"}[layer]
            names.append((layer, domain, f"{prefix}_{short}_{domain}_{i:05d}"))
        all_models[project] = [nm for _, _, nm in names]
        by_folder: dict[str, list[dict]] = {}
        budget = test_budget[project]
        for i, (layer, domain, name) in enumerate(names):
            mat = "view" if layer == "staging" else rng.choices(
                ["view", "table", "incremental", "ephemeral"], weights=[5, 3, 2, 1] if layer == "intermediate"
                else [1, 6, 3, 0])[0]
            source = None
            parents: list[tuple[str | None, str]] = []
            if layer == "staging":
                src = sources[i % len(sources)]
                source = (src, f"{src}_{['orders', 'customers', 'payments', 'items', 'events', 'accounts', 'tickets', 'products', 'sessions', 'invoices', 'refunds', 'users'][i % 12]}")
            else:
                pool = [nm for _, _, nm in names[: i]]
                pool = pool[-300:]
                for _ in range(rng.randint(1, 4)):
                    parent = rng.choice(pool)
                    if (None, parent) not in parents:
                        parents.append((None, parent))
                if project == ROOT and layer == "marts" and rng.random() < 0.5:
                    pkg = rng.choice(PACKAGES)
                    parents.append((pkg, rng.choice(all_models[pkg][-100:])))
            folder = f"models/{layer}/{domain}"
            write(project, f"{folder}/{name}.sql",
                  _model_sql(rng, project, layer, name, parents, source, pure, reading, mat))
            # properties: every model documented; tests until this package's budget is spent
            left = len(names) - i
            cols = []
            for col in COLUMNS[: rng.randint(4, 8)]:
                entry: dict = {"name": col, "description": (f"{{{{ doc('col_{col}') }}}}" if rng.random() < 0.5
                                                            else f"The {col.replace('_', ' ')} of the row.")}
                if budget > 0 and rng.random() < budget / max(1, left * 2.5):
                    same = [(p, m) for p, m in parents if mat != "ephemeral"]
                    col_tests = _column_tests(rng, col, same)
                    if mat == "ephemeral":
                        col_tests = []
                    if col_tests:
                        entry["data_tests"] = col_tests
                        budget -= len(col_tests)
                        written_tests += len(col_tests)
                cols.append(entry)
            props: dict = {"name": name, "description": f"{{{{ doc('{layer}_{domain}') }}}}" if i % 2 else
                           f"{layer.capitalize()} model for {domain} ({project}).", "columns": cols}
            if rng.random() < 0.3:
                props["config"] = {"tags": [domain], "meta": {"owner": f"team_{domain}", "pii": rng.random() < 0.2}}
            if layer == "marts" and budget > 0 and rng.random() < 0.3 and mat != "ephemeral":
                props["data_tests"] = [{"acme_utils.unique_combination_of_columns": {
                    "arguments": {"combination_of_columns": ["id", "customer_id"]}}}]
                budget -= 1
                written_tests += 1
            by_folder.setdefault(f"models/{layer}/{domain}", []).append(props)
        for folder, items in by_folder.items():
            write(project, f"{folder}/_{folder.split('/')[-2]}_{folder.split('/')[-1]}__models.yml",
                  _yaml({"version": 2, "models": items}))
        # docs blocks, sources with freshness
        doc_lines = []
        for layer in ("staging", "intermediate", "marts"):
            for domain in DOMAINS:
                doc_lines.append(f"{{% docs {layer}_{domain} %}}\n{layer.capitalize()} models of the {domain} "
                                 f"domain.\n\nBuilt {'daily' if layer == 'marts' else 'hourly'}; see the "
                                 f"runbook for owners.\n{{% enddocs %}}\n")
        for col in COLUMNS:
            doc_lines.append(f"{{% docs col_{col} %}}\nThe `{col}` column: {col.replace('_', ' ')}, as the source "
                             f"system records it.\n{{% enddocs %}}\n")
        for k in range(200 if project == ROOT else 20):
            doc_lines.append(f"{{% docs glossary_{short}_{k:03d} %}}\nGlossary entry {k} of {project}: a business "
                             f"term and how it is computed.\n{{% enddocs %}}\n")
        for k in range(0, len(doc_lines), 25):
            write(project, f"models/docs/docs_{k // 25:02d}.md", "\n".join(doc_lines[k:k + 25]))
        src_entries = []
        for s_i, src in enumerate(sources):
            tables = []
            for t_name in ("orders", "customers", "payments", "items", "events", "accounts", "tickets", "products",
                           "sessions", "invoices", "refunds", "users"):
                table: dict = {"name": f"{src}_{t_name}", "description": f"Raw {t_name} from {src}.",
                               "loaded_at_field": "_loaded_at",
                               "columns": [{"name": "id", "description": "{{ doc('col_id') }}"}]}
                if budget > 0 and project == ROOT:
                    table["columns"][0]["data_tests"] = ["not_null"]
                    budget -= 1
                    written_tests += 1
                tables.append(table)
            src_entries.append({
                "name": src, "description": f"The {src} system.", "schema": f"raw_{src}",
                "config": {"freshness": {"warn_after": {"count": 12 + s_i, "period": "hour"},
                                         "error_after": {"count": 48, "period": "hour"}}},
                "tables": tables})
        write(project, "models/staging/_sources.yml", _yaml({"version": 2, "sources": src_entries}))

    # package projects
    for pkg in PACKAGES:
        write(pkg, "dbt_project.yml", f"""name: {pkg}
version: '2.3.1'
config-version: 2
model-paths: ['models']
macro-paths: ['macros']
vars:
  {pkg}:
    lookback_days: 7
models:
  {pkg}:
    +materialized: view
    staging:
      +tags: ['{pkg}', 'staging']
    intermediate:
      +tags: ['{pkg}']
    marts:
      +materialized: table
      +meta:
        package: {pkg}
""")
    _root_files(out, rng, all_models, macro_counts)
    singular = 50
    for k in range(singular):
        target = rng.choice(all_models[ROOT][-500:])
        (out / "tests" / f"assert_{k:03d}_{target}.sql").write_text(
            f"-- {target}: no negative totals\nselect * from {{{{ ref('{target}') }}}}\n"
            f"where total_amount < {{{{ var('min_total', 0) }}}}\n")
    meta = {"models": models, "models_per_project": counts, "macros": macros, "macros_per_project": macro_counts,
            "yaml_tests": written_tests, "singular_tests": singular, "sources": len(SOURCES) * 12 + 2 * 4 * 12,
            "touch_model_path": f"models/intermediate/{DOMAINS[0]}/{all_models[ROOT][len(all_models[ROOT]) // 2]}.sql"}
    # the touched model's real folder
    for path in (out / "models" / "intermediate").rglob(all_models[ROOT][len(all_models[ROOT]) // 2] + ".sql"):
        meta["touch_model_path"] = str(path.relative_to(out))
    (out / "bench_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _root_files(out: Path, rng: random.Random, all_models: dict[str, list[str]], macro_counts: dict) -> None:
    var_lines = "\n".join(f"    threshold_{k:02d}: {k * 10}" for k in range(30))
    (out / "dbt_project.yml").write_text(f"""name: {ROOT}
version: '4.12.0'
config-version: 2
profile: {ROOT}
require-dbt-version: [">=1.8.0", "<2.0.0"]

model-paths: ['models']
seed-paths: ['seeds']
macro-paths: ['macros']
test-paths: ['tests']
analysis-paths: ['analyses']
snapshot-paths: ['snapshots']
clean-targets: ['target', 'dbt_packages']

on-run-start:
  - "{{{{ log_run_start() }}}}"

dispatch:
  - macro_namespace: acme_utils
    search_order: ['{ROOT}', 'acme_utils']

vars:
  start_date: '2021-01-01'
  lookback_days: 3
  include_deleted: false
  dev_row_limit: 1000
  sla_hours: 24
  incremental_strategy: delete+insert
  extra_tags: ['nightly', 'core']
  regions: ['emea', 'amer', 'apac']
  finance:
    fiscal_year_start_month: 2
    currencies: ['EUR', 'USD', 'GBP']
{var_lines}
  {PACKAGES[0]}:
    lookback_days: 14

models:
  {ROOT}:
    +materialized: view
    +persist_docs:
      relation: true
      columns: true
    staging:
      +tags: ['staging']
      +meta:
        layer: staging
    intermediate:
      +tags: ['intermediate']
      orders:
        +tags: ['orders', 'hourly']
      payments:
        +schema: "{{{{ env_var('ACME_PAYMENTS_SCHEMA', 'payments') }}}}"
    marts:
      +materialized: table
      +schema: marts
      +tags: ['marts', "{{{{ var('mart_tag', 'gold') }}}}"]
      +meta:
        tier: gold
        owner: "{{{{ env_var('ACME_OWNER', 'analytics') }}}}"
  {PACKAGES[0]}:
    marts:
      +schema: finance
  {PACKAGES[1]}:
    +enabled: true

seeds:
  {ROOT}:
    +schema: seeds
    +quote_columns: false

snapshots:
  {ROOT}:
    +target_schema: snapshots

data_tests:
  +store_failures: false
  {ROOT}:
    +severity: error
""")
    (out / "profiles.yml").write_text(f"""{ROOT}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{{{ env_var('BENCH_DUCKDB_PATH', 'bench.duckdb') }}}}"
      schema: "{{{{ env_var('ACME_DEV_SCHEMA', 'dev') }}}}"
      threads: 4
""")
    seeds = out / "seeds"
    seeds.mkdir(exist_ok=True)
    seed_props = []
    for k in range(12):
        name = f"lookup_{k:02d}"
        (seeds / f"{name}.csv").write_text("code,label,valid_from\n" + "".join(
            f"c{j},Label {j},2020-0{1 + j % 9}-01\n" for j in range(20)))
        seed_props.append({"name": name, "description": f"Lookup {k}.",
                           "config": {"column_types": {"code": "varchar", "valid_from": "date"}},
                           "columns": [{"name": "code", "data_tests": ["unique", "not_null"]}]})
    (seeds / "_seeds.yml").write_text(_yaml({"version": 2, "seeds": seed_props}))
    snaps = out / "snapshots"
    snaps.mkdir(exist_ok=True)
    for k in range(20):
        target = all_models[ROOT][k]
        (snaps / f"snap_{k:02d}.sql").write_text(
            f"{{% snapshot snap_{k:02d} %}}\n{{{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}}}\n"
            f"select * from {{{{ ref('{target}') }}}}\n{{% endsnapshot %}}\n")
    analyses = out / "analyses"
    analyses.mkdir(exist_ok=True)
    for k in range(10):
        (analyses / f"adhoc_{k:02d}.sql").write_text(
            f"select status, count(*) from {{{{ ref('{rng.choice(all_models[ROOT])}') }}}} group by 1\n")
    exposures = [{"name": f"dashboard_{k:02d}", "type": "dashboard", "maturity": "high",
                  "owner": {"name": "BI team", "email": "bi@example.com"},
                  "depends_on": [f"ref('{m}')" for m in rng.sample(all_models[ROOT][-400:], 3)],
                  "description": "{{ doc('glossary_acme_001') }}"} for k in range(20)]
    (out / "models" / "_exposures.yml").write_text(_yaml({"version": 2, "exposures": exposures}))
    (out / "tests").mkdir(exist_ok=True)


def _yaml(obj: object) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1000)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--models", type=int, default=3000)
    ap.add_argument("--tests", type=int, default=5000)
    ap.add_argument("--macros", type=int, default=900)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    print(json.dumps(generate(args.out, args.models, args.tests, args.macros, args.seed), indent=2))


if __name__ == "__main__":
    main()
