{{ config(materialized='incremental', unique_key=['truck_id', 'shift_date', 'shift'],
          incremental_strategy='delete+insert',
          indexes=[{'columns': ['truck_id', 'shift_date', 'shift'], 'unique': true},
                   {'columns': ['_loaded_at']}]) }}
{#- Telemetry per truck and shift (one reading per minute): minutes and litres by status,
    overspeed minutes, loaded tonne-km, with the shift's haul cycles and dispatched litres beside
    them for the reconciliation tests. Incremental: every shift from the day of the earliest
    reading, cycle or dispatch loaded since the last run is recomputed whole. -#}
{%- set tel = ref('stg_telemetry__truck_telemetry') -%}
{%- set cyc = ref('stg_operations__haul_cycles') -%}
{%- set disp = ref('stg_operations__fuel_dispatch') -%}
{%- set statuses = ['hauling', 'loading', 'dumping', 'queuing', 'idle', 'down'] -%}
{%- if is_incremental() -%}
    {%- set from_ts -%}
        (select {{ shift_day_start('min(changed.ts)') }} from (
            select min(t.ts) as ts from {{ tel }} t where t._loaded_at >= {{ loaded_since() }}
            union all
            select min(c.load_start) as ts from {{ cyc }} c where c._loaded_at >= {{ loaded_since() }}
            union all
            select min(d.dispensed_at) as ts from {{ disp }} d
            where d._loaded_at >= {{ loaded_since() }}
        ) changed)
    {%- endset -%}
{%- endif %}

with readings as (
    select
        t.truck_id,
        {{ shift_date_of('t.ts') }} as shift_date,
        {{ shift_of('t.ts') }} as shift,
        t.status,
        t.fuel_rate_lph / 60.0 as litres,
        t.speed_kmh,
        t.payload_t,
        t._loaded_at
    from {{ tel }} t
    {%- if is_incremental() %}
    where t.ts >= {{ from_ts }}
    {%- endif %}
),

telemetry_shifts as (
    select
        truck_id,
        shift_date,
        shift,
        count(*) as telemetry_min,
        sum(litres) as fuel_l,
        {%- for s in statuses %}
        sum(case when status = '{{ s }}' then 1 else 0 end) as {{ s }}_min,
        sum(case when status = '{{ s }}' then litres else 0 end) as {{ s }}_l,
        {%- endfor %}
        sum(case when speed_kmh > {{ var('fuel_overspeed_kmh') }} then 1 else 0 end)
            as overspeed_min,
        sum(case when payload_t > 0 and speed_kmh > 0 then payload_t * speed_kmh / 60.0 else 0 end)
            as loaded_tonne_km,
        max(_loaded_at) as _loaded_at
    from readings
    group by truck_id, shift_date, shift
),

cycle_shifts as (
    select
        c.truck_id,
        {{ shift_date_of('c.load_start') }} as shift_date,
        {{ shift_of('c.load_start') }} as shift,
        count(*) as cycles,
        sum(c.payload_t) as tonnes,
        sum(c.fuel_l) as cycle_fuel_l,
        max(c._loaded_at) as _loaded_at
    from {{ cyc }} c
    {%- if is_incremental() %}
    where c.load_start >= {{ from_ts }}
    {%- endif %}
    group by c.truck_id, {{ shift_date_of('c.load_start') }}, {{ shift_of('c.load_start') }}
),

dispatch_shifts as (
    select
        d.equipment_id as truck_id,
        {{ shift_date_of('d.dispensed_at') }} as shift_date,
        {{ shift_of('d.dispensed_at') }} as shift,
        count(*) as dispatches,
        sum(d.litres) as dispatched_l,
        max(d._loaded_at) as _loaded_at
    from {{ disp }} d
    {%- if is_incremental() %}
    where d.dispensed_at >= {{ from_ts }}
    {%- endif %}
    group by d.equipment_id, {{ shift_date_of('d.dispensed_at') }}, {{ shift_of('d.dispensed_at') }}
)

select
    t.truck_id,
    t.shift_date,
    t.shift,
    {{ dbt.dateadd('hour', '(case when t.shift = ' ~ "'night'" ~ ' then ' ~ (var('shift_hours') | int)
                   ~ ' else 0 end) + ' ~ (var('shift_day_start_hour') | int),
                   'cast(t.shift_date as ' ~ dbt.type_timestamp() ~ ')') }} as shift_start,
    t.telemetry_min,
    t.fuel_l,
    {%- for s in statuses %}
    t.{{ s }}_min,
    t.{{ s }}_l,
    {%- endfor %}
    t.hauling_l + t.loading_l + t.dumping_l + t.queuing_l as cycle_status_l,
    t.overspeed_min,
    t.loaded_tonne_km,
    coalesce(c.cycles, 0) as cycles,
    coalesce(c.tonnes, 0) as tonnes,
    coalesce(c.cycle_fuel_l, 0) as cycle_fuel_l,
    coalesce(d.dispatches, 0) as dispatches,
    d.dispatched_l,
    t.fuel_l / nullif(c.tonnes, 0) as litres_per_t,
    t.fuel_l / nullif(t.loaded_tonne_km, 0) as litres_per_loaded_tonne_km,
    case when t.telemetry_min >= {{ var('fuel_complete_coverage') }} * {{ var('shift_hours') }} * 60
              and d.dispatched_l is not null
         then 1 else 0 end as is_complete,
    {{ latest_of('t._loaded_at', 'c._loaded_at', 'd._loaded_at') }} as _loaded_at
from telemetry_shifts t
left join cycle_shifts c
    on c.truck_id = t.truck_id and c.shift_date = t.shift_date and c.shift = t.shift
left join dispatch_shifts d
    on d.truck_id = t.truck_id and d.shift_date = t.shift_date and d.shift = t.shift
