{#- Where nodes are built: database, schema and alias. Projects override these by defining the same names. -#}

{% macro generate_schema_name(custom_schema_name=none, node=none) -%}
    {{- return(adapter.dispatch('generate_schema_name', 'dbt')(custom_schema_name, node)) -}}
{%- endmacro %}

{% macro default__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none or (custom_schema_name | string | trim) == '' -%}
        {{- return(target.schema) -}}
    {%- else -%}
        {{- return(target.schema ~ '_' ~ (custom_schema_name | string | trim)) -}}
    {%- endif -%}
{%- endmacro %}


{#- Alternative: use the custom schema verbatim, but only in the `prod` target. -#}
{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
    {%- if target.name == 'prod' and custom_schema_name is not none -%}
        {{- return(custom_schema_name | string | trim) -}}
    {%- else -%}
        {{- return(target.schema) -}}
    {%- endif -%}
{%- endmacro %}


{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {{- return(adapter.dispatch('generate_alias_name', 'dbt')(custom_alias_name, node)) -}}
{%- endmacro %}

{% macro default__generate_alias_name(custom_alias_name, node) -%}
    {%- if custom_alias_name -%}
        {{- return(custom_alias_name | string | trim) -}}
    {%- elif node.version is defined and node.version is not none and (node.version | string) != '' -%}
        {{- return(node.name ~ '_v' ~ ((node.version | string) | replace('.', '_'))) -}}
    {%- else -%}
        {{- return(node.name) -}}
    {%- endif -%}
{%- endmacro %}


{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {{- return(adapter.dispatch('generate_database_name', 'dbt')(custom_database_name, node)) -}}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name, node) -%}
    {%- if custom_database_name is none or (custom_database_name | string | trim) == '' -%}
        {{- return(target.database) -}}
    {%- else -%}
        {{- return(custom_database_name | string | trim) -}}
    {%- endif -%}
{%- endmacro %}
