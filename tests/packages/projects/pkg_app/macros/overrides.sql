{#- Used: the dispatch config searches this project first for the sqlgen namespace. -#}
{% macro duckdb__safe_divide(numerator, denominator) -%}
    coalesce(({{ numerator }}) / nullif(({{ denominator }}), 0), 0)
{%- endmacro %}

{#- Never used: the dispatch config for calendar searches only the calendar package. -#}
{% macro duckdb__day_name(date_expression) -%}
    'overridden by app'
{%- endmacro %}
