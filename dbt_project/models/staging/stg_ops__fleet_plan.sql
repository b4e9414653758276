{{ config(materialized='view') }}
{#- Fleet plans written by optimize_fleet (ops.fleet_plan), one row per truck and planned shift.
    A view, so a plan published after the last dbt run shows at once. -#}
with source as (
    select * from {{ source('ops', 'fleet_plan') }}
),

renamed as (
    select
        plan_id,
        shift_date,
        shift,
        truck_id,
        shovel_id,
        dump_id,
        cycles,
        planned_tonnes,
        predicted_fuel_l,
        predicted_cost,
        predicted_co2_kg,
        status,
        objective_fuel_l,
        baseline_fuel_l,
        saving_pct,
        saving_l,
        saving_cost,
        saving_co2_kg,
        currency,
        gap_pct,
        solve_seconds,
        fuel_source,
        created_at,
        run_id
    from source
)

select * from renamed
