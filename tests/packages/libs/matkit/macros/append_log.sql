{#- Append every run's rows to the target (created on the first run or with --full-refresh). New columns
    follow on_schema_change; an `_matkit_run` column records which run inserted each row. -#}
{% materialization append_log, adapter='duckdb' %}
  {%- set target = this.incorporate(type='table') -%}
  {%- set existing = load_cached_relation(this) -%}
  {%- set run_label = config.require('run_label') -%}
  {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
  {%- set labelled -%}
    select *, cast('{{ run_label }}' as {{ dbt.type_string() }}) as _matkit_run from ({{ sql }}) as _matkit_rows
  {%- endset -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing is none or should_full_refresh() %}
    {% if existing is not none %}{{ drop_relation_if_exists(existing) }}{% endif %}
    {% call statement('main') -%}
      {{ get_create_table_as_sql(False, target, labelled) }}
    {%- endcall %}
  {% else %}
    {%- set staged = make_temp_relation(target) -%}
    {% call statement('stage') -%}
      {{ get_create_table_as_sql(True, staged, labelled) }}
    {%- endcall %}
    {%- set dest_columns = process_schema_changes(on_schema_change, staged, existing) -%}
    {%- if not dest_columns -%}
      {%- set dest_columns = adapter.get_columns_in_relation(existing) -%}
    {%- endif -%}
    {%- set strategy = adapter.get_incremental_strategy_macro(context, 'append') -%}
    {% call statement('main') -%}
      {{ strategy({'target_relation': target, 'temp_relation': staged, 'unique_key': none,
                   'dest_columns': dest_columns, 'incremental_predicates': none}) }}
    {%- endcall %}
    {% call statement('drop_stage') -%}
      drop table if exists {{ staged }}
    {%- endcall %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target]}) }}
{% endmaterialization %}

{#- The generic version must never be chosen on DuckDB: the adapter-specific one above wins. -#}
{% materialization append_log, default %}
  {{ exceptions.raise_compiler_error('matkit.append_log: the default implementation was chosen over duckdb') }}
{% endmaterialization %}
