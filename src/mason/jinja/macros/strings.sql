{#- String functions. Arguments are SQL expressions: pass literals quoted, e.g. "'a,b'". -#}

{% macro concat(fields) -%}
    {{- return(adapter.dispatch('concat', 'dbt')(fields)) -}}
{%- endmacro %}
{% macro default__concat(fields) -%}
    concat({{ fields | join(', ') }})
{%- endmacro %}


{% macro hash(field) -%}
    {{- return(adapter.dispatch('hash', 'dbt')(field)) -}}
{%- endmacro %}
{% macro default__hash(field) -%}
    md5(cast({{ field }} as {{ dbt.type_string() }}))
{%- endmacro %}


{% macro length(expression) -%}
    {{- return(adapter.dispatch('length', 'dbt')(expression)) -}}
{%- endmacro %}
{% macro default__length(expression) -%}
    length({{ expression }})
{%- endmacro %}


{% macro position(substring_text, string_text) -%}
    {{- return(adapter.dispatch('position', 'dbt')(substring_text, string_text)) -}}
{%- endmacro %}
{% macro default__position(substring_text, string_text) -%}
    position({{ substring_text }} in {{ string_text }})
{%- endmacro %}
{% macro spark__position(substring_text, string_text) -%}
    locate({{ substring_text }}, {{ string_text }})
{%- endmacro %}


{% macro replace(field, old_chars, new_chars) -%}
    {{- return(adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars)) -}}
{%- endmacro %}
{% macro default__replace(field, old_chars, new_chars) -%}
    replace({{ field }}, {{ old_chars }}, {{ new_chars }})
{%- endmacro %}


{% macro right(string_text, length_expression) -%}
    {{- return(adapter.dispatch('right', 'dbt')(string_text, length_expression)) -}}
{%- endmacro %}
{% macro default__right(string_text, length_expression) -%}
    right({{ string_text }}, {{ length_expression }})
{%- endmacro %}


{#- split_part: 1-based part number; negative numbers count from the end. -#}
{% macro split_part(string_text, delimiter_text, part_number) -%}
    {{- return(adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number)) -}}
{%- endmacro %}
{% macro default__split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}
{% macro postgres__split_part(string_text, delimiter_text, part_number) -%}
    {%- if part_number is number and part_number < 0 -%}
    {#- count the parts: (length(s) - length(s without delimiters)) / length(delimiter) + 1 -#}
    split_part(
        {{ string_text }},
        {{ delimiter_text }},
        cast((length({{ string_text }}) - length(replace({{ string_text }}, {{ delimiter_text }}, ''))) / length({{ delimiter_text }}) as integer) + 1 + ({{ part_number }}) + 1
    )
    {%- else -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
    {%- endif -%}
{%- endmacro %}
{% macro spark__split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}


{#- A SQL string literal from a plain value. -#}
{% macro string_literal(value) -%}
    {{- return(adapter.dispatch('string_literal', 'dbt')(value)) -}}
{%- endmacro %}
{% macro default__string_literal(value) -%}
    '{{ value }}'
{%- endmacro %}


{% macro escape_single_quotes(expression) -%}
    {{- return(adapter.dispatch('escape_single_quotes', 'dbt')(expression)) -}}
{%- endmacro %}
{% macro default__escape_single_quotes(expression) -%}
    {{- expression | replace("'", "''") -}}
{%- endmacro %}
{% macro spark__escape_single_quotes(expression) -%}
    {{- expression | replace("'", "\\'") -}}
{%- endmacro %}
