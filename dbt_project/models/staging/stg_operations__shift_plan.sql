{{ config(materialized='table') }}
{#- Shift targets per shovel, latest good version per (shift_date, shift, shovel_id). -#}
{{ latest_good_rows(checked_shift_plan(), ['shift_date', 'shift', 'shovel_id'], [
    'shift_date', 'shift', 'shovel_id', 'target_t']) }}
