{#- Generic data tests over one column. -#}

{% test at_least_one(model, column_name) %}
    {{ return(adapter.dispatch('test_at_least_one', 'testkit')(model, column_name)) }}
{% endtest %}

{% macro default__test_at_least_one(model, column_name) %}
select count({{ column_name }}) as filled
from {{ model }}
having count({{ column_name }}) = 0
{% endmacro %}


{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {{ return(adapter.dispatch('test_accepted_range', 'testkit')(model, column_name, min_value, max_value, inclusive)) }}
{% endtest %}

{% macro default__test_accepted_range(model, column_name, min_value, max_value, inclusive) %}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error('accepted_range on ' ~ column_name ~ ' needs min_value or max_value') }}
{%- endif -%}
{%- set low = '>=' if inclusive else '>' -%}
{%- set high = '<=' if inclusive else '<' -%}
select *
from {{ model }}
where not (
    {%- if min_value is not none %} {{ column_name }} {{ low }} {{ min_value }}{% endif -%}
    {%- if min_value is not none and max_value is not none %} and{% endif -%}
    {%- if max_value is not none %} {{ column_name }} {{ high }} {{ max_value }}{% endif %}
)
{% endmacro %}


{% test not_constant(model, column_name) %}
select count(distinct {{ column_name }}) as distinct_values
from {{ model }}
having count(distinct {{ column_name }}) = 1
{% endtest %}
