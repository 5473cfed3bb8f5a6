{#- Date and time functions. `datepart` is a plain word (day, week, month, ...); dates are SQL expressions. -#}

{#- [count, unit] of one `datepart` as an interval every database understands (quarter = 3 months). -#}
{% macro mason_interval_unit(datepart) -%}
    {%- set part = (datepart | string | trim | lower) -%}
    {%- if part in ('quarter', 'quarters') -%}
        {{- return([3, 'month']) -}}
    {%- else -%}
        {{- return([1, part]) -}}
    {%- endif -%}
{%- endmacro %}


{% macro current_timestamp() -%}
    {{- return(adapter.dispatch('current_timestamp', 'dbt')()) -}}
{%- endmacro %}
{% macro default__current_timestamp() -%}
    current_timestamp
{%- endmacro %}
{% macro postgres__current_timestamp() -%}
    now()
{%- endmacro %}
{% macro spark__current_timestamp() -%}
    current_timestamp()
{%- endmacro %}


{% macro current_timestamp_backcompat() -%}
    {{- return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) -}}
{%- endmacro %}
{% macro default__current_timestamp_backcompat() -%}
    cast(current_timestamp as {{ dbt.type_timestamp() }})
{%- endmacro %}
{% macro postgres__current_timestamp_backcompat() -%}
    current_timestamp::{{ dbt.type_timestamp() }}
{%- endmacro %}
{% macro spark__current_timestamp_backcompat() -%}
    current_timestamp()
{%- endmacro %}


{% macro current_timestamp_in_utc_backcompat() -%}
    {{- return(adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')()) -}}
{%- endmacro %}
{% macro default__current_timestamp_in_utc_backcompat() -%}
    cast(current_timestamp as {{ dbt.type_timestamp() }})
{%- endmacro %}
{% macro postgres__current_timestamp_in_utc_backcompat() -%}
    (current_timestamp at time zone 'utc')::{{ dbt.type_timestamp() }}
{%- endmacro %}
{% macro duckdb__current_timestamp_in_utc_backcompat() -%}
    cast(get_current_timestamp() at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}
{% macro spark__current_timestamp_in_utc_backcompat() -%}
    to_utc_timestamp(current_timestamp(), current_timezone())
{%- endmacro %}


{% macro date_trunc(datepart, date) -%}
    {{- return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) -}}
{%- endmacro %}
{% macro default__date_trunc(datepart, date) -%}
    date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}


{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{- return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) -}}
{%- endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
    dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set count, unit = dbt.mason_interval_unit(datepart) -%}
    ({{ from_date_or_timestamp }} + ((interval '{{ count }} {{ unit }}') * ({{ interval }})))
{%- endmacro %}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart | trim | upper }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}


