{#- Set operators, for joining two SELECTs. -#}

{% macro except() -%}
    {{- return(adapter.dispatch('except', 'dbt')()) -}}
{%- endmacro %}
{% macro default__except() -%}
    except
{%- endmacro %}


{% macro intersect() -%}
    {{- return(adapter.dispatch('intersect', 'dbt')()) -}}
{%- endmacro %}
{% macro default__intersect() -%}
    intersect
{%- endmacro %}
