{# The difference in row counts between two relations: the failure count is the gap itself, set through
   config() while parsing (before the execute guard), as several hub packages do. #}
{% test row_gap(model, compare_model) %}
{{ config(fail_calc = 'coalesce(sum(gap), 0)') }}
{%- if not execute -%}
    {{ return('') }}
{%- endif -%}
{%- do guards.require_relation(compare_model, 'row_gap') -%}
select abs((select count(*) from {{ model }}) - (select count(*) from {{ compare_model }})) as gap
{% endtest %}
