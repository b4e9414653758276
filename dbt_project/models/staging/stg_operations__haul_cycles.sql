{{ config(materialized='incremental', unique_key='cycle_id', incremental_strategy='delete+insert',
          on_schema_change='append_new_columns',
          indexes=[{'columns': ['cycle_id'], 'unique': true}, {'columns': ['_loaded_at']}]) }}
{#- Good haul cycles, typed and deduplicated (latest _loaded_at per cycle_id); bad rows go to
    ops.rejects. Incremental on _loaded_at with a look-back: a re-loaded cycle replaces its row. -#}
{%- set where_sql = 'r._loaded_at >= ' ~ loaded_since() if is_incremental() else '' -%}
{{ latest_good_rows(checked_haul_cycles(where_sql), ['cycle_id'], [
    'cycle_id', 'truck_id', 'shovel_id', 'dump_id', 'load_start', 'dump_end', 'payload_t',
    'loaded_distance_km', 'empty_distance_km', 'rise_m', 'fall_m', 'queue_min', 'avg_speed_kmh',
    'road_condition', 'fuel_l', 'operator_id']) }}
