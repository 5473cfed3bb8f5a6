select
    cast('2018-01-01' as date) as start_date,
    'USD' as report_currency,
    3 as lookback_days,
    'eu-west' as region,
    'dev' as target_name