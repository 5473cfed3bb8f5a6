"""A project with every metric type: cumulative (all time, a window, to the month), offsets, conversions,
non-additive balances, a two-hop join and a Metric() filter, over a daily time spine (a model with
`time_spine:`). Small data, chosen so every expected answer can be worked out by hand SQL (no ties)."""

from __future__ import annotations

import datetime as dt

_DAYS = "date_day\n" + "\n".join(str(dt.date(2024, 1, 1) + dt.timedelta(days=i)) for i in range(121)) + "\n"

FILES = {
    "seeds/raw_orders.csv": "order_id,customer_id,ordered_at,amount,status\n"
                            "1,1,2024-01-03,10.0,completed\n2,1,2024-01-20,20.0,returned\n"
                            "3,2,2024-02-02,5.5,completed\n4,3,2024-02-15,40.0,completed\n"
                            "5,2,2024-03-30,12.5,placed\n6,3,2024-04-01,7.0,completed\n"
                            "7,4,2024-01-28,3.0,completed\n8,1,2024-03-05,8.0,completed\n",
    "seeds/raw_customers.csv": "customer_id,name,region,country_id\n1,ann,EU,1\n2,bob,US,2\n3,cid,EU,3\n4,dan,US,2\n",
    "seeds/raw_countries.csv": "country_id,country_name,continent\n1,France,Europe\n2,USA,America\n3,Spain,Europe\n",
    "seeds/raw_days.csv": _DAYS,
    "seeds/raw_visits.csv": "visit_id,user_id,visited_at,referrer\n1,1,2024-01-02 10:00:00,ads\n"
                            "2,1,2024-01-10 09:00:00,google\n3,2,2024-01-05 12:00:00,google\n"
                            "4,3,2024-02-01 08:00:00,ads\n5,4,2024-02-03 08:00:00,direct\n"
                            "6,2,2024-02-20 10:00:00,ads\n",
    "seeds/raw_signups.csv": "signup_id,user_id,signed_up_at,plan\n1,1,2024-01-12 10:00:00,pro\n"
                             "2,2,2024-01-20 10:00:00,free\n3,3,2024-02-04 10:00:00,pro\n"
                             "4,5,2024-02-05 10:00:00,free\n5,2,2024-02-22 10:00:00,pro\n",
    "seeds/raw_balances.csv": "account_id,balance_date,balance,customer_id\n1,2024-01-05,100,1\n1,2024-01-25,150,1\n"
                              "1,2024-02-10,120,1\n2,2024-01-07,50,2\n2,2024-02-27,80,2\n3,2024-02-27,30,3\n",
    "models/fct_orders.sql": "select order_id, customer_id, cast(ordered_at as date) as ordered_at, amount, status "
                             "from {{ ref('raw_orders') }}",
    "models/dim_customers.sql": "select customer_id, name, region, country_id from {{ ref('raw_customers') }}",
    "models/dim_countries.sql": "select country_id, country_name, continent from {{ ref('raw_countries') }}",
    "models/fct_visits.sql": "select visit_id, user_id, cast(visited_at as timestamp) as visited_at, referrer "
                             "from {{ ref('raw_visits') }}",
    "models/fct_signups.sql": "select signup_id, user_id, cast(signed_up_at as timestamp) as signed_up_at, plan "
                              "from {{ ref('raw_signups') }}",
    "models/fct_balances.sql": "select account_id, cast(balance_date as date) as balance_date, balance, customer_id "
                               "from {{ ref('raw_balances') }}",
    "models/time_spine_daily.sql": "select cast(date_day as date) as date_day from {{ ref('raw_days') }}",
    "models/semantic.yml": """
models:
  - name: time_spine_daily
    time_spine: {standard_granularity_column: date_day}
    columns:
      - {name: date_day, granularity: day}
semantic_models:
  - name: orders
    model: ref('fct_orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: order_count, agg: count, expr: order_id}
  - name: customers
    model: ref('dim_customers')
    entities:
      - {name: customer, type: primary, expr: customer_id}
      - {name: country, type: foreign, expr: country_id}
    dimensions:
      - {name: region, type: categorical}
  - name: countries
    model: ref('dim_countries')
    entities:
      - {name: country, type: primary, expr: country_id}
    dimensions:
      - {name: continent, type: categorical}
  - name: visits
    model: ref('fct_visits')
    defaults: {agg_time_dimension: visited_at}
    entities:
      - {name: visit, type: primary, expr: visit_id}
      - {name: user, type: foreign, expr: user_id}
    dimensions:
      - {name: visited_at, type: time, type_params: {time_granularity: day}}
      - {name: referrer, type: categorical}
    measures:
      - {name: visits, agg: count, expr: visit_id}
  - name: signups
    model: ref('fct_signups')
    defaults: {agg_time_dimension: signed_up_at}
    entities:
      - {name: signup, type: primary, expr: signup_id}
      - {name: user, type: foreign, expr: user_id}
    dimensions:
      - {name: signed_up_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: signups, agg: count, expr: signup_id}
  - name: balances
    model: ref('fct_balances')
    primary_entity: balance
    defaults: {agg_time_dimension: balance_date}
    entities:
      - {name: account, type: foreign, expr: account_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: balance_date, type: time, type_params: {time_granularity: day}}
    measures:
      - name: total_balance
        agg: sum
        expr: balance
        non_additive_dimension: {name: balance_date, window_choice: max, window_groupings: [account]}
      - name: opening_balance
        agg: sum
        expr: balance
        non_additive_dimension: {name: balance_date, window_choice: min}
metrics:
  - {name: revenue, label: Revenue, type: simple, type_params: {measure: revenue}}
  - {name: orders, label: Orders, type: simple, type_params: {measure: order_count}}
  - {name: revenue_all_time, label: Revenue to date, type: cumulative, type_params: {measure: revenue}}
  - name: revenue_7d
    label: Revenue over 7 days
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {window: 7 days}}
  - name: revenue_mtd
    label: Revenue month to date
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: month, period_agg: last}}
  - name: revenue_prev_month
    label: Revenue a month earlier
    type: derived
    type_params:
      expr: earlier
      metrics: [{name: revenue, offset_window: 1 month, alias: earlier}]
  - name: revenue_wow
    label: Revenue against a week earlier
    type: derived
    type_params:
      expr: revenue - week_ago
      metrics: [{name: revenue}, {name: revenue, offset_window: 7 days, alias: week_ago}]
  - name: revenue_on_month_start
    label: Revenue on the first of the month
    type: derived
    type_params:
      expr: first_day
      metrics: [{name: revenue, offset_to_grain: month, alias: first_day}]
  - name: visit_to_signup
    label: Visits that sign up within a week
    type: conversion
    type_params:
      conversion_type_params:
        entity: user
        calculation: conversion_rate
        base_measure: {name: visits}
        conversion_measure: {name: signups}
        window: 7 days
  - name: visit_signups
    label: Signups after a visit
    type: conversion
    type_params:
      conversion_type_params: {entity: user, calculation: conversions, base_measure: visits,
                               conversion_measure: signups}
  - {name: total_balance, label: Balance, type: simple, type_params: {measure: total_balance}}
  - {name: opening_balance, label: Opening balance, type: simple, type_params: {measure: opening_balance}}
  - name: big_customer_revenue
    label: Revenue of customers with more than 25
    type: simple
    type_params: {measure: revenue}
    filter: "{{ Metric('revenue', group_by=['customer']) }} > 25"
saved_queries:
  - name: monthly_revenue
    query_params:
      metrics: [revenue, revenue_mtd, orders]
      group_by: ["TimeDimension('metric_time', 'month')", "Dimension('customer__region')"]
    exports:
      - {name: monthly_revenue, config: {export_as: table}}
      - {name: monthly_revenue_view, config: {export_as: view, alias: v_monthly_revenue}}
""",
}
