{#- Relations inside materializations and packages: naming helper relations, looking them up, dropping,
    renaming, and reading the catalog. Written for Mason from dbt's documented macro names and arguments. -#}

{#- A relation for intermediate results. On DuckDB and PostgreSQL it is a session temporary table: no
    database or schema, and a timestamp in the name so that two builds never share one. -#}
{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') -%}
    {{- return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) -}}
{%- endmacro %}

{% macro default__make_temp_relation(base_relation, suffix) -%}
    {%- set identifier = base_relation.identifier ~ suffix -%}
    {{- return(base_relation.incorporate(path={'identifier': identifier})) -}}
{%- endmacro %}

{% macro mason__temp_table_relation(base_relation, suffix) -%}
    {%- set stamp = modules.datetime.datetime.now().strftime('%Y%m%d%H%M%S%f') -%}
    {%- set identifier = base_relation.identifier ~ suffix ~ stamp -%}
    {{- return(api.Relation.create(identifier=identifier)) -}}
{%- endmacro %}

{% macro duckdb__make_temp_relation(base_relation, suffix) -%}
    {{- return(mason__temp_table_relation(base_relation, suffix)) -}}
{%- endmacro %}

{% macro postgres__make_temp_relation(base_relation, suffix) -%}
    {{- return(mason__temp_table_relation(base_relation, suffix)) -}}
{%- endmacro %}


{#- Same schema, a suffixed name: where a table is built before it is swapped in. -#}
{% macro make_intermediate_relation(base_relation, suffix='__dbt_tmp') -%}
    {{- return(adapter.dispatch('make_intermediate_relation', 'dbt')(base_relation, suffix)) -}}
{%- endmacro %}

{% macro default__make_intermediate_relation(base_relation, suffix) -%}
    {{- return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix})) -}}
{%- endmacro %}


{#- Where the existing relation is moved while its replacement is renamed into place. -#}
{% macro make_backup_relation(base_relation, backup_relation_type, suffix='__dbt_backup') -%}
    {{- return(adapter.dispatch('make_backup_relation', 'dbt')(base_relation, backup_relation_type, suffix)) -}}
{%- endmacro %}

{% macro default__make_backup_relation(base_relation, backup_relation_type, suffix) -%}
    {%- set backup = base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix},
                                               type=backup_relation_type) -%}
    {{- return(backup) -}}
{%- endmacro %}


