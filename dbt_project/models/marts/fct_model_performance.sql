{{ config(materialized='view') }}
{#- Rolling accuracy per model version and horizon over the last `forecast_performance_window_days`
    days with actuals: MAE, MAPE and the share of actuals inside the 80 % and 95 % intervals. -#}
{%- set window_days = var('forecast_performance_window_days') | int -%}
with scored as (
    select f.*
    from {{ ref('fct_fuel_forecast') }} f
    where f.actual_fuel_l is not null
),

window_end as (
    select max(target_date) as last_actual_date from scored
)

select
    s.model_name,
    s.model_version,
    s.horizon_days,
    {{ window_days }} as window_days,
    min(s.target_date) as first_target_date,
    max(s.target_date) as last_target_date,
    count(*) as n_forecasts,
    avg(abs(s.error_l)) as mae_l,
    100.0 * avg(abs(s.error_l) / nullif(s.actual_fuel_l, 0)) as mape_pct,
    100.0 * avg(cast(s.in_80 as {{ dbt.type_float() }})) as coverage_80_pct,
    100.0 * avg(cast(s.in_95 as {{ dbt.type_float() }})) as coverage_95_pct
from scored s
cross join window_end w
where s.target_date > {{ dbt.dateadd('day', -window_days, 'w.last_actual_date') }}
group by s.model_name, s.model_version, s.horizon_days
