{#- Incremental strategies as SQL, for materializations written in Jinja and for custom strategies.
    Every strategy macro takes one `arg_dict`: target_relation, temp_relation, unique_key, dest_columns,
    incremental_predicates. Predicates may refer to the target as DBT_INTERNAL_DEST. -#}

{% macro mason__predicate_list(incremental_predicates) -%}
    {%- if incremental_predicates is none -%}
        {{- return([]) -}}
    {%- elif incremental_predicates is string -%}
        {{- return([incremental_predicates]) -}}
    {%- else -%}
        {{- return(incremental_predicates | list) -}}
    {%- endif -%}
{%- endmacro %}

{% macro mason__key_list(unique_key) -%}
    {%- if unique_key is none or unique_key == '' -%}
        {{- return([]) -}}
    {%- elif unique_key is string -%}
        {{- return([unique_key]) -}}
    {%- else -%}
        {{- return(unique_key | list) -}}
    {%- endif -%}
{%- endmacro %}


{% macro get_insert_into_sql(target_relation, temp_relation, dest_columns) -%}
    {%- set columns = get_quoted_csv(dest_columns | map(attribute='name')) -%}
insert into {{ target_relation }} ({{ columns }})
select {{ columns }} from {{ temp_relation }}
{%- endmacro %}


{#- Which columns a merge updates: merge_update_columns, or all but merge_exclude_columns, or all. -#}
{% macro get_merge_update_columns(merge_update_columns, merge_exclude_columns, dest_columns) -%}
    {{- return(adapter.dispatch('get_merge_update_columns', 'dbt')(merge_update_columns, merge_exclude_columns, dest_columns)) -}}
{%- endmacro %}

{% macro default__get_merge_update_columns(merge_update_columns, merge_exclude_columns, dest_columns) -%}
    {%- if merge_update_columns and merge_exclude_columns -%}
        {{- exceptions.raise_compiler_error('merge_update_columns and merge_exclude_columns cannot both be set; keep one of them') -}}
    {%- elif merge_update_columns -%}
        {{- return(merge_update_columns | list) -}}
    {%- endif -%}
    {%- set excluded = (merge_exclude_columns or []) | map('lower') | list -%}
    {%- set kept = [] -%}
    {%- for column in dest_columns if (column.name | lower) not in excluded -%}
        {%- do kept.append(column.quoted) -%}
    {%- endfor -%}
    {{- return(kept) -}}
{%- endmacro %}


{% macro get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {{- return(adapter.dispatch('get_merge_sql', 'dbt')(target, source, unique_key, dest_columns, incremental_predicates)) -}}
{%- endmacro %}

{% macro default__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {%- set conditions = [] -%}
    {%- set keys = mason__key_list(unique_key) -%}
    {%- for key in keys -%}
        {%- do conditions.append('DBT_INTERNAL_SOURCE.' ~ key ~ ' = DBT_INTERNAL_DEST.' ~ key) -%}
    {%- endfor -%}
    {%- set conditions = conditions + mason__predicate_list(incremental_predicates) -%}
    {%- set names = dest_columns | map(attribute='name') | list -%}
    {%- set update_columns = get_merge_update_columns(config.get('merge_update_columns'),
                                                      config.get('merge_exclude_columns'), dest_columns) -%}
merge into {{ target }} as DBT_INTERNAL_DEST
using {{ source }} as DBT_INTERNAL_SOURCE
on {% if conditions %}({{ conditions | join(') and (') }}){% else %}false{% endif %}
{%- if keys and update_columns %}
when matched then update set
    {% for column in update_columns -%}
    {{ column }} = DBT_INTERNAL_SOURCE.{{ column }}{{ ',' if not loop.last }}
    {% endfor -%}
{%- endif %}
when not matched then insert ({{ get_quoted_csv(names) }})
values (
    {%- for name in names -%}
    DBT_INTERNAL_SOURCE.{{ adapter.quote(name) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
)
{%- endmacro %}


{#- Delete the target rows whose key is in the new data, then insert the new data. -#}
{% macro get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {{- return(adapter.dispatch('get_delete_insert_merge_sql', 'dbt')(target, source, unique_key, dest_columns, incremental_predicates)) -}}
{%- endmacro %}

{% macro default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {%- set keys = mason__key_list(unique_key) -%}
    {%- set predicates = mason__predicate_list(incremental_predicates) -%}
    {%- if keys | length == 1 -%}
delete from {{ target }} as DBT_INTERNAL_DEST
where ({{ keys[0] }}) in (select ({{ keys[0] }}) from {{ source }})
    {%- for predicate in predicates %}
    and ({{ predicate }})
    {%- endfor %};
    {% elif keys -%}
delete from {{ target }} as DBT_INTERNAL_DEST
using {{ source }} as DBT_INTERNAL_SOURCE
where {% for key in keys -%}
    DBT_INTERNAL_SOURCE.{{ key }} = DBT_INTERNAL_DEST.{{ key }}{{ ' and ' if not loop.last }}
    {%- endfor %}
    {%- for predicate in predicates %}
    and ({{ predicate }})
    {%- endfor %};
    {% endif -%}
{{ get_insert_into_sql(target, source, dest_columns) }}
{%- endmacro %}


{#- Replace everything the predicates select in the target with the new data (all rows without predicates). -#}
{% macro get_insert_overwrite_merge_sql(target, source, dest_columns, predicates, include_sql_header=false) -%}
    {{- return(adapter.dispatch('get_insert_overwrite_merge_sql', 'dbt')(target, source, dest_columns, predicates, include_sql_header)) -}}
{%- endmacro %}

{% macro default__get_insert_overwrite_merge_sql(target, source, dest_columns, predicates, include_sql_header) -%}
    {%- set conditions = mason__predicate_list(predicates) -%}
    {%- set names = dest_columns | map(attribute='name') | list -%}
{{ mason__sql_header() if include_sql_header }}merge into {{ target }} as DBT_INTERNAL_DEST
using {{ source }} as DBT_INTERNAL_SOURCE
on false
when not matched by source{% if conditions %} and ({{ conditions | join(') and (') }}){% endif %} then delete
when not matched then insert ({{ get_quoted_csv(names) }})
values (
    {%- for name in names -%}
    DBT_INTERNAL_SOURCE.{{ adapter.quote(name) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
)
{%- endmacro %}


{#- The strategies, by the names `incremental_strategy` takes. -#}
{% macro get_incremental_append_sql(arg_dict) -%}
    {{- return(adapter.dispatch('get_incremental_append_sql', 'dbt')(arg_dict)) -}}
{%- endmacro %}
{% macro default__get_incremental_append_sql(arg_dict) -%}
    {{- return(get_insert_into_sql(arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['dest_columns'])) -}}
{%- endmacro %}

{% macro get_incremental_delete_insert_sql(arg_dict) -%}
    {{- return(adapter.dispatch('get_incremental_delete_insert_sql', 'dbt')(arg_dict)) -}}
{%- endmacro %}
{% macro default__get_incremental_delete_insert_sql(arg_dict) -%}
    {{- return(get_delete_insert_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'],
                                           arg_dict['unique_key'], arg_dict['dest_columns'],
                                           arg_dict.get('incremental_predicates'))) -}}
{%- endmacro %}

{% macro get_incremental_merge_sql(arg_dict) -%}
    {{- return(adapter.dispatch('get_incremental_merge_sql', 'dbt')(arg_dict)) -}}
{%- endmacro %}
{% macro default__get_incremental_merge_sql(arg_dict) -%}
    {{- return(get_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
                             arg_dict['dest_columns'], arg_dict.get('incremental_predicates'))) -}}
{%- endmacro %}

{% macro get_incremental_insert_overwrite_sql(arg_dict) -%}
    {{- return(adapter.dispatch('get_incremental_insert_overwrite_sql', 'dbt')(arg_dict)) -}}
{%- endmacro %}
{% macro default__get_incremental_insert_overwrite_sql(arg_dict) -%}
    {{- return(get_insert_overwrite_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'],
                                              arg_dict['dest_columns'], arg_dict.get('incremental_predicates'))) -}}
{%- endmacro %}

{#- No strategy configured: delete+insert when there is a unique_key, else append (DuckDB and PostgreSQL). -#}
{% macro get_incremental_default_sql(arg_dict) -%}
    {{- return(adapter.dispatch('get_incremental_default_sql', 'dbt')(arg_dict)) -}}
{%- endmacro %}
{% macro default__get_incremental_default_sql(arg_dict) -%}
    {%- if mason__key_list(arg_dict.get('unique_key')) -%}
        {{- return(get_incremental_delete_insert_sql(arg_dict)) -}}
    {%- else -%}
        {{- return(get_incremental_append_sql(arg_dict)) -}}
    {%- endif -%}
{%- endmacro %}


{#- on_schema_change for Jinja incremental materializations. -#}
{% macro incremental_validate_on_schema_change(on_schema_change, default='ignore') -%}
    {%- if on_schema_change in ['ignore', 'append_new_columns', 'sync_all_columns', 'fail'] -%}
        {{- return(on_schema_change) -}}
    {%- endif -%}
    {%- do log('on_schema_change ' ~ on_schema_change ~ ' is not one of ignore, append_new_columns, '
               ~ 'sync_all_columns, fail; using ' ~ default, info=true) -%}
    {{- return(default) -}}
{%- endmacro %}

{% macro check_for_schema_changes(source_relation, target_relation) -%}
    {%- set source_columns = adapter.get_columns_in_relation(source_relation) -%}
    {%- set target_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set target_by_name = {} -%}
    {%- for column in target_columns -%}{%- do target_by_name.update({column.name | lower: column}) -%}{%- endfor -%}
    {%- set source_names = source_columns | map(attribute='name') | map('lower') | list -%}
    {%- set source_not_in_target = [] -%}
    {%- set new_target_types = [] -%}
    {%- for column in source_columns -%}
        {%- set existing = target_by_name.get(column.name | lower) -%}
        {%- if existing is none -%}
            {%- do source_not_in_target.append(column) -%}
        {%- elif (existing.data_type | lower) != (column.data_type | lower) -%}
            {%- do new_target_types.append({'column_name': column.name, 'new_type': column.data_type}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set target_not_in_source = [] -%}
    {%- for column in target_columns if (column.name | lower) not in source_names -%}
        {%- do target_not_in_source.append(column) -%}
    {%- endfor -%}
    {{- return({
        'schema_changed': (source_not_in_target or target_not_in_source or new_target_types) | length > 0,
        'source_not_in_target': source_not_in_target,
        'target_not_in_source': target_not_in_source,
        'source_columns': source_columns,
        'target_columns': target_columns,
        'new_target_types': new_target_types,
    }) -}}
{%- endmacro %}

{% macro sync_column_schemas(on_schema_change, target_relation, schema_changes_dict) -%}
    {%- set add = schema_changes_dict['source_not_in_target'] -%}
    {%- if on_schema_change == 'append_new_columns' -%}
        {%- if add -%}{%- do alter_relation_add_remove_columns(target_relation, add, none) -%}{%- endif -%}
    {%- elif on_schema_change == 'sync_all_columns' -%}
        {%- set remove = schema_changes_dict['target_not_in_source'] -%}
        {%- if add or remove -%}{%- do alter_relation_add_remove_columns(target_relation, add, remove) -%}{%- endif -%}
        {%- for change in schema_changes_dict['new_target_types'] -%}
            {%- do alter_column_type(target_relation, change['column_name'], change['new_type']) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Apply on_schema_change; the destination columns after it (none when nothing changed or `ignore`). -#}
{% macro process_schema_changes(on_schema_change, source_relation, target_relation) -%}
    {%- if on_schema_change == 'ignore' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set changes = check_for_schema_changes(source_relation, target_relation) -%}
    {%- if not changes['schema_changed'] -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if on_schema_change == 'fail' -%}
        {%- set message = 'the columns of ' ~ target_relation ~ ' no longer match the model: new '
            ~ (changes['source_not_in_target'] | map(attribute='name') | list) ~ ', missing '
            ~ (changes['target_not_in_source'] | map(attribute='name') | list) ~ ', changed types '
            ~ (changes['new_target_types'] | map(attribute='column_name') | list)
            ~ '. Set on_schema_change to append_new_columns or sync_all_columns, or run with --full-refresh' -%}
        {{- exceptions.raise_compiler_error(message) -}}
    {%- endif -%}
    {%- do sync_column_schemas(on_schema_change, target_relation, changes) -%}
    {{- return(adapter.get_columns_in_relation(target_relation)) -}}
{%- endmacro %}
