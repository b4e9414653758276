{{ config(materialized='incremental', unique_key=['truck_id', 'ts'],
          incremental_strategy='delete+insert',
          indexes=[{'columns': ['truck_id', 'ts'], 'unique': true}, {'columns': ['_loaded_at']}]) }}
{#- Good telemetry rows (one per truck and minute, latest load wins); bad rows go to ops.rejects.
    The largest model: incremental on _loaded_at with a look-back. -#}
{%- set where_sql = 'r._loaded_at >= ' ~ loaded_since() if is_incremental() else '' -%}
{{ latest_good_rows(checked_truck_telemetry(where_sql), ['truck_id', 'ts'], [
    'truck_id', 'ts', 'fuel_rate_lph', 'engine_load_pct', 'speed_kmh', 'payload_t', 'grade_pct',
    'status']) }}
