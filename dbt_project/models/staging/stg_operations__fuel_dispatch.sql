{{ config(materialized='incremental', unique_key='dispatch_id',
          incremental_strategy='delete+insert',
          indexes=[{'columns': ['dispatch_id'], 'unique': true}, {'columns': ['_loaded_at']}]) }}
{#- Good refuelling transactions, deduplicated on dispatch_id (latest _loaded_at wins). -#}
{%- set where_sql = 'r._loaded_at >= ' ~ loaded_since() if is_incremental() else '' -%}
{{ latest_good_rows(checked_fuel_dispatch(where_sql), ['dispatch_id'], [
    'dispatch_id', 'equipment_id', 'dispensed_at', 'litres', 'station_id']) }}
