{{ config(materialized='incremental', unique_key='reject_id', incremental_strategy='delete+insert',
          indexes=[{'columns': ['reject_id'], 'unique': true},
                   {'columns': ['table_name', '_loaded_at']}]) }}
{#- Quarantine: every raw row a stg_ model left out, with the rule it broke (first match), the column
    and value at fault. Incremental per source table on _loaded_at (look-back, idempotent ids). -#}
{%- set tables = [
    ('haul_cycles', checked_haul_cycles, "coalesce(k.cycle_id, '<null>')"),
    ('truck_telemetry', checked_truck_telemetry,
     dbt.concat(["coalesce(k.truck_id, '<null>')", "'|'",
                 "coalesce(cast(k.ts as " ~ dbt.type_string() ~ "), '<null>')"])),
    ('equipment', checked_equipment, "coalesce(k.equipment_id, '<null>')"),
    ('fuel_dispatch', checked_fuel_dispatch, "coalesce(k.dispatch_id, '<null>')"),
    ('shift_plan', checked_shift_plan,
     dbt.concat(["coalesce(cast(k.shift_date as " ~ dbt.type_string() ~ "), '<null>')", "'|'",
                 "coalesce(k.shift, '<null>')", "'|'", "coalesce(k.shovel_id, '<null>')"])),
] -%}
select q.*, {{ dbt.current_timestamp() }} as rejected_at
from (
{%- for name, checked, key_expr in tables %}
    {%- set where_sql = 'r._loaded_at >= ' ~ loaded_since_or_epoch("table_name = '" ~ name ~ "'")
                        if is_incremental() else '' %}
    {{ rejected_rows(name, checked(where_sql), key_expr) }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
) q
