{#- Reshaping: pivot, unpivot, union of relations with different columns, deduplication. -#}

{% macro pivot(column, values, alias=true, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0,
               quote_identifiers=true) -%}
    {%- set parts = [] -%}
    {%- for value in values -%}
        {%- set expression = agg ~ '(case when ' ~ column ~ ' ' ~ cmp ~ " '" ~ dbt.escape_single_quotes(value | string)
                              ~ "' then " ~ then_value ~ ' else ' ~ else_value ~ ' end)' -%}
        {%- if alias -%}
            {%- set name = prefix ~ value ~ suffix -%}
            {%- set expression = expression ~ ' as ' ~ (adapter.quote(name) if quote_identifiers else name) -%}
        {%- endif -%}
        {%- do parts.append(expression) -%}
    {%- endfor -%}
    {{ return(parts | join(',\n    ')) }}
{%- endmacro %}


{#- One row per (row, column): the kept columns, then the column name and its value cast to `cast_to`. -#}
{% macro unpivot(relation, cast_to='varchar', exclude=none, remove=none, field_name='field_name',
                 value_name='value') -%}
    {{ return(adapter.dispatch('unpivot', 'sqlgen')(relation, cast_to, exclude, remove, field_name, value_name)) }}
{%- endmacro %}

{% macro default__unpivot(relation, cast_to, exclude, remove, field_name, value_name) -%}
    {%- if not execute -%}{{ return('select 1 as not_compiled_yet') }}{%- endif -%}
    {%- do sqlgen.assert_relation(relation, 'unpivot') -%}
    {%- set keep = (exclude or []) | map('lower') | list -%}
    {%- set drop = (remove or []) | map('lower') | list -%}
    {%- set kept_columns = [] -%}
    {%- set turned = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if (column.name | lower) in keep -%}
            {%- do kept_columns.append(column) -%}
        {%- elif (column.name | lower) not in drop -%}
            {%- do turned.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for column in turned -%}
        {%- set body -%}
select
    {% for kept in kept_columns %}{{ kept.quoted }}, {% endfor -%}
    cast('{{ column.name }}' as {{ dbt.type_string() }}) as {{ adapter.quote(field_name) }},
    cast({{ column.quoted }} as {{ cast_to }}) as {{ adapter.quote(value_name) }}
from {{ relation }}
        {%- endset -%}
        {%- do selects.append(body) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{%- endmacro %}


{#- Union relations whose columns differ: every column of any relation, null where a relation lacks it,
    plus a column naming the relation each row came from. -#}
{% macro union_relations(relations, column_override=none, include=[], exclude=[],
                         source_column_name='_dbt_source_relation') -%}
    {{ return(adapter.dispatch('union_relations', 'sqlgen')(relations, column_override, include, exclude,
                                                           source_column_name)) }}
{%- endmacro %}

{% macro default__union_relations(relations, column_override, include, exclude, source_column_name) -%}
    {%- if not execute -%}{{ return('select 1 as not_compiled_yet') }}{%- endif -%}
    {%- for relation in relations -%}
        {%- do sqlgen.assert_relation(relation, 'union_relations') -%}
    {%- endfor -%}
    {%- if include and exclude -%}
        {{ exceptions.raise_compiler_error('union_relations takes include or exclude, not both') }}
    {%- endif -%}
    {%- set overrides = column_override or {} -%}
    {%- set wanted = include | map('lower') | list -%}
    {%- set unwanted = exclude | map('lower') | list -%}
    {%- set order = [] -%}
    {%- set types = {} -%}
    {%- set per_relation = [] -%}
    {%- for relation in relations -%}
        {%- set present = {} -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- set key = column.name | lower -%}
            {%- if (not wanted or key in wanted) and key not in unwanted -%}
                {%- if key not in types -%}
                    {%- do order.append(column.name) -%}
                    {%- do types.update({key: overrides.get(column.name, column.data_type)}) -%}
                {%- endif -%}
                {%- do present.update({key: column}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do per_relation.append(present) -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for relation in relations -%}
        {%- set present = per_relation[loop.index0] -%}
        {%- set body -%}
select
    cast({{ dbt.string_literal(relation) }} as {{ dbt.type_string() }}) as {{ adapter.quote(source_column_name) }},
    {% for name in order -%}
    {%- set key = name | lower -%}
    {%- if key in present -%}
    cast({{ adapter.quote(present[key].name) }} as {{ types[key] }}) as {{ adapter.quote(name) }}
    {%- else -%}
    cast(null as {{ types[key] }}) as {{ adapter.quote(name) }}
    {%- endif %}{{ ',' if not loop.last }}
    {% endfor %}
from {{ relation }}
        {%- endset -%}
        {%- do selects.append(body) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{%- endmacro %}


{#- Keep the first row of each partition by order_by. -#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('deduplicate', 'sqlgen')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__deduplicate(relation, partition_by, order_by) -%}
with numbered as (
    select
        _src.*,
        row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _sqlgen_row
    from {{ relation }} as _src
)
select {{ sqlgen.star(relation) }}
from numbered
where _sqlgen_row = 1
{%- endmacro %}

{% macro duckdb__deduplicate(relation, partition_by, order_by) -%}
select *
from {{ relation }}
qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro postgres__deduplicate(relation, partition_by, order_by) -%}
select distinct on ({{ partition_by }}) *
from {{ relation }}
order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}
