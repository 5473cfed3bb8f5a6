

select *
from "shop"."main"."stg_payments"
where amount <= 0

