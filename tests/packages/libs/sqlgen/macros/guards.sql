{#- Argument checks: sqlgen macros that read a relation's columns need a relation, not text, and cannot read
    an ephemeral model (it has no columns in the warehouse). -#}

{% macro assert_relation(obj, macro_name) -%}
    {%- set is_relation = obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation') -%}
    {%- if not is_relation -%}
        {%- do exceptions.raise_compiler_error('sqlgen.' ~ macro_name ~ ' needs a relation (ref() or source()), got: ' ~ obj) -%}
    {%- endif -%}
{%- endmacro %}

{% macro assert_not_ephemeral(obj, macro_name) -%}
    {%- if obj.is_cte -%}
        {%- do exceptions.raise_compiler_error('sqlgen.' ~ macro_name ~ ' cannot read the columns of ephemeral ' ~ obj) -%}
    {%- endif -%}
{%- endmacro %}
