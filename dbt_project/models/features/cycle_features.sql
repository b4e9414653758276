{{ config(materialized='view') }}
{#- The cycle-level feature frame of docs/contracts.md §1 (haul_cycles + truck_model, truck_engine_hours)
    plus engineered features. A view: equipment attributes come from the current register.
    truck_engine_hours is the truck's hours at the cycle, not today's (no look-ahead): the
    register's hours, minus the hours of the truck's cycles between this one and when the register
    was read (its _loaded_at), plus those of cycles after that. -#}
with cycles as (
    select
        f.*,
        sum(f.cycle_hours) over (
            partition by f.truck_id order by f.dump_end, f.cycle_id rows unbounded preceding
        ) as truck_run_hours
    from {{ ref('int_cycle_features') }} f
),

register_read as (
    select c.truck_id, sum(c.cycle_hours) as run_hours_at_read
    from {{ ref('int_cycle_features') }} c
    inner join {{ ref('stg_operations__equipment') }} e
        on e.equipment_id = c.truck_id and c.dump_end <= e._loaded_at
    group by c.truck_id
),

engine_hours as (
    select
        c.cycle_id,
        e.engine_hours + c.truck_run_hours - coalesce(r.run_hours_at_read, 0) as hours_at_cycle
    from cycles c
    inner join {{ ref('stg_operations__equipment') }} e on e.equipment_id = c.truck_id
    left join register_read r on r.truck_id = c.truck_id
)

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
    f.operator_id,
    e.model as truck_model,
    case when h.hours_at_cycle < 0 then 0 else h.hours_at_cycle end as truck_engine_hours,
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
from cycles f
inner join {{ ref('stg_operations__equipment') }} e
    on e.equipment_id = f.truck_id
inner join engine_hours h on h.cycle_id = f.cycle_id
