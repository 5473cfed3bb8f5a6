{#- Data type names and casts. -#}

{% macro type_string() -%}
    {{- return(adapter.dispatch('type_string', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_string() -%}{{- return('varchar') -}}{%- endmacro %}
{% macro postgres__type_string() -%}{{- return('text') -}}{%- endmacro %}
{% macro spark__type_string() -%}{{- return('string') -}}{%- endmacro %}


{% macro type_timestamp() -%}
    {{- return(adapter.dispatch('type_timestamp', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_timestamp() -%}{{- return('timestamp') -}}{%- endmacro %}


{% macro type_float() -%}
    {{- return(adapter.dispatch('type_float', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_float() -%}{{- return('float') -}}{%- endmacro %}
{% macro spark__type_float() -%}{{- return('double') -}}{%- endmacro %}


{% macro type_numeric() -%}
    {{- return(adapter.dispatch('type_numeric', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_numeric() -%}{{- return('numeric(28,6)') -}}{%- endmacro %}
{% macro spark__type_numeric() -%}{{- return('decimal(28,6)') -}}{%- endmacro %}


{% macro type_bigint() -%}
    {{- return(adapter.dispatch('type_bigint', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_bigint() -%}{{- return('bigint') -}}{%- endmacro %}


{% macro type_int() -%}
    {{- return(adapter.dispatch('type_int', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_int() -%}{{- return('integer') -}}{%- endmacro %}
{% macro spark__type_int() -%}{{- return('int') -}}{%- endmacro %}


{% macro type_boolean() -%}
    {{- return(adapter.dispatch('type_boolean', 'dbt')()) -}}
{%- endmacro %}
{% macro default__type_boolean() -%}{{- return('boolean') -}}{%- endmacro %}


{% macro cast(field, type) -%}
    {{- return(adapter.dispatch('cast', 'dbt')(field, type)) -}}
{%- endmacro %}
{% macro default__cast(field, type) -%}
    cast({{ field }} as {{ type }})
{%- endmacro %}


{#- A cast that yields null instead of failing, where the database has one. -#}
{% macro safe_cast(field, type) -%}
    {{- return(adapter.dispatch('safe_cast', 'dbt')(field, type)) -}}
{%- endmacro %}
{% macro default__safe_cast(field, type) -%}
    cast({{ field }} as {{ type }})
{%- endmacro %}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}


{% macro cast_bool_to_text(field) -%}
    {{- return(adapter.dispatch('cast_bool_to_text', 'dbt')(field)) -}}
{%- endmacro %}
{% macro default__cast_bool_to_text(field) -%}
    cast({{ field }} as {{ dbt.type_string() }})
{%- endmacro %}
