{%- do guards.require_relation(this, 'relation_checks') -%}
{%- do guards.require_relation(source('raw', 'events'), 'relation_checks') -%}
{%- set made = api.Relation.create(database=target.database, schema=target.schema, identifier='codes') -%}
{%- set found = adapter.get_relation(database=target.database, schema=target.schema, identifier='codes') if execute else made -%}
select
    '{{ guards.describe_relation(ref('codes')) }}' as from_ref,
    '{{ guards.describe_relation(made) }}' as from_create,
    '{{ guards.describe_relation(found) }}' as from_adapter,
    '{{ guards.describe_relation(this) }}' as from_this,
    '{{ guards.describe_relation(source('raw', 'events')) }}' as from_source
