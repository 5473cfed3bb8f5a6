{#- Aggregate functions. -#}

{#- Concatenate `measure` over a group with `delimiter_text` (a SQL expression, e.g. "', '"),
    optionally ordered by `order_by_clause` ("order by x") and keeping at most `limit_num` values. -#}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
    {{- return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) -}}
{%- endmacro %}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
    array_to_string(
        array_slice(
            array_agg({{ measure }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %},
            0,
            {{ limit_num }}
        ),
        {{ delimiter_text }}
    )
    {%- else -%}
    listagg({{ measure }}, {{ delimiter_text }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
    {%- endif -%}
{%- endmacro %}
{% macro postgres__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
    array_to_string(
        (array_agg({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}))[1:{{ limit_num }}],
        {{ delimiter_text }}
    )
    {%- else -%}
    string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %})
    {%- endif -%}
{%- endmacro %}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if order_by_clause and limit_num -%}
    {#- the first limit_num values in order: sort (key, value) structs, keep the values -#}
    {%- set spec = order_by_clause | trim -%}
    {%- set spec = (spec[8:] if spec.lower().startswith('order by') else spec) | trim -%}
    {%- set descending = spec.lower().endswith(' desc') -%}
    {%- set key = spec[:-5] if descending else (spec[:-4] if spec.lower().endswith(' asc') else spec) -%}
    array_join(slice(transform(sort_array(collect_list(struct({{ key }}, {{ measure }} as mason_value)), {{ 'false' if descending else 'true' }}), s -> s.mason_value), 1, {{ limit_num }}), {{ delimiter_text }})
    {%- elif order_by_clause -%}
    listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
    {%- elif limit_num -%}
    array_join(slice(collect_list({{ measure }}), 1, {{ limit_num }}), {{ delimiter_text }})
    {%- else -%}
    array_join(collect_list({{ measure }}), {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}


{% macro any_value(expression) -%}
    {{- return(adapter.dispatch('any_value', 'dbt')(expression)) -}}
{%- endmacro %}
{% macro default__any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}
{% macro postgres__any_value(expression) -%}
    min({{ expression }})
{%- endmacro %}
{% macro duckdb__any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}
{% macro spark__any_value(expression) -%}
    first({{ expression }}, true)
{%- endmacro %}


{% macro bool_or(expression) -%}
    {{- return(adapter.dispatch('bool_or', 'dbt')(expression)) -}}
{%- endmacro %}
{% macro default__bool_or(expression) -%}
    bool_or({{ expression }})
{%- endmacro %}
