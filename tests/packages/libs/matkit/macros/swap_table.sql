{#- A table built under a temporary name and swapped in by renames, with the previous one kept as a
    backup until the swap commits. Hooks, docs and grants as for dbt's own table materialization. -#}
{% materialization swap_table, default %}
  {%- set existing = load_cached_relation(this) -%}
  {%- set target = this.incorporate(type='table') -%}
  {%- set intermediate = make_intermediate_relation(target) -%}
  {%- set backup_type = existing.type if existing is not none else 'table' -%}
  {%- set backup = make_backup_relation(target, backup_type) -%}
  {%- set grants = config.get('grants') -%}

  {{ drop_relation_if_exists(load_cached_relation(intermediate)) }}
  {{ drop_relation_if_exists(load_cached_relation(backup)) }}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ get_create_table_as_sql(False, intermediate, sql) }}
  {%- endcall %}

  {% if existing is not none %}
    {{ adapter.rename_relation(existing, backup) }}
  {% endif %}
  {{ adapter.rename_relation(intermediate, target) }}

  {% do persist_docs(target, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}

  {{ drop_relation_if_exists(backup) }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {% do apply_grants(target, grants, should_revoke(existing, full_refresh_mode=True)) %}

  {{ return({'relations': [target]}) }}
{% endmaterialization %}
