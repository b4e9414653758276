{{ config(materialized='view') }}
{#- Fleet plans written by optimize_fleet (ops.fleet_plan): a view, always fresh. -#}
select
    p.plan_id,
    p.shift_date,
    p.shift,
    p.truck_id,
    p.shovel_id,
    p.dump_id,
    p.cycles,
    p.planned_tonnes,
    p.predicted_fuel_l,
    p.predicted_cost,
    p.predicted_co2_kg,
    p.status,
    p.objective_fuel_l,
    p.baseline_fuel_l,
    p.saving_pct,
    p.saving_l,
    p.saving_cost,
    p.saving_co2_kg,
    p.currency,
    p.gap_pct,
    p.solve_seconds,
    p.fuel_source,
    p.created_at,
    p.run_id
from {{ ref('stg_ops__fleet_plan') }} p
