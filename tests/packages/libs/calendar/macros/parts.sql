{#- Date parts for the calendar dimension, dispatched per adapter. -#}

{% macro day_name(date_expression) -%}
    {{ return(adapter.dispatch('day_name', 'calendar')(date_expression)) }}
{%- endmacro %}

{% macro default__day_name(date_expression) -%}
    to_char({{ date_expression }}, 'Day')
{%- endmacro %}

{% macro duckdb__day_name(date_expression) -%}
    dayname({{ date_expression }})
{%- endmacro %}


{#- The fiscal quarter (1-4) of a date, for a fiscal year starting in `start_month`. -#}
{% macro fiscal_quarter(date_expression, start_month=none) -%}
    {%- set first = start_month if start_month is not none else var('calendar_fiscal_year_start_month') -%}
    (cast(floor(mod(cast(extract(month from {{ date_expression }}) as integer) - {{ first }} + 12, 12) / 3) as integer) + 1)
{%- endmacro %}


{% macro iso_week_start(date_expression) -%}
    cast({{ dbt.date_trunc('week', date_expression) }} as date)
{%- endmacro %}
