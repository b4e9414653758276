{{ config(materialized='incremental', unique_key='cycle_id', incremental_strategy='delete+insert',
          indexes=[{'columns': ['cycle_id'], 'unique': true}, {'columns': ['loaded_at']}]) }}
{#- One row per good haul cycle with its efficiency figures. Incremental on the cleansed row's
    _loaded_at (look-back); no rolling columns here, so unchanged cycles never need a rewrite. -#}
select
    f.cycle_id,
    f.cycle_date,
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
    f.cycle_hours,
    f.tonne_km,
    f.fuel_l / nullif(f.payload_t, 0) as litres_per_t,
    f.fuel_l / nullif(f.tonne_km, 0) as litres_per_tkm,
    f._loaded_at as loaded_at
from {{ ref('int_cycle_features') }} f
{%- if is_incremental() %}
where f._loaded_at >= {{ loaded_since(column='loaded_at') }}
{%- endif %}
