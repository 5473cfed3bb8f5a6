{%- set found = guards.query_as_mapping("select id, code from " ~ ref('codes') ~ " order by id") -%}
{%- if execute and (found.get('code') != ['12345-678', '54321-000'] or found.get('id') != [1, 2]) -%}
select 'columns read wrong: {{ found }}' as problem
{%- else -%}
select 1 as problem where false
{%- endif %}
