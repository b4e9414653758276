{#- An integer date part (year, month, hour...) on either target: dbt ships no date_part macro. -#}
{% macro date_part_int(part, expr) -%}
    {{ return(adapter.dispatch('date_part_int', 'fuelopt')(part, expr)) }}
{%- endmacro %}

{% macro default__date_part_int(part, expr) -%}
    cast(extract({{ part }} from {{ expr }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro sqlserver__date_part_int(part, expr) -%}
    datepart({{ part }}, {{ expr }})
{%- endmacro %}
