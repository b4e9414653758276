{{ config(materialized='table') }}
{#- Current equipment register for BI. -#}
select
    e.equipment_id,
    e.equipment_type,
    e.model,
    e.capacity_t,
    e.commissioned_on,
    e.engine_hours,
    case when e.equipment_type = 'truck' then 1 else 0 end as is_truck,
    e._loaded_at as snapshot_loaded_at
from {{ ref('stg_operations__equipment') }} e
