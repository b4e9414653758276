{{ config(materialized='table') }}
{#- Site diesel per day: litres dispensed, litres burned hauling, tonnes, plan attainment. -#}
select
    d.{{ adapter.quote('date') }},
    d.fuel_l,
    d.cycle_fuel_l,
    d.dispatches,
    d.tonnes,
    d.tonne_km,
    d.cycles,
    d.active_trucks,
    d.planned_t,
    100.0 * d.tonnes / nullif(d.planned_t, 0) as plan_attainment_pct,
    d.litres_per_t,
    d.haul_litres_per_tkm
from {{ ref('daily_site_features') }} d
