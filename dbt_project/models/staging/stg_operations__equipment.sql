{{ config(materialized='table') }}
{#- Current equipment register: the latest good snapshot row per equipment_id (small: a table). -#}
{{ latest_good_rows(checked_equipment(), ['equipment_id'], [
    'equipment_id', 'equipment_type', 'model', 'capacity_t', 'commissioned_on', 'engine_hours']) }}
