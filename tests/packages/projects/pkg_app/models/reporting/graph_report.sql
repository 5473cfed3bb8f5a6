{%- set tagged = sqlgen.models_tagged('reporting') -%}
{%- set ns = namespace(models=0) -%}
{%- for uid in selected_resources if uid.startswith('model.app.') -%}
  {%- set ns.models = ns.models + 1 -%}
{%- endfor -%}
{%- for name in tagged %}
select {{ dbt.string_literal(name) }} as model_name,
       {{ dbt.string_literal(graph.nodes['model.app.' ~ name].config.materialized) }} as materialized,
       {{ ns.models }} as selected_app_models
{% if not loop.last %}union all{% endif %}
{%- endfor %}
