{#- Where each truck's diesel went, per shift (features.truck_shift_telemetry for BI) with the
    truck's model and rated payload, and the shift's cost and CO2. -#}
with shifts as (
    select * from {{ ref('truck_shift_telemetry') }}
),

trucks as (
    select equipment_id, model, capacity_t
    from {{ ref('stg_operations__equipment') }}
    where equipment_type = 'truck'
)

select
    s.truck_id,
    t.model as truck_model,
    t.capacity_t as truck_capacity_t,
    s.shift_date,
    s.shift,
    s.shift_start,
    s.telemetry_min,
    s.fuel_l,
    s.fuel_l * {{ var('diesel_price_per_l') }} as fuel_cost,
    s.fuel_l * {{ var('co2_kg_per_l') }} as co2_kg,
    s.hauling_min,
    s.hauling_l,
    s.loading_min,
    s.loading_l,
    s.dumping_min,
    s.dumping_l,
    s.queuing_min,
    s.queuing_l,
    s.idle_min,
    s.idle_l,
    s.down_min,
    s.down_l,
    s.overspeed_min,
    s.loaded_tonne_km,
    s.cycles,
    s.tonnes,
    s.cycle_fuel_l,
    s.dispatched_l,
    s.litres_per_t,
    s.litres_per_loaded_tonne_km,
    s.is_complete,
    s._loaded_at as loaded_at
from shifts s
left join trucks t on t.equipment_id = s.truck_id
