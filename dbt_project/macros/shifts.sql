{#- The shift an event time belongs to, as in the shift plan and the synthetic mine: the day shift
    starts at var shift_day_start_hour, the night shift var shift_hours later; both belong to the
    shift_date of the day shift (a night's early-morning hours belong to the day before). -#}
{% macro shift_date_of(expr) -%}
    cast({{ dbt.dateadd('hour', -1 * (var('shift_day_start_hour') | int), expr) }} as date)
{%- endmacro %}

{% macro shift_of(expr) -%}
    case when {{ date_part_int('hour', dbt.dateadd('hour', -1 * (var('shift_day_start_hour') | int), expr)) }}
              < {{ var('shift_hours') | int }}
         then 'day' else 'night' end
{%- endmacro %}

{#- The start of the day shift of the shift containing `expr` (a timestamp). -#}
{% macro shift_day_start(expr) -%}
    {{ dbt.dateadd('hour', var('shift_day_start_hour') | int,
                   'cast(' ~ shift_date_of(expr) ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
{%- endmacro %}

{#- The latest of up to three timestamps, nulls ignored (no greatest() on every target). -#}
{% macro latest_of(a, b, c) -%}
    case
        when {{ a }} is not null and {{ a }} >= coalesce({{ b }}, {{ a }})
             and {{ a }} >= coalesce({{ c }}, {{ a }}) then {{ a }}
        when {{ b }} is not null and {{ b }} >= coalesce({{ c }}, {{ b }}) then {{ b }}
        else {{ c }}
    end
{%- endmacro %}
