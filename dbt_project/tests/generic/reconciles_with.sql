{#- Rows of complete truck-shifts (is_complete = 1) where `column_name` differs from `against` by
    more than `tolerance_pct` % of `against`; shifts where `against` is below `min_value` are not
    judged (a down or barely used truck). -#}
{% test reconciles_with(model, column_name, against, tolerance_pct, min_value) %}
select *
from {{ model }}
where is_complete = 1
  and coalesce({{ against }}, 0) >= {{ min_value }}
  and abs(coalesce({{ column_name }}, 0) - {{ against }}) > {{ tolerance_pct }} / 100.0 * {{ against }}
{% endtest %}