{#- datediff counts the datepart boundaries crossed from first_date to second_date. -#}
{% macro datediff(first_date, second_date, datepart) -%}
    {{- return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) -}}
{%- endmacro %}
{% macro default__datediff(first_date, second_date, datepart) -%}
    datediff({{ datepart }}, {{ first_date }}, {{ second_date }})
{%- endmacro %}
{% macro duckdb__datediff(first_date, second_date, datepart) -%}
    date_diff('{{ datepart | trim | lower }}', cast({{ first_date }} as timestamp), cast({{ second_date }} as timestamp))
{%- endmacro %}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | trim | lower -%}
    {%- set start = '(' ~ first_date ~ ')::timestamp' -%}
    {%- set stop = '(' ~ second_date ~ ')::timestamp' -%}
    {%- set years = "(date_part('year', " ~ stop ~ ") - date_part('year', " ~ start ~ "))" -%}
    {%- if part == 'year' -%}
    cast({{ years }} as integer)
    {%- elif part == 'quarter' -%}
    cast({{ years }} * 4 + date_part('quarter', {{ stop }}) - date_part('quarter', {{ start }}) as integer)
    {%- elif part == 'month' -%}
    cast({{ years }} * 12 + date_part('month', {{ stop }}) - date_part('month', {{ start }}) as integer)
    {%- elif part == 'day' -%}
    (({{ stop }})::date - ({{ start }})::date)
    {%- elif part == 'week' -%}
    cast(((date_trunc('week', {{ stop }}))::date - (date_trunc('week', {{ start }}))::date) / 7 as integer)
    {%- elif part in ('hour', 'minute', 'second', 'millisecond', 'microsecond') -%}
    {%- set seconds = {'hour': '3600', 'minute': '60', 'second': '1', 'millisecond': '0.001', 'microsecond': '0.000001'}[part] -%}
    cast(round((extract(epoch from date_trunc('{{ part }}', {{ stop }})) - extract(epoch from date_trunc('{{ part }}', {{ start }}))) / {{ seconds }}) as bigint)
    {%- else -%}
    {{ exceptions.raise_compiler_error("datediff: unsupported datepart '" ~ datepart ~ "' on " ~ adapter.type()) }}
    {%- endif -%}
{%- endmacro %}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | trim | lower -%}
    {%- set start = 'cast(' ~ first_date ~ ' as timestamp)' -%}
    {%- set stop = 'cast(' ~ second_date ~ ' as timestamp)' -%}
    {%- set years = '(year(' ~ stop ~ ') - year(' ~ start ~ '))' -%}
    {%- if part == 'year' -%}
    {{ years }}
    {%- elif part == 'quarter' -%}
    ({{ years }} * 4 + quarter({{ stop }}) - quarter({{ start }}))
    {%- elif part == 'month' -%}
    ({{ years }} * 12 + month({{ stop }}) - month({{ start }}))
    {%- elif part == 'day' -%}
    datediff(cast({{ stop }} as date), cast({{ start }} as date))
    {%- elif part == 'week' -%}
    cast(datediff(cast(date_trunc('week', {{ stop }}) as date), cast(date_trunc('week', {{ start }}) as date)) / 7 as bigint)
    {%- elif part in ('hour', 'minute', 'second') -%}
    {%- set seconds = {'hour': '3600', 'minute': '60', 'second': '1'}[part] -%}
    cast((unix_timestamp(date_trunc('{{ part }}', {{ stop }})) - unix_timestamp(date_trunc('{{ part }}', {{ start }}))) / {{ seconds }} as bigint)
    {%- elif part in ('millisecond', 'microsecond') -%}
    timestampdiff({{ part | upper }}, {{ start }}, {{ stop }})
    {%- else -%}
    {{ exceptions.raise_compiler_error("datediff: unsupported datepart '" ~ datepart ~ "' on " ~ adapter.type()) }}
    {%- endif -%}
{%- endmacro %}


