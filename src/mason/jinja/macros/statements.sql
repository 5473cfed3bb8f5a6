{#- Statements and hooks inside Jinja materializations. -#}

{#- Record a result for `name` without running anything (a materialization with nothing to do). -#}
{% macro noop_statement(name=none, message=none, code=none, rows_affected=none, res=none) -%}
    {%- set sql = caller() -%}
    {%- if name == 'main' -%}
        {%- do log('Writing runtime SQL for node (no-op)') -%}
    {%- endif -%}
    {%- if name is not none -%}
        {%- do store_raw_result(name=name, message=message or 'OK', code=code or 'OK',
                                rows_affected=rows_affected if rows_affected is not none else -1,
                                agate_table=res) -%}
    {%- endif -%}
{%- endmacro %}


{#- Run the hooks whose `transaction` flag equals inside_transaction. Hooks outside the transaction run
    after committing whatever is open, so they never share the model's transaction. -#}
{% macro run_hooks(hooks, inside_transaction=true) -%}
    {%- for hook in hooks or [] -%}
        {%- set in_txn = hook.get('transaction', true) if hook is mapping else true -%}
        {%- if (in_txn and inside_transaction) or (not in_txn and not inside_transaction) -%}
            {%- if not inside_transaction -%}
                {%- do adapter.commit() -%}
            {%- endif -%}
            {%- set text = hook.get('sql', '') if hook is mapping else hook -%}
            {%- set rendered = render(text) | trim -%}
            {%- if rendered -%}
                {%- call statement(auto_begin=inside_transaction) -%}
                    {{ rendered }}
                {%- endcall -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro make_hook_config(sql, inside_transaction) -%}
    {{- return({'sql': sql, 'transaction': inside_transaction}) -}}
{%- endmacro %}


{#- store_failures from the test's config, else the --store-failures flag. -#}
{% macro should_store_failures() -%}
    {%- set configured = config.get('store_failures') -%}
    {%- if configured is none -%}
        {{- return(flags.STORE_FAILURES or false) -}}
    {%- endif -%}
    {{- return(configured) -}}
{%- endmacro %}


{#- The query a data test runs: failure count and whether it crosses warn_if / error_if. -#}
{% macro get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {{- return(adapter.dispatch('get_test_sql', 'dbt')(main_sql, fail_calc, warn_if, error_if, limit)) -}}
{%- endmacro %}

{% macro default__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
select
    {{ fail_calc }} as failures,
    {{ fail_calc }} {{ warn_if }} as should_warn,
    {{ fail_calc }} {{ error_if }} as should_error
from (
    {{ main_sql }}
    {{ 'limit ' ~ limit if limit is not none }}
) dbt_internal_test
{%- endmacro %}
