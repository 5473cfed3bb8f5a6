{#- Generic data tests over whole rows. Each returns the failing rows (or one summary row on failure). -#}

{% test expression_is_true(model, expression, column_name=none) %}
    {{ return(adapter.dispatch('test_expression_is_true', 'testkit')(model, expression, column_name)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression, column_name) %}
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{% endmacro %}


{% test equal_rowcount(model, compare_model) %}
    {{ return(adapter.dispatch('test_equal_rowcount', 'testkit')(model, compare_model)) }}
{% endtest %}

{% macro default__test_equal_rowcount(model, compare_model) %}
with left_side as (
    select count(*) as row_count from {{ model }}
), right_side as (
    select count(*) as row_count from {{ compare_model }}
)
select left_side.row_count as model_rows, right_side.row_count as compare_rows
from left_side cross join right_side
where left_side.row_count <> right_side.row_count
{% endmacro %}


{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ return(adapter.dispatch('test_unique_combination_of_columns', 'testkit')(model, combination_of_columns)) }}
{% endtest %}

{% macro default__test_unique_combination_of_columns(model, combination_of_columns) %}
{%- set column_list = combination_of_columns | join(', ') -%}
select {{ column_list }}, count(*) as occurrences
from {{ model }}
group by {{ column_list }}
having count(*) > 1
{% endmacro %}


{#- Both sides hold the same multiset of rows (over compare_columns, or every column of `model`). -#}
{% test equality(model, compare_model, compare_columns=none, exclude_columns=none) %}
    {{ return(adapter.dispatch('test_equality', 'testkit')(model, compare_model, compare_columns, exclude_columns)) }}
{% endtest %}

{% macro default__test_equality(model, compare_model, compare_columns, exclude_columns) %}
{%- if not execute -%}
    {{ return('select 1 as not_compiled_yet') }}
{%- endif -%}
{%- if compare_columns is none -%}
    {%- set skip = (exclude_columns or []) | map('lower') | list -%}
    {%- set compare_columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(model) if (column.name | lower) not in skip -%}
        {%- do compare_columns.append(column.quoted) -%}
    {%- endfor -%}
{%- endif -%}
{%- set columns_csv = compare_columns | join(', ') -%}
with left_rows as (
    select {{ columns_csv }}, count(*) as dup_count from {{ model }} group by {{ columns_csv }}
), right_rows as (
    select {{ columns_csv }}, count(*) as dup_count from {{ compare_model }} group by {{ columns_csv }}
), only_left as (
    select * from left_rows
    {{ dbt.except() }}
    select * from right_rows
), only_right as (
    select * from right_rows
    {{ dbt.except() }}
    select * from left_rows
)
select 'only in model' as side, * from only_left
union all
select 'only in compare_model' as side, * from only_right
{% endmacro %}


{#- The newest `field` is at most `interval` dateparts old. -#}
{% test recency(model, field, datepart, interval, ignore_time_component=false) %}
    {{ return(adapter.dispatch('test_recency', 'testkit')(model, field, datepart, interval, ignore_time_component)) }}
{% endtest %}

{% macro default__test_recency(model, field, datepart, interval, ignore_time_component) %}
{%- set now = dbt.current_timestamp() -%}
{%- if ignore_time_component -%}
    {%- set threshold = 'cast(' ~ dbt.dateadd(datepart, interval * -1, now) ~ ' as date)' -%}
    {%- set newest = 'cast(max(' ~ field ~ ') as date)' -%}
{%- else -%}
    {%- set threshold = 'cast(' ~ dbt.dateadd(datepart, interval * -1, now) ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
    {%- set newest = 'cast(max(' ~ field ~ ') as ' ~ dbt.type_timestamp() ~ ')' -%}
{%- endif -%}
with newest as (
    select {{ newest }} as most_recent from {{ model }}
)
select most_recent, {{ threshold }} as threshold
from newest
where most_recent < {{ threshold }} or most_recent is null
{% endmacro %}
