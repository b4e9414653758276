{{ config(materialized='view') }}
{#- The cycle-level feature frame of docs/contracts.md §1 (haul_cycles + truck_model, truck_engine_hours)
    plus engineered features. A view: equipment attributes are always the current register. -#}
select
    f.cycle_id,
    f.truck_id,
    f.shovel_id,
    f.dump_id,
    f.load_start,
    f.dump_end,
    f.payload_t,
    f.loaded_distance_km,
    f.empty_distance_km,
    f.rise_m,
    f.fall_m,
    f.queue_min,
    f.avg_speed_kmh,
    f.road_condition,
    f.fuel_l,
    e.model as truck_model,
    e.engine_hours as truck_engine_hours,
    e.capacity_t as truck_capacity_t,
    f.payload_t / nullif(e.capacity_t, 0) as payload_frac,
    f.cycle_date,
    f.cycle_hours,
    f.tonne_km,
    f.total_distance_km,
    f.rise_per_km,
    f.queue_share,
    f.hour_of_day,
    f.truck_l_per_tkm_7d,
    f.truck_l_per_t_7d,
    f.truck_cycles_7d
from {{ ref('int_cycle_features') }} f
inner join {{ ref('stg_operations__equipment') }} e
    on e.equipment_id = f.truck_id
