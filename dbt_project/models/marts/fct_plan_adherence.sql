{#- Did the trucks do what the fleet plan said? Per planned shift and truck (latest plan of the
    shift, shifts with haul cycles only): planned vs actual shovel and cycles, the actual tonnes,
    litres and litres per tonne, adherence % (share of the truck's cycles loaded at a shovel the
    plan sent it to), and the shift's realised litres per tonne against the mean of comparable
    unplanned shifts (same shift type, var fuel_plan_comparison_days days before). A view, like
    fct_fleet_plan: a plan published after the last dbt run, or republished for a past shift,
    shows at once. -#}
{{ config(materialized='view') }}
{%- set comparison_days = var('fuel_plan_comparison_days') | int -%}

with plan_rows as (
    select
        p.*,
        dense_rank() over (
            partition by p.shift_date, p.shift order by p.created_at desc, p.plan_id desc
        ) as plan_rank
    from {{ ref('fct_fleet_plan') }} p
),

planned_routes as (
    select plan_id, shift_date, shift, truck_id, shovel_id, cycles, planned_tonnes, predicted_fuel_l
    from plan_rows
    where plan_rank = 1
),

planned_shovels as (
    select
        shift_date,
        shift,
        truck_id,
        shovel_id,
        sum(cycles) as cycles,
        row_number() over (
            partition by shift_date, shift, truck_id order by sum(cycles) desc, shovel_id
        ) as shovel_rank
    from planned_routes
    where shovel_id <> '-' and cycles > 0
    group by shift_date, shift, truck_id, shovel_id
),

planned as (
    select
        r.shift_date,
        r.shift,
        r.truck_id,
        max(r.plan_id) as plan_id,
        sum(r.cycles) as planned_cycles,
        sum(r.planned_tonnes) as planned_tonnes,
        sum(r.predicted_fuel_l) as planned_fuel_l
    from planned_routes r
    group by r.shift_date, r.shift, r.truck_id
),

cycles as (
    select
        c.truck_id,
        c.shovel_id,
        c.payload_t,
        c.fuel_l,
        {{ shift_date_of('c.load_start') }} as shift_date,
        {{ shift_of('c.load_start') }} as shift
    from {{ ref('fct_haul_cycles') }} c
),

actual_shovels as (
    select
        shift_date,
        shift,
        truck_id,
        shovel_id,
        count(*) as cycles,
        row_number() over (
            partition by shift_date, shift, truck_id order by count(*) desc, shovel_id
        ) as shovel_rank
    from cycles
    group by shift_date, shift, truck_id, shovel_id
),

actual as (
    select
        shift_date,
        shift,
        truck_id,
        count(*) as actual_cycles,
        sum(payload_t) as actual_tonnes,
        sum(fuel_l) as actual_fuel_l
    from cycles
    group by shift_date, shift, truck_id
),

at_planned_shovel as (
    select
        a.shift_date,
        a.shift,
        a.truck_id,
        sum(a.cycles) as cycles
    from actual_shovels a
    inner join planned_shovels p
        on p.shift_date = a.shift_date and p.shift = a.shift and p.truck_id = a.truck_id
        and p.shovel_id = a.shovel_id
    group by a.shift_date, a.shift, a.truck_id
),

site_shifts as (
    select
        c.shift_date,
        c.shift,
        sum(c.fuel_l) / nullif(sum(c.payload_t), 0) as litres_per_t,
        case when max(p.shift_date) is null then 0 else 1 end as is_planned
    from cycles c
    left join (select distinct shift_date, shift from planned_routes) p
        on p.shift_date = c.shift_date and p.shift = c.shift
    group by c.shift_date, c.shift
),

comparable as (
    select
        s.shift_date,
        s.shift,
        avg(u.litres_per_t) as unplanned_litres_per_t,
        count(u.shift_date) as unplanned_shifts
    from site_shifts s
    left join site_shifts u
        on u.shift = s.shift
        and u.is_planned = 0
        and u.litres_per_t is not null
        and u.shift_date < s.shift_date
        and u.shift_date >= {{ dbt.dateadd('day', -1 * comparison_days, 's.shift_date') }}
    where s.is_planned = 1
    group by s.shift_date, s.shift
),

joined as (
    select
        p.shift_date,
        p.shift,
        p.truck_id,
        p.plan_id,
        ps.shovel_id as planned_shovel_id,
        p.planned_cycles,
        p.planned_tonnes,
        p.planned_fuel_l,
        xs.shovel_id as actual_shovel_id,
        a.actual_cycles,
        a.actual_tonnes,
        a.actual_fuel_l,
        coalesce(m.cycles, 0) as cycles_at_planned_shovel,
        s.litres_per_t as shift_litres_per_t,
        c.unplanned_litres_per_t,
        c.unplanned_shifts
    from planned p
    inner join actual a
        on a.shift_date = p.shift_date and a.shift = p.shift and a.truck_id = p.truck_id
    left join planned_shovels ps
        on ps.shift_date = p.shift_date and ps.shift = p.shift and ps.truck_id = p.truck_id
        and ps.shovel_rank = 1
    left join actual_shovels xs
        on xs.shift_date = p.shift_date and xs.shift = p.shift and xs.truck_id = p.truck_id
        and xs.shovel_rank = 1
    left join at_planned_shovel m
        on m.shift_date = p.shift_date and m.shift = p.shift and m.truck_id = p.truck_id
    left join site_shifts s
        on s.shift_date = p.shift_date and s.shift = p.shift
    left join comparable c
        on c.shift_date = p.shift_date and c.shift = p.shift
),

final as (
    select
        shift_date,
        shift,
        truck_id,
        plan_id,
        planned_shovel_id,
        actual_shovel_id,
        case when planned_shovel_id = actual_shovel_id then 1 else 0 end as is_planned_shovel,
        planned_cycles,
        actual_cycles,
        100.0 * cast(actual_cycles as {{ dbt.type_float() }}) / nullif(planned_cycles, 0)
            as cycles_vs_plan_pct,
        cycles_at_planned_shovel,
        100.0 * cast(cycles_at_planned_shovel as {{ dbt.type_float() }}) / actual_cycles
            as adherence_pct,
        planned_tonnes,
        actual_tonnes,
        planned_fuel_l,
        actual_fuel_l,
        planned_fuel_l / nullif(planned_tonnes, 0) as planned_litres_per_t,
        actual_fuel_l * {{ var('diesel_price_per_l') }} as actual_fuel_cost,
        actual_fuel_l * {{ var('co2_kg_per_l') }} as actual_co2_kg,
        actual_fuel_l / nullif(actual_tonnes, 0) as actual_litres_per_t,
        shift_litres_per_t,
        unplanned_litres_per_t,
        unplanned_shifts,
        100.0 * (shift_litres_per_t - unplanned_litres_per_t)
            / nullif(unplanned_litres_per_t, 0) as shift_vs_unplanned_pct
    from joined
)

select * from final
