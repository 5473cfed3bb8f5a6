{#- Compare two relations row by row: how many rows are in both, only in a, only in b. -#}

{% macro compare_queries(a_query, b_query, primary_key=none, summarize=true) -%}
    {{ return(adapter.dispatch('compare_queries', 'relcompare')(a_query, b_query, primary_key, summarize)) }}
{%- endmacro %}

{% macro default__compare_queries(a_query, b_query, primary_key, summarize) -%}
with a as (
    {{ a_query }}
), b as (
    {{ b_query }}
), a_intersect_b as (
    select * from a
    {{ dbt.intersect() }}
    select * from b
), a_except_b as (
    select * from a
    {{ dbt.except() }}
    select * from b
), b_except_a as (
    select * from b
    {{ dbt.except() }}
    select * from a
), all_records as (
    select *, true as in_a, true as in_b from a_intersect_b
    union all
    select *, true as in_a, false as in_b from a_except_b
    union all
    select *, false as in_a, true as in_b from b_except_a
)
{%- if summarize %}
, summary as (
    select in_a, in_b, count(*) as row_count
    from all_records
    group by in_a, in_b
)
select
    in_a,
    in_b,
    row_count,
    round(100.0 * row_count / sum(row_count) over (), 2) as percent_of_total
from summary
order by in_a desc, in_b desc
{%- else %}
select * from all_records
where not (in_a and in_b)
{%- if primary_key %}
order by {{ primary_key }}, in_a desc, in_b desc
{%- endif %}
{%- endif %}
{%- endmacro %}


{% macro compare_relations(a_relation, b_relation, exclude_columns=[], primary_key=none, summarize=true) -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- set skip = exclude_columns | map('lower') | list -%}
        {%- for column in adapter.get_columns_in_relation(a_relation) if (column.name | lower) not in skip -%}
            {%- do columns.append(column.quoted) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set column_list = columns | join(', ') if columns else '*' -%}
    {%- set a_query = 'select ' ~ column_list ~ ' from ' ~ a_relation -%}
    {%- set b_query = 'select ' ~ column_list ~ ' from ' ~ b_relation -%}
    {{ relcompare.compare_queries(a_query, b_query, primary_key, summarize) }}
{%- endmacro %}


{% macro compare_row_counts(a_relation, b_relation) -%}
select 'a' as relation_side, {{ dbt.string_literal(a_relation.identifier) }} as relation_name, count(*) as total_records
from {{ a_relation }}
union all
select 'b' as relation_side, {{ dbt.string_literal(b_relation.identifier) }} as relation_name, count(*) as total_records
from {{ b_relation }}
{%- endmacro %}
