{{ config(materialized='view') }}
{#- Shadow scores of the cycle fuel models on live haul cycles (ops.shadow_scores) for BI. -#}
select
    s.model_name,
    s.model_version,
    s.role,
    s.window_start,
    s.window_end,
    s.n_cycles,
    s.mae_l,
    s.mape_pct,
    s.bias_l,
    s.baseline_mae_l,
    s.degradation_pct,
    s.scored_at,
    s.run_id
from {{ ref('stg_ops__shadow_scores') }} s
