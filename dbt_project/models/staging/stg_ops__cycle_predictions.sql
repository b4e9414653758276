{{ config(materialized='view') }}
{#- The champion cycle model's litres per haul cycle (ops.cycle_predictions, written by
    monitor_drift's score_cycles): one row per cycle, from the latest model version that scored
    it (scored_at, then model_version). A view: predictions written after the last dbt run show
    at once in marts.fct_fuel_savings. -#}
with ranked as (
    select
        cycle_id,
        model_name,
        model_version,
        predicted_fuel_l,
        scored_at,
        row_number() over (
            partition by cycle_id order by scored_at desc, model_version desc
        ) as version_rank
    from {{ source('ops', 'cycle_predictions') }}
)

select cycle_id, model_name, model_version, predicted_fuel_l, scored_at
from ranked
where version_rank = 1
