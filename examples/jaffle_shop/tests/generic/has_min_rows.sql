{% test has_min_rows(model, min_rows=1) %}

with row_count as (
    select count(*) as n from {{ model }}
)
select n from row_count where n < {{ min_rows }}

{% endtest %}
