{{ config(materialized='view') }}
{#- Every forecast issued (ops.predictions) with the actual litres once the day is known. -#}
select
    p.prediction_id,
    p.model_name,
    p.model_version,
    p.issued_at,
    p.horizon_days,
    p.target_date,
    p.pred,
    p.lo80,
    p.hi80,
    p.lo95,
    p.hi95,
    p.run_id,
    a.fuel_l as actual_fuel_l,
    a.fuel_l - p.pred as error_l,
    case when a.fuel_l is null then null
         when a.fuel_l between p.lo80 and p.hi80 then 1 else 0 end as in_80,
    case when a.fuel_l is null then null
         when a.fuel_l between p.lo95 and p.hi95 then 1 else 0 end as in_95
from {{ ref('stg_ops__predictions') }} p
left join {{ ref('fct_fuel_daily') }} a
    on a.{{ adapter.quote('date') }} = p.target_date
