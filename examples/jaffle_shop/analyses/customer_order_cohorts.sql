select
    date_trunc('month', first_order) as cohort_month,
    count(*) as customers,
    sum(customer_lifetime_value) as cohort_value

from {{ ref('customers') }}
where first_order is not null
group by 1
order by 1
