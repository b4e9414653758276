{{ config(materialized='view') }}
{#- Drift, accuracy and freshness checks (ops.drift_checks, written by fuelopt.monitor), one row
    per check, subject, column and metric of a run; the flag as an integer and the details as
    text so BI tools on either target read them. -#}
with source as (
    select * from {{ source('ops', 'drift_checks') }}
),

typed as (
    select
        checked_at,
        run_id,
        check_type,
        subject,
        column_name,
        metric,
        value,
        threshold,
        p_value,
        cast(drift as {{ dbt.type_int() }}) as drift,
        severity,
        cast(details as {{ dbt.type_string() }}) as details
    from source
)

select * from typed