{#- The last day of the period (month, quarter, year, ...) `date` falls in, as a date. -#}
{% macro last_day(date, datepart) -%}
    {{- return(adapter.dispatch('last_day', 'dbt')(date, datepart)) -}}
{%- endmacro %}
{% macro default__last_day(date, datepart) -%}
    cast({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro %}
{% macro spark__last_day(date, datepart) -%}
    {%- if (datepart | trim | lower) == 'month' -%}
    last_day({{ date }})
    {%- else -%}
    cast({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }} as date)
    {%- endif -%}
{%- endmacro %}


{#- A DATE from integer year, month and day. -#}
{% macro date(year, month, day) -%}
    {{- return(adapter.dispatch('date', 'dbt')(year, month, day)) -}}
{%- endmacro %}
{% macro default__date(year, month, day) -%}
    {%- set iso = modules.datetime.date(year | int, month | int, day | int).strftime('%Y-%m-%d') -%}
    to_date('{{ iso }}', 'YYYY-MM-DD')
{%- endmacro %}
{% macro duckdb__date(year, month, day) -%}
    {%- set iso = modules.datetime.date(year | int, month | int, day | int).strftime('%Y-%m-%d') -%}
    cast('{{ iso }}' as date)
{%- endmacro %}
{% macro spark__date(year, month, day) -%}
    {%- set iso = modules.datetime.date(year | int, month | int, day | int).strftime('%Y-%m-%d') -%}
    to_date('{{ iso }}', 'yyyy-MM-dd')
{%- endmacro %}


{#- How many binary digits a number up to upper_bound needs (at least 1). -#}
{% macro get_powers_of_two(upper_bound) -%}
    {{- return(adapter.dispatch('get_powers_of_two', 'dbt')(upper_bound)) -}}
{%- endmacro %}
{% macro default__get_powers_of_two(upper_bound) -%}
    {%- if upper_bound is not number or upper_bound <= 0 -%}
        {{- exceptions.raise_compiler_error("get_powers_of_two: upper bound must be a positive number, got " ~ upper_bound) -}}
    {%- endif -%}
    {%- set state = namespace(n=1) -%}
    {%- for _ in range(64) -%}
        {%- if 2 ** state.n >= upper_bound -%}{%- break -%}{%- endif -%}
        {%- set state.n = state.n + 1 -%}
    {%- endfor -%}
    {{- return(state.n) -}}
{%- endmacro %}


{#- A SELECT of one column, generated_number, holding 1 .. upper_bound. -#}
{% macro generate_series(upper_bound) -%}
    {{- return(adapter.dispatch('generate_series', 'dbt')(upper_bound)) -}}
{%- endmacro %}
{% macro default__generate_series(upper_bound) -%}
    {%- set bits = dbt.get_powers_of_two(upper_bound) -%}
with mason_bit as (
    select 0 as generated_number
    union all
    select 1
),
mason_numbers as (
    select
        {% for i in range(bits) -%}
        b{{ i }}.generated_number * {{ 2 ** i }}{{ ' + ' if not loop.last }}
        {%- endfor %} + 1 as generated_number
    from {% for i in range(bits) -%}
        mason_bit as b{{ i }}{{ ' cross join ' if not loop.last }}
    {%- endfor %}
)
select generated_number
from mason_numbers
where generated_number <= {{ upper_bound }}
order by generated_number
{%- endmacro %}


{#- Number of datepart intervals between two dates; needs the warehouse, so 1 while parsing. -#}
{% macro get_intervals_between(start_date, end_date, datepart) -%}
    {{- return(adapter.dispatch('get_intervals_between', 'dbt')(start_date, end_date, datepart)) -}}
{%- endmacro %}
{% macro default__get_intervals_between(start_date, end_date, datepart) -%}
    {%- if execute -%}
        {%- set result = run_query('select ' ~ dbt.datediff(start_date, end_date, datepart) ~ ' as intervals') -%}
        {%- if result is none -%}
            {{- return(1) -}}
        {%- endif -%}
        {%- set rows = result.rows if result.rows is defined else result -%}
        {%- set value = rows[0][0] -%}
        {{- return(1 if value is none else (value | int)) -}}
    {%- else -%}
        {{- return(1) -}}
    {%- endif -%}
{%- endmacro %}


{#- A SELECT of one column, date_<datepart>: start_date, start_date + 1 datepart, ... up to (not including) end_date. -#}
{% macro date_spine(datepart, start_date, end_date) -%}
    {{- return(adapter.dispatch('date_spine', 'dbt')(datepart, start_date, end_date)) -}}
{%- endmacro %}
{% macro default__date_spine(datepart, start_date, end_date) -%}
with rawdata as (
    {{ dbt.generate_series(dbt.get_intervals_between(start_date, end_date, datepart)) }}
),
all_periods as (
    select (
        {{ dbt.dateadd(datepart, 'generated_number - 1', start_date) }}
    ) as date_{{ datepart }}
    from rawdata
),
filtered as (
    select *
    from all_periods
    where date_{{ datepart }} < {{ end_date }}
)
select * from filtered
{%- endmacro %}
{#- As dbt-duckdb's generic spine: its length is datediff(datepart, start, end), so a partial last period
    is left out (2024-01-01 .. 2024-02-01 by week gives four weeks, not five). Computed in SQL, so it
    needs no query while compiling. -#}
{% macro duckdb__date_spine(datepart, start_date, end_date) -%}
select {{ dbt.dateadd(datepart, 'spine.period_number', start_date) }} as date_{{ datepart }}
from range(0, {{ dbt.datediff(start_date, end_date, datepart) }}) as spine(period_number)
where {{ dbt.dateadd(datepart, 'spine.period_number', start_date) }} < {{ end_date }}
order by 1
{%- endmacro %}
{% macro postgres__date_spine(datepart, start_date, end_date) -%}
    {%- set count, unit = dbt.mason_interval_unit(datepart) -%}
select cast(spine.period_start as timestamp) as date_{{ datepart }}
from generate_series(
    cast({{ start_date }} as timestamp),
    cast({{ end_date }} as timestamp),
    interval '{{ count }} {{ unit }}'
) as spine(period_start)
where spine.period_start < cast({{ end_date }} as timestamp)
{%- endmacro %}
{% macro spark__date_spine(datepart, start_date, end_date) -%}
    {%- set count, unit = dbt.mason_interval_unit(datepart) -%}
select date_{{ datepart }}
from (
    select explode(sequence(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval {{ count }} {{ unit }}
    )) as date_{{ datepart }}
) spine
where date_{{ datepart }} < cast({{ end_date }} as timestamp)
{%- endmacro %}
