{{ config(materialized='table') }}
{#- Per-day site features for the fuel-demand forecast: litres dispensed (fuel_l), planned and
    hauled tonnes, calendar, lags 1/7/14/28 days and trailing means of earlier days (no leak).
    One row per day with any cycle, dispatch or plan; a few hundred rows a year: a table.
    fuel_l is null on a day with no dispatch recorded (demand unknown, not zero). -#}
with dispatch_daily as (
    select cast(dispensed_at as date) as day_date, sum(litres) as fuel_l, count(*) as dispatches
    from {{ ref('stg_operations__fuel_dispatch') }}
    group by cast(dispensed_at as date)
),

cycle_daily as (
    select
        cycle_date as day_date,
        sum(fuel_l) as cycle_fuel_l,
        sum(payload_t) as tonnes,
        sum(tonne_km) as tonne_km,
        count(*) as cycles,
        count(distinct truck_id) as active_trucks
    from {{ ref('int_cycle_features') }}
    group by cycle_date
),

plan_daily as (
    select shift_date as day_date, sum(target_t) as planned_t
    from {{ ref('stg_operations__shift_plan') }}
    group by shift_date
),

days as (
    select day_date from dispatch_daily
    union
    select day_date from cycle_daily
    union
    select day_date from plan_daily
),

base as (
    select
        d.day_date,
        dd.fuel_l,
        coalesce(dd.dispatches, 0) as dispatches,
        coalesce(cd.cycle_fuel_l, 0) as cycle_fuel_l,
        coalesce(cd.tonnes, 0) as tonnes,
        coalesce(cd.tonne_km, 0) as tonne_km,
        coalesce(cd.cycles, 0) as cycles,
        coalesce(cd.active_trucks, 0) as active_trucks,
        coalesce(pd.planned_t, 0) as planned_t
    from days d
    left join dispatch_daily dd on dd.day_date = d.day_date
    left join cycle_daily cd on cd.day_date = d.day_date
    left join plan_daily pd on pd.day_date = d.day_date
)

select
    b.day_date as {{ adapter.quote('date') }},
    b.fuel_l,
    b.planned_t,
    b.tonnes,
    b.tonne_km,
    b.cycles,
    b.active_trucks,
    b.dispatches,
    b.cycle_fuel_l,
    b.fuel_l / nullif(b.tonnes, 0) as litres_per_t,
    b.cycle_fuel_l / nullif(b.tonne_km, 0) as haul_litres_per_tkm,
    {{ date_part_int('year', 'b.day_date') }} as year,
    {{ date_part_int('month', 'b.day_date') }} as month,
    {{ dbt.datediff(dbt.date_trunc('year', 'b.day_date'), 'b.day_date', 'day') }} + 1 as day_of_year,
    {#- 0 = Monday: days since Monday 2000-01-03, modulo 7 (portable, unlike dow/weekday) #}
    {{ dbt.datediff("cast('2000-01-03' as date)", 'b.day_date', 'day') }} % 7 as day_of_week,
    case when {{ dbt.datediff("cast('2000-01-03' as date)", 'b.day_date', 'day') }} % 7 >= 5
         then 1 else 0 end as is_weekend,
    l1.fuel_l as fuel_l_lag_1,
    l7.fuel_l as fuel_l_lag_7,
    l14.fuel_l as fuel_l_lag_14,
    l28.fuel_l as fuel_l_lag_28,
    l1.tonnes as tonnes_lag_1,
    l7.tonnes as tonnes_lag_7,
    avg(b.fuel_l) over (order by b.day_date rows between 7 preceding and 1 preceding)
        as fuel_l_mean_7d,
    avg(b.fuel_l) over (order by b.day_date rows between 28 preceding and 1 preceding)
        as fuel_l_mean_28d,
    avg(b.tonnes) over (order by b.day_date rows between 7 preceding and 1 preceding)
        as tonnes_mean_7d
from base b
left join base l1 on l1.day_date = {{ dbt.dateadd('day', -1, 'b.day_date') }}
left join base l7 on l7.day_date = {{ dbt.dateadd('day', -7, 'b.day_date') }}
left join base l14 on l14.day_date = {{ dbt.dateadd('day', -14, 'b.day_date') }}
left join base l28 on l28.day_date = {{ dbt.dateadd('day', -28, 'b.day_date') }}
