{#- Mason's anomaly tests (docs/monitoring.md). Each measures a value per time bucket over the last
    `training_period` + `detection_period`, counted back from the newest timestamp in the data (or `as_of`),
    and returns one row per bucket of the detection period whose value lies outside
    training mean ± sensitivity × standard deviation: the bucket, the value and the expected range.
    Nothing reads the clock, so the same data always gives the same verdict. -#}


{% test volume_anomalies(model, timestamp_column, time_bucket=none, training_period=none, detection_period=none,
                         sensitivity=3, seasonality=none, anomaly_direction='both', min_training_set_size=7,
                         as_of=none, column_name=none) %}
{%- set s = mason.mason_anomaly_settings('volume_anomalies', time_bucket, training_period, detection_period,
        sensitivity, seasonality, anomaly_direction, min_training_set_size) -%}
with
{{ mason.mason_anomaly_source(model, timestamp_column, s, as_of) }},
mason_values as (
    select bucket_index, count(*) as row_count
    from mason_rows
    group by bucket_index
),
{{ mason.mason_bucket_spine(s.buckets) }},
mason_series as (
    select
        b.bucket_index,
        'row_count' as metric_name,
        cast(coalesce(v.row_count, 0) as {{ mason.mason_type_double() }}) as metric_value
    from mason_buckets b
    left join mason_values v on v.bucket_index = b.bucket_index
)
{{ mason.mason_anomaly_verdicts(s) }}
{% endtest %}


{% test freshness_anomalies(model, timestamp_column, time_bucket=none, training_period=none, detection_period=none,
                            sensitivity=3, seasonality=none, anomaly_direction='spike', min_training_set_size=7,
                            as_of=none, column_name=none) %}
{%- set s = mason.mason_anomaly_settings('freshness_anomalies', time_bucket, training_period, detection_period,
        sensitivity, seasonality, anomaly_direction, min_training_set_size) -%}
{%- set ts = 'cast(' ~ timestamp_column ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
with
{{ mason.mason_anomaly_source(model, timestamp_column, s, as_of) }},
mason_values as (
    select bucket_index, max(mason_ts) as last_ts
    from mason_rows
    group by bucket_index
),
mason_before as (
    select max({{ ts }}) as last_ts
    from {{ model }}
    cross join mason_anchor
    where {{ ts }} < {{ mason.mason_window_start(s) }}
),
{{ mason.mason_bucket_spine(s.buckets, trim=false) }},
mason_seen as (
    select
        b.bucket_index,
        max(v.last_ts) over (order by b.bucket_index desc rows between unbounded preceding and current row) as seen_ts
    from mason_buckets b
    left join mason_values v on v.bucket_index = b.bucket_index
),
mason_series as (
    select
        mason_seen.bucket_index,
        'freshness_seconds' as metric_name,
        cast({{ dbt.datediff('coalesce(mason_seen.seen_ts, mason_before.last_ts)',
                             'least(' ~ mason.mason_bucket_end(s, 'mason_seen.bucket_index') ~ ', mason_anchor.mason_anchor_ts)',
                             'second') }} as {{ mason.mason_type_double() }}) as metric_value
    from mason_seen
    cross join mason_before
    cross join mason_anchor
)
{{ mason.mason_anomaly_verdicts(s) }}
{% endtest %}


{% test column_anomalies(model, column_name, timestamp_column, column_anomalies=none, time_bucket=none,
                         training_period=none, detection_period=none, sensitivity=3, seasonality=none,
                         anomaly_direction='both', min_training_set_size=7, as_of=none) %}
{%- set s = mason.mason_anomaly_settings('column_anomalies', time_bucket, training_period, detection_period,
        sensitivity, seasonality, anomaly_direction, min_training_set_size) -%}
{%- set metrics = mason.mason_column_metrics(column_anomalies) -%}
with
{{ mason.mason_anomaly_source(model, timestamp_column, s, as_of, column_name) }},
mason_values as (
    select
        bucket_index,
        {%- for metric in metrics %}
        {{ mason.mason_column_metric(metric) }} as mason_{{ metric }}{{ ',' if not loop.last }}
        {%- endfor %}
    from mason_rows
    group by bucket_index
),
{{ mason.mason_bucket_spine(s.buckets) }},
mason_series as (
    {%- for metric in metrics %}
    select
        b.bucket_index,
        '{{ metric }}' as metric_name,
        {%- if metric in ('null_count', 'zero_count', 'sum') %}
        cast(coalesce(v.mason_{{ metric }}, 0) as {{ mason.mason_type_double() }}) as metric_value
        {%- else %}
        cast(v.mason_{{ metric }} as {{ mason.mason_type_double() }}) as metric_value
        {%- endif %}
    from mason_buckets b
    left join mason_values v on v.bucket_index = b.bucket_index
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)
{{ mason.mason_anomaly_verdicts(s) }}
{% endtest %}


{% test dimension_anomalies(model, timestamp_column, dimensions=none, time_bucket=none, training_period=none,
                            detection_period=none, sensitivity=3, seasonality=none, anomaly_direction='both',
                            min_training_set_size=7, as_of=none, column_name=none) %}
{%- set s = mason.mason_anomaly_settings('dimension_anomalies', time_bucket, training_period, detection_period,
        sensitivity, seasonality, anomaly_direction, min_training_set_size) -%}
{%- set dims = [dimensions] if dimensions is string else (dimensions or ([column_name] if column_name else [])) -%}
{%- if not dims -%}
    {{ exceptions.raise_compiler_error("dimension_anomalies needs `dimensions`: the column(s) whose values are the segments") }}
{%- endif -%}
{%- set parts = [] -%}
{%- for d in dims -%}
    {%- do parts.append("coalesce(cast(" ~ d ~ " as " ~ dbt.type_string() ~ "), 'NULL')") -%}
    {%- if not loop.last %}{% do parts.append("' | '") %}{% endif -%}
{%- endfor -%}
{%- set dimension_expr = parts[0] if parts | length == 1 else dbt.concat(parts) -%}
with
{{ mason.mason_anomaly_source(model, timestamp_column, s, as_of, dimension_expr) }},
mason_values as (
    select bucket_index, mason_value as dimension_value, count(*) as row_count
    from mason_rows
    group by bucket_index, mason_value
),
mason_segments as (
    select distinct dimension_value from mason_values
),
{{ mason.mason_bucket_spine(s.buckets) }},
mason_series as (
    select
        b.bucket_index,
        g.dimension_value,
        'row_count' as metric_name,
        cast(coalesce(v.row_count, 0) as {{ mason.mason_type_double() }}) as metric_value
    from mason_buckets b
    cross join mason_segments g
    left join mason_values v on v.bucket_index = b.bucket_index and v.dimension_value = g.dimension_value
)
{{ mason.mason_anomaly_verdicts(s, dimension=dims | join(', ')) }}
{% endtest %}


{% test metric_anomalies(model, metric, time_bucket=none, training_period=none, detection_period=none,
                         sensitivity=3, seasonality=none, anomaly_direction='both', min_training_set_size=7,
                         as_of=none, column_name=none) %}
{%- set s = mason.mason_anomaly_settings('metric_anomalies', time_bucket, training_period, detection_period,
        sensitivity, seasonality, anomaly_direction, min_training_set_size) -%}
{%- if s.count != 1 -%}
    {{ exceptions.raise_compiler_error("metric_anomalies: time_bucket count must be 1 (the metric is queried at the grain " ~ s.period ~ ")") }}
{%- endif -%}
with
mason_metric as (
{{ mason_metric_sql(metric, s.period) }}
),
{{ mason.mason_anomaly_source('mason_metric', 'mason_metric_time', s, as_of, 'mason_metric_value') }},
mason_values as (
    select bucket_index, max(mason_value) as metric_value
    from mason_rows
    group by bucket_index
),
{{ mason.mason_bucket_spine(s.buckets) }},
mason_series as (
    select
        b.bucket_index,
        '{{ metric }}' as metric_name,
        cast(v.metric_value as {{ mason.mason_type_double() }}) as metric_value
    from mason_buckets b
    left join mason_values v on v.bucket_index = b.bucket_index
)
{{ mason.mason_anomaly_verdicts(s) }}
{% endtest %}


{#- ------------------------------------------------------------------------------------------ shared parts -#}

{#- The arguments every anomaly test takes, checked and turned into bucket counts. -#}
{% macro mason_anomaly_settings(test_name, time_bucket, training_period, detection_period, sensitivity,
                                seasonality, anomaly_direction, min_training_set_size) %}
    {%- set hours = {'hour': 1, 'day': 24, 'week': 168, 'month': 720} -%}
    {%- set bucket = mason.mason_period(test_name, 'time_bucket', time_bucket, {'period': 'day', 'count': 1}) -%}
    {%- set training = mason.mason_period(test_name, 'training_period', training_period, {'period': 'day', 'count': 14}) -%}
    {%- set detection = mason.mason_period(test_name, 'detection_period', detection_period, {'period': 'day', 'count': 2}) -%}
    {%- set bucket_hours = hours[bucket.period] * bucket.count -%}
    {%- set training_n = ((hours[training.period] * training.count + bucket_hours - 1) // bucket_hours) | int -%}
    {%- set detection_n = ((hours[detection.period] * detection.count + bucket_hours - 1) // bucket_hours) | int -%}
    {%- set direction = (anomaly_direction or 'both') | string | lower -%}
    {%- if direction not in ('both', 'spike', 'drop') -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": anomaly_direction must be both, spike or drop, not '" ~ anomaly_direction ~ "'") }}
    {%- endif -%}
    {%- set season = (seasonality or 'none') | string | lower -%}
    {%- set season_length = 0 -%}
    {%- if season == 'day_of_week' -%}
        {%- if bucket.period != 'day' or bucket.count != 1 -%}
            {{ exceptions.raise_compiler_error(test_name ~ ": seasonality day_of_week needs daily buckets (time_bucket: {period: day, count: 1})") }}
        {%- endif -%}
        {#- each weekday is compared with the same weekday: the training period is taken 7 times over -#}
        {%- set training_n = training_n * 7 -%}
        {%- set season_length = 7 -%}
    {%- elif season != 'none' -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": seasonality must be day_of_week (or left out), not '" ~ seasonality ~ "'") }}
    {%- endif -%}
    {%- set z = sensitivity if sensitivity is number else (sensitivity | float) -%}
    {%- if z <= 0 -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": sensitivity must be a positive number of standard deviations") }}
    {%- endif -%}
    {{ return({'period': bucket.period, 'count': bucket.count, 'training': training_n, 'detection': detection_n,
               'buckets': training_n + detection_n, 'direction': direction, 'season': season_length,
               'sensitivity': z, 'min_training': (min_training_set_size or 0) | int, 'test': test_name}) }}
{% endmacro %}


{#- `{period: day, count: 14}` (or just `day`) checked. -#}
{% macro mason_period(test_name, key, value, default) %}
    {%- set v = default if value is none else value -%}
    {%- if v is string -%}{%- set v = {'period': v, 'count': 1} -%}{%- endif -%}
    {%- if v is not mapping -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": " ~ key ~ " must be like {period: day, count: 14}") }}
    {%- endif -%}
    {%- set period = (v.get('period') or 'day') | string | lower -%}
    {%- set period = period[:-1] if period.endswith('s') else period -%}
    {%- set count = (v.get('count') if v.get('count') is not none else 1) | int -%}
    {%- if period not in ('hour', 'day', 'week', 'month') -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": " ~ key ~ " period must be hour, day, week or month, not '" ~ v.get('period') ~ "'") }}
    {%- endif -%}
    {%- if count < 1 -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": " ~ key ~ " count must be 1 or more") }}
    {%- endif -%}
    {{ return({'period': period, 'count': count}) }}
{% endmacro %}


