select
    cast('{{ var("start_date") }}' as date) as start_date,
    '{{ var("report_currency", "USD") }}' as report_currency,
    {{ var("lookback_days") }} as lookback_days,
    '{{ env_var("SHOP_REGION", "eu-west") }}' as region,
    '{{ target.name }}' as target_name
