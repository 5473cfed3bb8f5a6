{#- What packages read from `graph` besides nodes: sources and exposures. -#}
{%- set rows = [] -%}
{%- if execute -%}
  {%- for src in graph.sources.values() | sort(attribute='unique_id') -%}
    {%- do rows.append(['source', src.unique_id, src.source_name ~ '.' ~ src.name, src.columns | length]) -%}
  {%- endfor -%}
  {%- for exp in graph.exposures.values() | sort(attribute='unique_id') -%}
    {%- do rows.append(['exposure', exp.unique_id, exp.type ~ ':' ~ exp.owner.name, exp.depends_on.nodes | length]) -%}
  {%- endfor -%}
{%- endif -%}
{%- for row in rows %}
select {{ dbt.string_literal(row[0]) }} as kind, {{ dbt.string_literal(row[1]) }} as unique_id,
       {{ dbt.string_literal(row[2]) }} as detail, {{ row[3] }} as n
{% if not loop.last %}union all{% endif %}
{%- endfor %}
