{#- DuckDB spellings that are the PostgreSQL ones. dispatch on DuckDB searches duckdb__ then default__ only
    (as dbt-duckdb does), so a postgres__ variant that suits DuckDB is reached from here explicitly. -#}

{% macro duckdb__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {{- return(postgres__listagg(measure, delimiter_text, order_by_clause, limit_num)) -}}
{%- endmacro %}

{% macro duckdb__current_timestamp() -%}
    {{- return(postgres__current_timestamp()) -}}
{%- endmacro %}

{% macro duckdb__current_timestamp_backcompat() -%}
    {{- return(postgres__current_timestamp_backcompat()) -}}
{%- endmacro %}

{% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{- return(postgres__dateadd(datepart, interval, from_date_or_timestamp)) -}}
{%- endmacro %}

{% macro duckdb__split_part(string_text, delimiter_text, part_number) -%}
    {{- return(postgres__split_part(string_text, delimiter_text, part_number)) -}}
{%- endmacro %}

{% macro duckdb__type_string() -%}
    {{- return(postgres__type_string()) -}}
{%- endmacro %}
