{#- Column lists read from the warehouse. Before execution (parsing) there is nothing to read. -#}

{% macro get_filtered_columns_in_relation(from, except=[]) -%}
    {{ return(adapter.dispatch('get_filtered_columns_in_relation', 'sqlgen')(from, except)) }}
{%- endmacro %}

{% macro default__get_filtered_columns_in_relation(from, except) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- do sqlgen.assert_relation(from, 'get_filtered_columns_in_relation') -%}
    {%- do sqlgen.assert_not_ephemeral(from, 'get_filtered_columns_in_relation') -%}
    {%- set skip = except | map('lower') | list -%}
    {%- set kept = [] -%}
    {%- for column in adapter.get_columns_in_relation(from) -%}
        {%- if (column.name | lower) not in skip -%}
            {%- do kept.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(kept) }}
{%- endmacro %}


{#- Every column of `from` spelled out: `"a", "b"` (optionally aliased, prefixed, suffixed). -#}
{% macro star(from, relation_alias=false, except=[], prefix='', suffix='', quote_identifiers=true) -%}
    {{ return(adapter.dispatch('star', 'sqlgen')(from, relation_alias, except, prefix, suffix, quote_identifiers)) }}
{%- endmacro %}

{% macro default__star(from, relation_alias, except, prefix, suffix, quote_identifiers) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set names = sqlgen.get_filtered_columns_in_relation(from, except) -%}
    {%- if names | length == 0 -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for name in names -%}
        {%- set ref_name = adapter.quote(name) if quote_identifiers else name -%}
        {%- set qualified = (relation_alias ~ '.' if relation_alias else '') ~ ref_name -%}
        {%- if prefix or suffix -%}
            {%- set alias = prefix ~ name ~ suffix -%}
            {%- do parts.append(qualified ~ ' as ' ~ (adapter.quote(alias) if quote_identifiers else alias)) -%}
        {%- else -%}
            {%- do parts.append(qualified) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(parts | join(',\n    ')) }}
{%- endmacro %}


{#- The distinct values of a column, most frequent first, as a Python list. -#}
{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
    {{ return(adapter.dispatch('get_column_values', 'sqlgen')(table, column, order_by, max_records, default, where)) }}
{%- endmacro %}

{% macro default__get_column_values(table, column, order_by, max_records, default, where) -%}
    {%- if not execute -%}
        {{ return(default or []) }}
    {%- endif -%}
    {%- set existing = load_relation(table) if table.identifier is defined and table.schema else table -%}
    {%- if existing is none -%}
        {%- if default is not none -%}{{ return(default) }}{%- endif -%}
        {{ exceptions.raise_compiler_error('get_column_values: ' ~ table ~ ' does not exist') }}
    {%- endif -%}
    {%- set query -%}
        select {{ column }} as value
        from {{ table }}
        {% if where %}where {{ where }}{% endif %}
        group by {{ column }}
        order by {{ order_by }}
        {% if max_records is not none %}limit {{ max_records }}{% endif %}
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {{ return(result.columns[0].values() | list) }}
{%- endmacro %}
