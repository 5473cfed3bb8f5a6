{#- Returns the list of payment methods configured for the shop project. -#}
{% macro get_payment_methods() %}
    {%- set methods = var('payment_methods', ['credit_card']) -%}
    {{ return(methods | sort) }}
{% endmacro %}
