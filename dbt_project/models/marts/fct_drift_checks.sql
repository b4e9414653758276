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
    d.drift,
    d.severity,
    d.details
from {{ ref('stg_ops__drift_checks') }} d
