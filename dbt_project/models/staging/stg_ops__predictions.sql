{{ config(materialized='view') }}
{#- Every fuel-demand forecast issued (ops.predictions, written by fuelopt.ml), one row per
    forecast of one target day. -#}
with source as (
    select * from {{ source('ops', 'predictions') }}
),

renamed as (
    select
        prediction_id,
        model_name,
        model_version,
        issued_at,
        horizon_days,
        target_date,
        pred,
        lo80,
        hi80,
        lo95,
        hi95,
        run_id
    from source
)

select * from renamed
