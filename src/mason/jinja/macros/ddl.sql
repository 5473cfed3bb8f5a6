{#- DDL for materializations written in Jinja: create table/view as, comments (persist_docs) and grants.
    Mason's own view/table/incremental run in Python; these serve project and package materializations. -#}

{#- The model's sql_header config (set in config() or with `call set_sql_header(config)`), if any. -#}
{% macro mason__sql_header() -%}
    {%- set header = config.get('sql_header', none) -%}
    {{- header ~ '\n' if header else '' -}}
{%- endmacro %}

{% macro set_sql_header(config) -%}
    {{- config.set('sql_header', caller()) -}}
{%- endmacro %}


{% macro get_create_table_as_sql(temporary, relation, sql) -%}
    {{- return(adapter.dispatch('get_create_table_as_sql', 'dbt')(temporary, relation, sql)) -}}
{%- endmacro %}

{% macro default__get_create_table_as_sql(temporary, relation, sql) -%}
    {{- return(create_table_as(temporary, relation, sql)) -}}
{%- endmacro %}

{% macro create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {{- return(adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code)) -}}
{%- endmacro %}

{% macro default__create_table_as(temporary, relation, sql) -%}
{{ mason__sql_header() }}create {% if temporary %}temporary {% endif %}table {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{#- DuckDB keeps temporary tables in its own catalog: they must be created without database and schema. -#}
{% macro duckdb__create_table_as(temporary, relation, sql) -%}
    {%- set target = relation.include(database=false, schema=false) if temporary else relation -%}
{{ mason__sql_header() }}create {% if temporary %}temporary {% endif %}table {{ target }} as (
{{ sql }}
)
{%- endmacro %}


{% macro get_create_view_as_sql(relation, sql) -%}
    {{- return(adapter.dispatch('get_create_view_as_sql', 'dbt')(relation, sql)) -}}
{%- endmacro %}

{% macro default__get_create_view_as_sql(relation, sql) -%}
    {{- return(create_view_as(relation, sql)) -}}
{%- endmacro %}

{% macro create_view_as(relation, sql) -%}
    {{- return(adapter.dispatch('create_view_as', 'dbt')(relation, sql)) -}}
{%- endmacro %}

{% macro default__create_view_as(relation, sql) -%}
{{ mason__sql_header() }}create view {{ relation }} as (
{{ sql }}
)
{%- endmacro %}


{#- CREATE for a relation of any kind the materialization names. -#}
{% macro get_create_sql(relation, sql) -%}
    {%- if relation.is_view -%}
        {{- return(get_create_view_as_sql(relation, sql)) -}}
    {%- else -%}
        {{- return(get_create_table_as_sql(false, relation, sql)) -}}
    {%- endif -%}
{%- endmacro %}

{% macro get_drop_sql(relation) -%}
    drop {{ relation.type or 'table' }} if exists {{ relation }} cascade
{%- endmacro %}

{% macro get_rename_sql(relation, new_name) -%}
    alter {{ relation.type or 'table' }} {{ relation }} rename to {{ adapter.quote(new_name) }}
{%- endmacro %}


{#- persist_docs: the model's description, and its columns' descriptions, as database comments. -#}
{% macro persist_docs(relation, model, for_relation=true, for_columns=true) -%}
    {{- return(adapter.dispatch('persist_docs', 'dbt')(relation, model, for_relation, for_columns)) -}}
{%- endmacro %}

{% macro default__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if for_relation and config.persist_relation_docs() and model.description -%}
        {%- call statement('persist_relation_docs') -%}
            {{ alter_relation_comment(relation, model.description) }}
        {%- endcall -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() and model.columns -%}
        {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- for name, column in model.columns.items() -%}
            {%- if column.description and (name | lower) in existing -%}
                {%- call statement('persist_column_docs') -%}
                    {{ alter_column_comment(relation, name, column.description, column.quote) }}
                {%- endcall -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro alter_relation_comment(relation, relation_comment) -%}
    {{- return(adapter.dispatch('alter_relation_comment', 'dbt')(relation, relation_comment)) -}}
{%- endmacro %}

{% macro default__alter_relation_comment(relation, relation_comment) -%}
    comment on {{ 'view' if relation.is_view else 'table' }} {{ relation }} is {{ dbt.string_literal(dbt.escape_single_quotes(relation_comment)) }}
{%- endmacro %}

{% macro alter_column_comment(relation, column_name, comment, quote=false) -%}
    {{- return(adapter.dispatch('alter_column_comment', 'dbt')(relation, column_name, comment, quote)) -}}
{%- endmacro %}

{% macro default__alter_column_comment(relation, column_name, comment, quote) -%}
    comment on column {{ relation }}.{{ adapter.quote(column_name) if quote else column_name }} is {{ dbt.string_literal(dbt.escape_single_quotes(comment)) }}
{%- endmacro %}


{#- Grants. DuckDB has no GRANT statement, so there they are accepted and not applied. -#}
{% macro copy_grants() -%}
    {{- return(adapter.dispatch('copy_grants', 'dbt')()) -}}
{%- endmacro %}

{% macro default__copy_grants() -%}
    {{- return(true) -}}
{%- endmacro %}

{#- Whether grants from before a rebuild must be revoked: only when the relation existed and was replaced. -#}
{% macro should_revoke(existing_relation, full_refresh_mode=true) -%}
    {%- if existing_relation is none or not existing_relation -%}
        {{- return(false) -}}
    {%- elif full_refresh_mode -%}
        {{- return(true) -}}
    {%- else -%}
        {{- return(not copy_grants()) -}}
    {%- endif -%}
{%- endmacro %}

{% macro get_grant_sql(relation, privilege, grantees) -%}
    {{- return(adapter.dispatch('get_grant_sql', 'dbt')(relation, privilege, grantees)) -}}
{%- endmacro %}

{% macro default__get_grant_sql(relation, privilege, grantees) -%}
    grant {{ privilege }} on {{ relation }} to {{ grantees | join(', ') }}
{%- endmacro %}

{% macro get_revoke_sql(relation, privilege, grantees) -%}
    {{- return(adapter.dispatch('get_revoke_sql', 'dbt')(relation, privilege, grantees)) -}}
{%- endmacro %}

{% macro default__get_revoke_sql(relation, privilege, grantees) -%}
    revoke {{ privilege }} on {{ relation }} from {{ grantees | join(', ') }}
{%- endmacro %}

{% macro apply_grants(relation, grant_config, should_revoke=false) -%}
    {{- return(adapter.dispatch('apply_grants', 'dbt')(relation, grant_config, should_revoke)) -}}
{%- endmacro %}

{% macro default__apply_grants(relation, grant_config, should_revoke=false) -%}
    {%- for privilege, grantees in (grant_config or {}).items() -%}
        {%- set names = [grantees] if grantees is string else grantees -%}
        {%- if names -%}
            {%- call statement('apply_grants') -%}
                {{ get_grant_sql(relation, privilege, names) }}
            {%- endcall -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro duckdb__apply_grants(relation, grant_config, should_revoke=false) -%}
    {%- if grant_config -%}
        {%- do log('grants are not supported on DuckDB; ' ~ relation ~ ' keeps its default access') -%}
    {%- endif -%}
{%- endmacro %}