{#- The anchor (the newest timestamp, or `as_of`) and the rows of the window with their bucket index
    (0 = the bucket holding the anchor, counting back). `value` is kept as mason_value. -#}
{% macro mason_anomaly_source(model, timestamp_column, s, as_of=none, value=none) %}
    {%- set ts = 'cast(' ~ timestamp_column ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
mason_anchor as (
    {%- if as_of %}
    select cast('{{ as_of }}' as {{ dbt.type_timestamp() }}) as mason_anchor_ts
    {%- else %}
    select max({{ ts }}) as mason_anchor_ts
    from {{ model }}
    {%- endif %}
),
mason_rows as (
    select
        {{ mason.mason_bucket_index(s, ts) }} as bucket_index,
        {{ ts }} as mason_ts
        {%- if value is not none %},
        {{ value }} as mason_value
        {%- endif %}
    from {{ model }}
    cross join mason_anchor
    where {{ ts }} <= mason_anchor.mason_anchor_ts
      and {{ ts }} >= {{ mason.mason_window_start(s) }}
)
{%- endmacro %}


{% macro mason_anchor_period(s) -%}
    {{ dbt.date_trunc(s.period, 'mason_anchor.mason_anchor_ts') }}
{%- endmacro %}


{% macro mason_bucket_index(s, ts) -%}
    {%- set diff = dbt.datediff(dbt.date_trunc(s.period, ts), mason.mason_anchor_period(s), s.period) -%}
    {%- if s.count == 1 -%}
    cast({{ diff }} as {{ dbt.type_bigint() }})
    {%- else -%}
    cast(floor(({{ diff }}) / {{ s.count }}.0) as {{ dbt.type_bigint() }})
    {%- endif -%}
{%- endmacro %}


{% macro mason_window_start(s) -%}
    {{ dbt.dateadd(s.period, (1 - s.buckets * s.count) | string, mason.mason_anchor_period(s)) }}
{%- endmacro %}


{% macro mason_bucket_start(s, index) -%}
    {{ dbt.dateadd(s.period, '-(' ~ index ~ ' * ' ~ s.count ~ ' + ' ~ (s.count - 1) ~ ')', mason.mason_anchor_period(s)) }}
{%- endmacro %}


{% macro mason_bucket_end(s, index) -%}
    {{ dbt.dateadd(s.period, '(1 - ' ~ index ~ ' * ' ~ s.count ~ ')', mason.mason_anchor_period(s)) }}
{%- endmacro %}


{#- Bucket numbers 0 .. n-1, from digits (no generate_series: the same SQL on every warehouse); with `trim`,
    none older than the oldest bucket holding rows (before the data began is not a bucket of zero rows). -#}
{% macro mason_bucket_spine(n, trim=true) -%}
    {%- set width = ((n - 1) | string) | length -%}
mason_digits as (
    {% for d in range(10) -%}
    select {{ d }} as digit{{ ' union all ' if not loop.last }}
    {%- endfor %}
),
mason_buckets as (
    select bucket_index from (
        select
            {% for i in range(width) -%}
            d{{ i }}.digit * {{ 10 ** i }}{{ ' + ' if not loop.last }}
            {%- endfor %} as bucket_index
        from {% for i in range(width) -%}
            mason_digits d{{ i }}{{ ' cross join ' if not loop.last }}
        {%- endfor %}
    ) mason_numbers
    where bucket_index < {{ n }}
    {%- if trim %}
      and bucket_index <= (select max(bucket_index) from mason_rows)
    {%- endif %}
)
{%- endmacro %}


{#- From the series (bucket_index, [dimension_value,] metric_name, metric_value): the training buckets' mean
    and standard deviation, and the detection buckets outside mean ± sensitivity × stddev. -#}
{% macro mason_anomaly_verdicts(s, dimension=none) %}
    {%- set keys = ['metric_name'] + (['dimension_value'] if dimension else []) -%}
    {%- set season = ('(bucket_index % ' ~ s.season ~ ')') if s.season else none -%}
,
mason_training as (
    select
        {{ keys | join(', ') }},
        {%- if season %}
        {{ season }} as season_key,
        {%- endif %}
        avg(metric_value) as training_avg,
        stddev_samp(metric_value) as training_stddev,
        count(metric_value) as training_set_size
    from mason_series
    where bucket_index >= {{ s.detection }} and metric_value is not null
    group by {{ keys | join(', ') }}{{ (', ' ~ season) if season }}
),
mason_scored as (
    select
        d.bucket_index,
        {%- for k in keys %}
        d.{{ k }},
        {%- endfor %}
        d.metric_value,
        t.training_avg,
        t.training_stddev,
        coalesce(t.training_set_size, 0) as training_set_size,
        t.training_avg - {{ s.sensitivity }} * coalesce(t.training_stddev, 0) as expected_min,
        t.training_avg + {{ s.sensitivity }} * coalesce(t.training_stddev, 0) as expected_max
    from mason_series d
    left join mason_training t
        on {% for k in keys %}t.{{ k }} = d.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}
        {%- if season %} and t.season_key = (d.bucket_index % {{ s.season }}){% endif %}
    where d.bucket_index < {{ s.detection }}
)
select
    {{ mason.mason_bucket_start(s, 'mason_scored.bucket_index') }} as bucket_start,
    {{ mason.mason_bucket_end(s, 'mason_scored.bucket_index') }} as bucket_end,
    {%- if dimension %}
    '{{ dimension }}' as dimension,
    dimension_value,
    {%- endif %}
    metric_name,
    metric_value as value,
    expected_min,
    expected_max,
    case when metric_value > expected_max then 'spike' else 'drop' end as anomaly,
    case when training_stddev > 0 then (metric_value - training_avg) / training_stddev end as z_score,
    training_avg,
    training_stddev,
    training_set_size
from mason_scored
cross join mason_anchor
where metric_value is not null
  and training_set_size >= {{ [s.min_training, 2] | max }}
  and (
    {%- if s.direction in ('both', 'spike') %} metric_value > expected_max{% endif %}
    {%- if s.direction == 'both' %} or{% endif %}
    {%- if s.direction in ('both', 'drop') %} metric_value < expected_min{% endif %}
  )
{%- endmacro %}


{#- column_anomalies: which measures, by name. -#}
{% macro mason_column_metrics(requested) %}
    {%- set aliases = {'avg': 'average', 'mean': 'average', 'stddev': 'standard_deviation',
                       'null_rate': 'null_percent', 'zero_rate': 'zero_percent', 'avg_length': 'average_length'} -%}
    {%- set known = ['null_count', 'null_percent', 'zero_count', 'zero_percent', 'distinct_count', 'min', 'max',
                     'average', 'sum', 'standard_deviation', 'variance', 'min_length', 'max_length',
                     'average_length'] -%}
    {%- set names = [requested] if requested is string else (requested or ['null_count', 'distinct_count']) -%}
    {%- set out = [] -%}
    {%- for name in names -%}
        {%- set n = aliases.get(name | string | lower, name | string | lower) -%}
        {%- if n not in known -%}
            {{ exceptions.raise_compiler_error("column_anomalies: unknown measure '" ~ name ~ "'; known: " ~ known | join(', ')) }}
        {%- endif -%}
        {%- if n not in out %}{% do out.append(n) %}{% endif -%}
    {%- endfor -%}
    {{ return(out) }}
{% endmacro %}


{% macro mason_column_metric(metric) -%}
    {%- set num = 'cast(mason_value as ' ~ mason.mason_type_double() ~ ')' -%}
    {%- set len = dbt.length('cast(mason_value as ' ~ dbt.type_string() ~ ')') -%}
    {%- if metric == 'null_count' -%} sum(case when mason_value is null then 1 else 0 end)
    {%- elif metric == 'null_percent' -%} 100.0 * sum(case when mason_value is null then 1 else 0 end) / count(*)
    {%- elif metric == 'zero_count' -%} sum(case when mason_value = 0 then 1 else 0 end)
    {%- elif metric == 'zero_percent' -%} 100.0 * sum(case when mason_value = 0 then 1 else 0 end) / count(*)
    {%- elif metric == 'distinct_count' -%} count(distinct mason_value)
    {%- elif metric == 'min' -%} min({{ num }})
    {%- elif metric == 'max' -%} max({{ num }})
    {%- elif metric == 'average' -%} avg({{ num }})
    {%- elif metric == 'sum' -%} sum({{ num }})
    {%- elif metric == 'standard_deviation' -%} stddev_samp({{ num }})
    {%- elif metric == 'variance' -%} var_samp({{ num }})
    {%- elif metric == 'min_length' -%} min({{ len }})
    {%- elif metric == 'max_length' -%} max({{ len }})
    {%- elif metric == 'average_length' -%} avg({{ len }})
    {%- endif -%}
{%- endmacro %}


{% macro mason_type_double() -%}
    {{- return(adapter.dispatch('mason_type_double', 'mason')()) -}}
{%- endmacro %}
{% macro default__mason_type_double() -%}{{- return('double precision') -}}{%- endmacro %}
{% macro spark__mason_type_double() -%}{{- return('double') -}}{%- endmacro %}
