{#- Keys, safe arithmetic, date spines and relation discovery. -#}

{#- md5 over the fields as text, nulls spelled '_null_', joined with '-' (one key per distinct tuple). -#}
{% macro generate_surrogate_key(field_list) -%}
    {{ return(adapter.dispatch('generate_surrogate_key', 'sqlgen')(field_list)) }}
{%- endmacro %}

{% macro default__generate_surrogate_key(field_list) -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
        {%- if not loop.last -%}{%- do parts.append("'-'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'sqlgen')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    ({{ numerator }}) / nullif(({{ denominator }}), 0)
{%- endmacro %}


{#- One row per `datepart` from start_date (inclusive) to end_date (exclusive), column date_<datepart>. -#}
{% macro date_spine(datepart, start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'sqlgen')(datepart, start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(datepart, start_date, end_date) -%}
    {{ dbt.date_spine(datepart, start_date, end_date) }}
{%- endmacro %}


{#- Relations whose schema and name match SQL LIKE patterns, as relation objects (sorted by name). -#}
{% macro get_relations_by_pattern(schema_pattern, table_pattern, exclude='', database=target.database) -%}
    {{ return(adapter.dispatch('get_relations_by_pattern', 'sqlgen')(schema_pattern, table_pattern, exclude, database)) }}
{%- endmacro %}

{% macro default__get_relations_by_pattern(schema_pattern, table_pattern, exclude, database) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select distinct table_schema, table_name,
               case when table_type = 'VIEW' then 'view' else 'table' end as table_type
        from information_schema.tables
        where table_schema like '{{ schema_pattern }}'
          {% if database %}and table_catalog = '{{ database }}'{% endif %}
          and table_name like '{{ table_pattern }}'
          {% if exclude %}and table_name not like '{{ exclude }}'{% endif %}
        order by table_name
    {%- endset -%}
    {%- set found = [] -%}
    {%- for row in run_query(query) -%}
        {%- do found.append(api.Relation.create(database=database, schema=row['table_schema'],
                                                identifier=row['table_name'], type=row['table_type'])) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{#- Names of the models in the project graph that carry `tag` (sorted). -#}
{% macro models_tagged(tag) -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and tag in node.tags -%}
            {%- do names.append(node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names | sort) }}
{%- endmacro %}


{#- Which implementation dispatch chose on this adapter. -#}
{% macro engine_family() -%}
    {{ return(adapter.dispatch('engine_family', 'sqlgen')()) }}
{%- endmacro %}

{% macro default__engine_family() -%}generic{%- endmacro %}

{% macro postgres__engine_family() -%}postgres{%- endmacro %}
