

select
    date_trunc('month', order_date) as order_month,
    sum(bank_transfer_amount) as bank_transfer_revenue,
    sum(coupon_amount) as coupon_revenue,
    sum(credit_card_amount) as credit_card_revenue,
    sum(gift_card_amount) as gift_card_revenue,
    sum(amount) as total_revenue

from "shop"."main_marts"."orders"
group by 1