{{ config(materialized='view') }}
{#- The cycle fuel models scored on the live window's haul cycles (ops.shadow_scores, written by
    fuelopt.monitor.shadow), one row per model version and window. -#}
with source as (
    select * from {{ source('ops', 'shadow_scores') }}
),

renamed as (
    select
        model_name,
        model_version,
        role,
        window_start,
        window_end,
        n_cycles,
        mae_l,
        mape_pct,
        bias_l,
        baseline_mae_l,
        degradation_pct,
        scored_at,
        run_id
    from source
)

select * from renamed
