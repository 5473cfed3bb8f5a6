{% set escaped = '\\d+' %}
{% set double_quoted = "\d{5}" %}
{% set tab = 'a\tb' %}
select
    '{{ escaped }}' as escaped,
    '{{ double_quoted }}' as double_quoted,
    '{{ tab }}' as tab,
    '{{ var("pattern") }}' as from_var,
    {{ "'%\\_%'" }} as like_text
