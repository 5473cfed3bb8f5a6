{#- Column-level comparisons. -#}

{#- For one column, how the values of rows matched on primary_key compare between the two queries. -#}
{% macro compare_column_values(a_query, b_query, primary_key, column_to_compare) -%}
    {{ return(adapter.dispatch('compare_column_values', 'relcompare')(a_query, b_query, primary_key, column_to_compare)) }}
{%- endmacro %}

{% macro default__compare_column_values(a_query, b_query, primary_key, column_to_compare) -%}
with a_query as (
    {{ a_query }}
), b_query as (
    {{ b_query }}
), joined as (
    select
        coalesce(a_query.{{ primary_key }}, b_query.{{ primary_key }}) as id,
        a_query.{{ column_to_compare }} as a_value,
        b_query.{{ column_to_compare }} as b_value,
        case
            when a_query.{{ primary_key }} is null then 'missing from a'
            when b_query.{{ primary_key }} is null then 'missing from b'
            when a_query.{{ column_to_compare }} is null and b_query.{{ column_to_compare }} is null then 'both are null'
            when a_query.{{ column_to_compare }} is null then 'null in a only'
            when b_query.{{ column_to_compare }} is null then 'null in b only'
            when a_query.{{ column_to_compare }} = b_query.{{ column_to_compare }} then 'perfect match'
            else 'values do not match'
        end as match_status
    from a_query
    full outer join b_query on a_query.{{ primary_key }} = b_query.{{ primary_key }}
)
select
    match_status,
    count(*) as count_records
from joined
group by match_status
order by match_status
{%- endmacro %}


{#- Which columns the two relations have, with their types, as a query over literal rows. -#}
{% macro compare_relation_columns(a_relation, b_relation) -%}
    {%- if not execute -%}{{ return('select 1 as not_compiled_yet') }}{%- endif -%}
    {%- set a_columns = adapter.get_columns_in_relation(a_relation) -%}
    {%- set b_columns = adapter.get_columns_in_relation(b_relation) -%}
    {%- set b_by_name = {} -%}
    {%- for column in b_columns -%}
        {%- do b_by_name.update({column.name | lower: [loop.index, column]}) -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for column in a_columns -%}
        {%- set other = b_by_name.pop(column.name | lower, none) -%}
        {%- do rows.append([column.name | lower, loop.index, other[0] if other else none,
                            column.dtype | lower, (other[1].dtype | lower) if other else none]) -%}
    {%- endfor -%}
    {%- for name, other in b_by_name.items() -%}
        {%- do rows.append([name, none, other[0], none, other[1].dtype | lower]) -%}
    {%- endfor -%}
    {%- set literal = [] -%}
    {%- for row in rows -%}
        {%- set values = [] -%}
        {%- for value in row -%}
            {%- if value is none -%}{%- do values.append('null') -%}
            {%- elif value is number -%}{%- do values.append(value | string) -%}
            {%- else -%}{%- do values.append(dbt.string_literal(value)) -%}{%- endif -%}
        {%- endfor -%}
        {%- do literal.append('(' ~ values | join(', ') ~ ')') -%}
    {%- endfor -%}
select
    column_name,
    cast(a_ordinal_position as integer) as a_ordinal_position,
    cast(b_ordinal_position as integer) as b_ordinal_position,
    a_data_type,
    b_data_type,
    a_ordinal_position is not null and b_ordinal_position is not null as has_columns_match,
    coalesce(a_data_type = b_data_type, false) as has_data_type_match
from (values {{ literal | join(', ') }}) as columns_compared (column_name, a_ordinal_position, b_ordinal_position, a_data_type, b_data_type)
{%- endmacro %}