{#- The relation as it exists in the warehouse (with its real type), or none. -#}
{% macro load_cached_relation(relation) -%}
    {{- return(adapter.get_relation(database=relation.database, schema=relation.schema,
                                    identifier=relation.identifier)) -}}
{%- endmacro %}

{% macro load_relation(relation) -%}
    {{- return(load_cached_relation(relation)) -}}
{%- endmacro %}


{#- [exists, relation]: the existing relation, or a new one of `type` to create. -#}
{% macro get_or_create_relation(database, schema, identifier, type) -%}
    {{- return(adapter.dispatch('get_or_create_relation', 'dbt')(database, schema, identifier, type)) -}}
{%- endmacro %}

{% macro default__get_or_create_relation(database, schema, identifier, type) -%}
    {%- set found = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
    {%- if found is not none -%}
        {{- return([true, found]) -}}
    {%- endif -%}
    {{- return([false, api.Relation.create(database=database, schema=schema, identifier=identifier, type=type)]) -}}
{%- endmacro %}


{% macro drop_relation(relation) -%}
    {%- do adapter.drop_relation(relation) -%}
{%- endmacro %}

{% macro drop_relation_if_exists(relation) -%}
    {%- if relation is not none -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro rename_relation(from_relation, to_relation) -%}
    {%- do adapter.rename_relation(from_relation, to_relation) -%}
{%- endmacro %}

{% macro truncate_relation(relation) -%}
    {{- return(adapter.dispatch('truncate_relation', 'dbt')(relation)) -}}
{%- endmacro %}

{% macro default__truncate_relation(relation) -%}
    {%- call statement('truncate_relation') -%}
        truncate table {{ relation }}
    {%- endcall -%}
{%- endmacro %}


{% macro create_schema(relation) -%}
    {%- do adapter.create_schema(relation) -%}
{%- endmacro %}

{% macro drop_schema(relation) -%}
    {%- do adapter.drop_schema(relation) -%}
{%- endmacro %}


{#- The catalog. -#}
{% macro information_schema_name(database) -%}
    {%- if database -%}
        {{- adapter.quote_as_configured(database, 'database') -}}.INFORMATION_SCHEMA
    {%- else -%}
        INFORMATION_SCHEMA
    {%- endif -%}
{%- endmacro %}

{#- A table of (database, schema, name, type) for every table and view in the schema, read now. -#}
{% macro list_relations_without_caching(schema_relation) -%}
    {{- return(adapter.dispatch('list_relations_without_caching', 'dbt')(schema_relation)) -}}
{%- endmacro %}

{% macro default__list_relations_without_caching(schema_relation) -%}
    {%- call statement('list_relations_without_caching', fetch_result=True) -%}
        select
            table_catalog as database,
            table_name as name,
            table_schema as schema,
            case when table_type = 'VIEW' then 'view' else 'table' end as type
        from information_schema.tables
        where lower(table_schema) = lower('{{ schema_relation.schema }}')
        {%- if schema_relation.database %}
          and lower(table_catalog) = lower('{{ schema_relation.database }}')
        {%- endif %}
        order by table_name
    {%- endcall -%}
    {{- return(load_result('list_relations_without_caching').table) -}}
{%- endmacro %}

{% macro list_schemas(database) -%}
    {{- return(adapter.dispatch('list_schemas', 'dbt')(database)) -}}
{%- endmacro %}

{% macro default__list_schemas(database) -%}
    {%- call statement('list_schemas', fetch_result=True) -%}
        select distinct schema_name
        from information_schema.schemata
        {%- if database %}
        where lower(catalog_name) = lower('{{ database }}')
        {%- endif %}
    {%- endcall -%}
    {{- return(load_result('list_schemas').table) -}}
{%- endmacro %}

{% macro check_schema_exists(information_schema, schema) -%}
    {{- return(adapter.dispatch('check_schema_exists', 'dbt')(information_schema, schema)) -}}
{%- endmacro %}

{% macro default__check_schema_exists(information_schema, schema) -%}
    {%- set database = information_schema.database if information_schema.database is defined else none -%}
    {%- call statement('check_schema_exists', fetch_result=True) -%}
        select count(*) from information_schema.schemata
        where lower(schema_name) = lower('{{ schema }}')
        {%- if database %} and lower(catalog_name) = lower('{{ database }}'){% endif %}
    {%- endcall -%}
    {{- return(load_result('check_schema_exists').table) -}}
{%- endmacro %}


{#- Columns. -#}
{% macro get_columns_in_relation(relation) -%}
    {{- return(adapter.get_columns_in_relation(relation)) -}}
{%- endmacro %}

{#- The column names a SELECT returns, found without reading its rows. -#}
{% macro get_columns_in_query(select_sql) -%}
    {{- return(adapter.dispatch('get_columns_in_query', 'dbt')(select_sql)) -}}
{%- endmacro %}

{% macro default__get_columns_in_query(select_sql) -%}
    {%- call statement('get_columns_in_query', fetch_result=True, auto_begin=False) -%}
        select * from (
            {{ select_sql }}
        ) as __dbt_sbq
        where false
        limit 0
    {%- endcall -%}
    {{- return(load_result('get_columns_in_query').table.columns | map(attribute='name') | list) -}}
{%- endmacro %}

{#- "a", "b", "c": column names quoted for the adapter and joined. -#}
{% macro get_quoted_csv(column_names) -%}
    {%- set quoted = [] -%}
    {%- for name in column_names -%}
        {%- do quoted.append(adapter.quote(name)) -%}
    {%- endfor -%}
    {{- return(quoted | join(', ')) -}}
{%- endmacro %}

{% macro alter_column_type(relation, column_name, new_column_type) -%}
    {{- return(adapter.dispatch('alter_column_type', 'dbt')(relation, column_name, new_column_type)) -}}
{%- endmacro %}

{# like dbt: copy into a new column of the new type, drop the old one, rename the copy (the column moves last) #}
{% macro default__alter_column_type(relation, column_name, new_column_type) -%}
    {%- set copy = adapter.quote(column_name ~ '__dbt_alter') -%}
    {%- call statement('alter_column_type') -%}
        alter table {{ relation }} add column {{ copy }} {{ new_column_type }};
        update {{ relation }} set {{ copy }} = {{ adapter.quote(column_name) }};
        alter table {{ relation }} drop column {{ adapter.quote(column_name) }};
        alter table {{ relation }} rename column {{ copy }} to {{ adapter.quote(column_name) }}
    {%- endcall -%}
{%- endmacro %}

{% macro alter_relation_add_remove_columns(relation, add_columns=none, remove_columns=none) -%}
    {{- return(adapter.dispatch('alter_relation_add_remove_columns', 'dbt')(relation, add_columns, remove_columns)) -}}
{%- endmacro %}

{% macro default__alter_relation_add_remove_columns(relation, add_columns, remove_columns) -%}
    {%- for column in add_columns or [] -%}
        {%- call statement('alter_relation_add_column') -%}
            alter {{ relation.type or 'table' }} {{ relation }} add column {{ column.quoted }} {{ column.data_type }}
        {%- endcall -%}
    {%- endfor -%}
    {%- for column in remove_columns or [] -%}
        {%- call statement('alter_relation_remove_column') -%}
            alter {{ relation.type or 'table' }} {{ relation }} drop column {{ column.quoted }}
        {%- endcall -%}
    {%- endfor -%}
{%- endmacro %}
