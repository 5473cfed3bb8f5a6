{# Argument checks in the style many hub packages use: a relation is told from a string by its mapping
   shape and the type name in its metadata; ephemeral models are refused by their `is_cte` flag. #}
{% macro require_relation(value, caller_name) %}
    {%- set kind = value.get('metadata', {}).get('type', '') if value is mapping else '' -%}
    {%- if not kind.endswith('Relation') -%}
        {%- do exceptions.raise_compiler_error(caller_name ~ " needs a relation, got: " ~ value) -%}
    {%- endif -%}
{% endmacro %}

{% macro refuse_ephemeral(value, caller_name) %}
    {%- if value.is_cte -%}
        {%- do exceptions.raise_compiler_error(caller_name ~ " cannot read the ephemeral model " ~ value.name) -%}
    {%- endif -%}
{% endmacro %}

{# Every column of a relation but the excluded ones, quoted or not; at parse time the list is unknown. #}
{% macro column_list(relation, except=[], prefix='') %}
    {%- do guards.require_relation(relation, 'column_list') -%}
    {%- do guards.refuse_ephemeral(relation, 'column_list') -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set skip = except | map('lower') | list -%}
    {%- set out = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if col.name | lower not in skip -%}
            {%- do out.append(prefix ~ col.quoted) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out | join(', ')) }}
{% endmacro %}

{# What a relation object says about itself, as text: read by a test at run time. #}
{% macro describe_relation(relation) %}
    {%- do guards.require_relation(relation, 'describe_relation') -%}
    {%- set parts = [
        relation.identifier,
        relation.include(database=false).render(),
        relation.incorporate(type='view').is_view | string,
        relation.quote_policy.get('identifier') | string,
        relation.get('metadata')['type']
    ] -%}
    {{ return(parts | join('|')) }}
{% endmacro %}

{# Columns of a query as a mapping name -> values, through the result table's `columns`. #}
{% macro query_as_mapping(sql) %}
    {%- set found = {} -%}
    {%- if execute -%}
        {%- set table = run_query(sql) -%}
        {%- for name, column in table.columns.items() -%}
            {%- do found.update({name: column.values() | list}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{% endmacro %}
