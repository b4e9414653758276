{#- Per shift and saving lever: the litres the lever would have saved, the basis of the estimate,
    their cost (var diesel_price_per_l) and CO2 (var co2_kg_per_l). Levers:
    - idle_above_benchmark: idle minutes beyond quality.fuel.idle_benchmark_min per truck-shift,
      at the truck-shift's own idle burn rate (telemetry);
    - queuing: every litre burned queuing (telemetry);
    - under_loading: per cycle below quality.fuel.underload_target_frac × rated payload, the share
      of its litres that carried no payload: fuel_l × (1 − payload / target) (haul cycles);
    - road_condition: per shovel→dump route, the litres of fair/poor-road cycles above the route's
      mean litres per cycle on good roads for the same truck model (routes × models with at least
      quality.fuel.road_min_baseline_cycles good cycles), ranked per shift (route_rank);
    - truck_excess (a maintenance flag): per truck-shift, the litres its cycles burned above the
      champion cycle model's prediction for the same cycles (stg_ops__cycle_predictions), when
      they are more than quality.fuel.truck_excess_threshold_pct % above it;
    - operator: per operator of a truck (haul cycles with an operator_id), over its cycles scored
      by the champion: litres / prediction = condition x operator, a condition being the truck
      on a route and road condition, separated by alternating means; its efficiency is its
      factor over the truck's crews' mean (the truck effect removed: a worn engine is
      truck_excess's, not its operators'); operators with at least
      quality.fuel.operator_min_cycles scored cycles; the benchmark is the
      quality.fuel.operator_benchmark_pct percentile (linear) of their efficiencies; per shift,
      an operator above it saves fuel_l × (1 − benchmark / efficiency) on each scored cycle.
    A view: predictions scored after the last dbt run (monitor_drift) show at once. -#}
{{ config(materialized='view') }}
{%- set cat = dbt.type_string() -%}
{%- set num = dbt.type_float() -%}
with truck_shifts as (
    select * from {{ ref('fct_truck_shift_fuel') }}
),

cycles as (
    select
        c.*,
        {{ shift_date_of('c.load_start') }} as shift_date,
        {{ shift_of('c.load_start') }} as shift
    from {{ ref('cycle_features') }} c
),

idle as (
    select
        shift_date,
        shift,
        sum(case when idle_min > {{ var('fuel_idle_benchmark_min') }}
                 then (idle_min - {{ var('fuel_idle_benchmark_min') }}) * idle_l / idle_min
                 else 0 end) as saving_l,
        sum(case when idle_min > {{ var('fuel_idle_benchmark_min') }}
                 then idle_min - {{ var('fuel_idle_benchmark_min') }} else 0 end) as basis_quantity
    from truck_shifts
    group by shift_date, shift
),

queuing as (
    select shift_date, shift, sum(queuing_l) as saving_l, sum(queuing_min) as basis_quantity
    from truck_shifts
    group by shift_date, shift
),

under_loading as (
    select
        shift_date,
        shift,
        sum(fuel_l * (1 - payload_t / target_t)) as saving_l,
        sum(target_t - payload_t) as basis_quantity
    from (
        select shift_date, shift, fuel_l, payload_t,
               truck_capacity_t * {{ var('fuel_underload_target_frac') }} as target_t
        from cycles
        where truck_capacity_t > 0
    ) u
    where payload_t < target_t
    group by shift_date, shift
),

road_baseline as (
    select shovel_id, dump_id, truck_model, avg(fuel_l) as good_fuel_l
    from cycles
    where road_condition = 'good'
    group by shovel_id, dump_id, truck_model
    having count(*) >= {{ var('fuel_road_min_baseline_cycles') }}
),

road as (
    select
        c.shift_date,
        c.shift,
        c.shovel_id,
        c.dump_id,
        sum(c.fuel_l - b.good_fuel_l) as saving_l,
        count(*) as basis_quantity
    from cycles c
    inner join road_baseline b
        on b.shovel_id = c.shovel_id and b.dump_id = c.dump_id and b.truck_model = c.truck_model
    where c.road_condition in ('fair', 'poor')
    group by c.shift_date, c.shift, c.shovel_id, c.dump_id
),

scored as (
    select
        c.shift_date, c.shift, c.truck_id, c.operator_id, c.shovel_id, c.dump_id,
        c.road_condition, c.fuel_l, p.predicted_fuel_l
    from cycles c
    inner join {{ ref('stg_ops__cycle_predictions') }} p on p.cycle_id = c.cycle_id
),

truck_excess as (
    select
        shift_date,
        shift,
        truck_id,
        sum(fuel_l) - sum(predicted_fuel_l) as saving_l,
        count(*) as basis_quantity,
        100.0 * (sum(fuel_l) - sum(predicted_fuel_l)) / sum(predicted_fuel_l) as excess_pct
    from scored
    group by shift_date, shift, truck_id
    having sum(predicted_fuel_l) > 0
       and sum(fuel_l) > sum(predicted_fuel_l)
           * (1 + {{ var('fuel_truck_excess_threshold_pct') }} / 100.0)
),

{#- The operator lever compares each operator with the other crews of its truck under the same
    conditions. Cycle litres / champion prediction = condition x operator: a condition is the
    truck on a route and road condition (its engine, and what the champion misses about it
    there); the two are separated by alternating means (backfitting), `passes` times, starting
    with every operator at 1. Cycles without an operator count as 1 in their condition. -#}
{%- set passes = 3 %}
operator_cycles_0 as (
    select
        shift_date, shift, truck_id, operator_id, fuel_l, predicted_fuel_l,
        shovel_id, dump_id, road_condition,
        cast(1.0 as {{ num }}) as operator_factor
    from scored
    where predicted_fuel_l > 0
),
{%- for i in range(1, passes + 1) %}

condition_factor_{{ i }} as (
    select
        truck_id, shovel_id, dump_id, road_condition,
        sum(fuel_l) / sum(predicted_fuel_l * operator_factor) as condition_factor
    from operator_cycles_{{ i - 1 }}
    group by truck_id, shovel_id, dump_id, road_condition
),

operator_factor_{{ i }} as (
    select
        o.truck_id,
        o.operator_id,
        sum(o.fuel_l) / sum(o.predicted_fuel_l * k.condition_factor) as operator_factor
    from operator_cycles_{{ i - 1 }} o
    inner join condition_factor_{{ i }} k
        on k.truck_id = o.truck_id and k.shovel_id = o.shovel_id and k.dump_id = o.dump_id
        and k.road_condition = o.road_condition
    where o.operator_id is not null
    group by o.truck_id, o.operator_id
),

operator_cycles_{{ i }} as (
    select
        o.shift_date, o.shift, o.truck_id, o.operator_id, o.fuel_l, o.predicted_fuel_l,
        o.shovel_id, o.dump_id, o.road_condition,
        coalesce(f.operator_factor, 1.0) as operator_factor
    from operator_cycles_{{ i - 1 }} o
    left join operator_factor_{{ i }} f
        on f.truck_id = o.truck_id and f.operator_id = o.operator_id
),
{%- endfor %}

truck_crews as (
    {#- the truck's crews' mean factor, weighted by their litres: the scale of the truck -#}
    select truck_id, sum(fuel_l) / sum(fuel_l / operator_factor) as crew_factor
    from operator_cycles_{{ passes }}
    group by truck_id
),

operator_efficiency as (
    select
        o.truck_id,
        o.operator_id,
        count(*) as cycles,
        max(o.operator_factor) / max(t.crew_factor) as efficiency
    from operator_cycles_{{ passes }} o
    inner join truck_crews t on t.truck_id = o.truck_id
    where o.operator_id is not null
    group by o.truck_id, o.operator_id
    having count(*) >= {{ var('fuel_operator_min_cycles') }}
),

operator_ranked as (
    select
        efficiency,
        row_number() over (order by efficiency, truck_id, operator_id) as rn,
        (count(*) over () - 1) * {{ var('fuel_operator_benchmark_pct') }} / 100.0 as position
    from operator_efficiency
),

operator_benchmark as (
    {#- the percentile, interpolated between the two efficiencies around its position -#}
    select
        sum(case when rn = floor(position) + 1
                 then efficiency * (1 - (position - floor(position)))
                 when rn = floor(position) + 2
                 then efficiency * (position - floor(position))
                 else 0 end) as efficiency
    from operator_ranked
),

operator_saving as (
    select
        s.shift_date,
        s.shift,
        s.truck_id,
        s.operator_id,
        sum(s.fuel_l - s.fuel_l * b.efficiency / e.efficiency) as saving_l,
        count(*) as basis_quantity,
        max(100.0 * (e.efficiency / b.efficiency - 1)) as excess_pct
    from scored s
    inner join operator_efficiency e
        on e.truck_id = s.truck_id and e.operator_id = s.operator_id
    cross join operator_benchmark b
    where e.efficiency > b.efficiency
    group by s.shift_date, s.shift, s.truck_id, s.operator_id
),

levers as (
    select shift_date, shift, 'idle_above_benchmark' as lever,
           cast(null as {{ cat }}) as shovel_id, cast(null as {{ cat }}) as dump_id,
           cast(null as {{ cat }}) as truck_id, cast(null as {{ cat }}) as operator_id,
           cast(null as {{ num }}) as excess_pct,
           saving_l, basis_quantity, 'idle minutes above the benchmark' as basis_unit,
           'telemetry idle litres x (idle minutes - benchmark) / idle minutes, per truck-shift'
               as basis
    from idle
    union all
    select shift_date, shift, 'queuing',
           cast(null as {{ cat }}), cast(null as {{ cat }}),
           cast(null as {{ cat }}), cast(null as {{ cat }}), cast(null as {{ num }}),
           saving_l, basis_quantity, 'queuing minutes',
           'telemetry litres burned queuing'
    from queuing
    union all
    select shift_date, shift, 'under_loading',
           cast(null as {{ cat }}), cast(null as {{ cat }}),
           cast(null as {{ cat }}), cast(null as {{ cat }}), cast(null as {{ num }}),
           saving_l, basis_quantity, 'tonnes below the payload target',
           'cycle litres x (1 - payload / target payload), cycles below target'
    from under_loading
    union all
    select shift_date, shift, 'road_condition', shovel_id, dump_id,
           cast(null as {{ cat }}), cast(null as {{ cat }}), cast(null as {{ num }}),
           saving_l, basis_quantity, 'fair or poor road cycles',
           'cycle litres above the route and truck model good-road mean'
    from road
    union all
    select shift_date, shift, 'truck_excess',
           cast(null as {{ cat }}), cast(null as {{ cat }}), truck_id,
           cast(null as {{ cat }}), excess_pct,
           saving_l, basis_quantity, 'haul cycles scored by the champion cycle model',
           'cycle litres above the champion cycle model prediction, truck-shifts beyond the threshold'
    from truck_excess
    union all
    select shift_date, shift, 'operator',
           cast(null as {{ cat }}), cast(null as {{ cat }}), truck_id, operator_id, excess_pct,
           saving_l, basis_quantity, 'haul cycles of the operator scored by the champion',
           'cycle litres x (1 - benchmark / operator efficiency); efficiency: litres / champion prediction against the truck''s other crews on the same route and road condition; benchmark: a percentile over the fleet''s operators'
    from operator_saving
)

select
    shift_date,
    shift,
    lever,
    shovel_id,
    dump_id,
    truck_id,
    operator_id,
    excess_pct,
    saving_l,
    saving_l * {{ var('diesel_price_per_l') }} as saving_cost,
    saving_l * {{ var('co2_kg_per_l') }} as saving_co2_kg,
    basis_quantity,
    basis_unit,
    basis,
    case when lever = 'road_condition'
         then row_number() over (
             partition by shift_date, shift, lever order by saving_l desc, shovel_id, dump_id)
    end as route_rank
from levers
