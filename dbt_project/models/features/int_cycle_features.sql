{{ config(materialized='incremental', unique_key='cycle_id', incremental_strategy='delete+insert',
          on_schema_change='append_new_columns',
          indexes=[{'columns': ['cycle_id'], 'unique': true}, {'columns': ['_loaded_at']}]) }}
{#- Per-cycle engineered features (no equipment attributes: cycle_features adds those at read time,
    so an equipment update never leaves stale rows). Incremental: every cycle on or after the
    earliest day touched by newly cleansed cycles is recomputed, because the truck's rolling
    efficiency of later days depends on it; `dbt build --full-refresh` gives the same rows. -#}
{%- set stg = ref('stg_operations__haul_cycles') -%}
{%- set days = var('truck_rolling_days') | int -%}
{%- if is_incremental() -%}
    {%- set from_date -%}
        (select min(changed.d) from (
            select cast(n.dump_end as date) as d from {{ stg }} n
            where n._loaded_at >= {{ loaded_since() }}
            union all
            select o.cycle_date as d from {{ this }} o
            where o.cycle_id in (select n2.cycle_id from {{ stg }} n2
                                 where n2._loaded_at >= {{ loaded_since() }})
        ) changed)
    {%- endset -%}
{%- endif %}

with cycles as (
    select
        c.*,
        cast(c.dump_end as date) as cycle_date,
        {{ dbt.datediff('c.load_start', 'c.dump_end', 'second') }} / 3600.0 as cycle_hours
    from {{ stg }} c
    {%- if is_incremental() %}
    where cast(c.dump_end as date) >= {{ from_date }}
    {%- endif %}
),

truck_days as (
    select
        t.truck_id,
        cast(t.dump_end as date) as d,
        sum(t.fuel_l) as fuel_l,
        sum(t.payload_t) as tonnes,
        sum(t.payload_t * t.loaded_distance_km) as tonne_km,
        count(*) as cycles
    from {{ stg }} t
    {%- if is_incremental() %}
    where cast(t.dump_end as date) >= {{ dbt.dateadd('day', -days, from_date) }}
    {%- endif %}
    group by t.truck_id, cast(t.dump_end as date)
),

cycle_truck_days as (
    select distinct truck_id, cycle_date from cycles
),

rolling as (
    {#- the truck's previous `truck_rolling_days` days, excluding the cycle's own day (no leak) #}
    select
        ctd.truck_id,
        ctd.cycle_date,
        sum(td.fuel_l) / nullif(sum(td.tonne_km), 0) as truck_l_per_tkm_7d,
        sum(td.fuel_l) / nullif(sum(td.tonnes), 0) as truck_l_per_t_7d,
        sum(td.cycles) as truck_cycles_7d
    from cycle_truck_days ctd
    inner join truck_days td
        on td.truck_id = ctd.truck_id
        and td.d >= {{ dbt.dateadd('day', -days, 'ctd.cycle_date') }}
        and td.d < ctd.cycle_date
    group by ctd.truck_id, ctd.cycle_date
)

select
    c.cycle_id,
    c.truck_id,
    c.shovel_id,
    c.dump_id,
    c.load_start,
    c.dump_end,
    c.payload_t,
    c.loaded_distance_km,
    c.empty_distance_km,
    c.rise_m,
    c.fall_m,
    c.queue_min,
    c.avg_speed_kmh,
    c.road_condition,
    c.fuel_l,
    c.operator_id,
    c.cycle_date,
    c.cycle_hours,
    c.payload_t * c.loaded_distance_km as tonne_km,
    c.loaded_distance_km + c.empty_distance_km as total_distance_km,
    c.rise_m / nullif(c.loaded_distance_km, 0) as rise_per_km,
    {#- queuing happens before load_start: share of the queue in queue + cycle time #}
    (c.queue_min / 60.0) / nullif(c.queue_min / 60.0 + c.cycle_hours, 0) as queue_share,
    {{ date_part_int('hour', 'c.load_start') }} as hour_of_day,
    r.truck_l_per_tkm_7d,
    r.truck_l_per_t_7d,
    coalesce(r.truck_cycles_7d, 0) as truck_cycles_7d,
    c._loaded_at
from cycles c
left join rolling r
    on r.truck_id = c.truck_id
    and r.cycle_date = c.cycle_date
