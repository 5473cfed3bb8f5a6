{% test is_even(model, column_name) %}
select {{ column_name }} from {{ model }} where mod({{ column_name }}, 2) <> 0
{% endtest %}
