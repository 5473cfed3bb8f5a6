{#- Null-safe equality: true when both sides are equal or both are null.
    A project that sets the behaviour flag enable_truthy_nulls_equals_macro to false explicitly
    gets plain `=` (SQL three-valued logic), as dbt does. -#}

{% macro equals(expr1, expr2) -%}
    {{- return(adapter.dispatch('equals', 'dbt')(expr1, expr2)) -}}
{%- endmacro %}
{% macro default__equals(expr1, expr2) -%}
    {%- set behavior = adapter.behavior if adapter.behavior is defined else none -%}
    {%- set flag = behavior.enable_truthy_nulls_equals_macro if behavior is not none else none -%}
    {%- if flag is defined and flag is not none and flag is not callable and not flag -%}
    ({{ expr1 }} = {{ expr2 }})
    {%- else -%}
    (case when (({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null)) then true else false end)
    {%- endif -%}
{%- endmacro %}
