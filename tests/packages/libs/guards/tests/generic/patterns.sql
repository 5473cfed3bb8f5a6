{% test matches_regex(model, column_name, regex, flags='') %}
select * from {{ model }}
where not regexp_matches({{ column_name }}, '{{ regex }}'{% if flags %}, '{{ flags }}'{% endif %})
{% endtest %}

{% test matches_like(model, column_name, like_pattern) %}
select * from {{ model }} where not ({{ column_name }} like '{{ like_pattern }}' escape '\')
{% endtest %}

{# The argument as it reaches SQL must equal the text in `expected_column`. #}
{% test arg_reaches_sql(model, column_name, value) %}
select * from {{ model }} where {{ column_name }} <> '{{ value }}'
{% endtest %}

{# Any arguments at all: passes; used for dbt's test names and ids from each kind of argument. #}
{% test accepts_anything(model, column_name=none, options=none, values=none, text=none) %}
select * from {{ model }} where false
{% endtest %}
