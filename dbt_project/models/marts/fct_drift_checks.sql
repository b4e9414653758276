{{ config(materialized='view') }}
{#- Drift, accuracy and freshness checks (ops.drift_checks) for BI. -#}
select
    d.checked_at,
    d.run_id,
    d.check_type,
    d.subject,
    d.column_name,
    d.metric,
    d.value,
    d.threshold,
    d.p_value,
    cast(d.drift as {{ dbt.type_int() }}) as drift,
    d.severity,
    cast(d.details as {{ dbt.type_string() }}) as details
from {{ source('ops', 'drift_checks') }} d
