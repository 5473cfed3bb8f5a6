{%- set relations = sqlgen.get_relations_by_pattern(target.schema, 'raw_%', exclude='raw_refunds') -%}
{%- for relation in relations %}
select {{ dbt.string_literal(relation.identifier) }} as table_name, {{ dbt.string_literal(relation.type) }} as table_type,
       (select count(*) from {{ relation }}) as row_count
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- if not relations %}select 'none' as table_name, 'none' as table_type, 0 as row_count{% endif %}
