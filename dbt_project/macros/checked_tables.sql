{#-
  One macro per raw table: its typed, standardised columns and its quarantine rules, read by the
  table's stg_ model and by ops.rejects. `where_sql` restricts the raw rows read (incremental runs).
  Thresholds are project vars, set from the `quality.dbt` section of include/config/fuelopt.yaml.
-#}

{% macro known_trucks_sql() -%}
(select equipment_id from {{ ref('stg_operations__equipment') }} where equipment_type = 'truck')
{%- endmacro %}


{#- The first-seen id of each business key of `relation`: per key, the id whose first load is the
    earliest (ties: the smallest id). A record re-entered under a new id, in a later load or in the
    same one, is told from the original by this, however the ids sort. `keys` is a list of
    (name, expression over alias f) pairs. -#}
{% macro first_seen_ids(relation, id_col, keys) -%}
(
    select {% for name, _ in keys %}{{ name }}, {% endfor %}first_id
    from (
        select {% for name, _ in keys %}{{ name }}, {% endfor %}id_value as first_id,
               row_number() over (
                   partition by {% for name, _ in keys %}{{ name }}{% if not loop.last %}, {% endif %}{% endfor %}
                   order by first_loaded_at, id_value
               ) as _seen_rank
        from (
            select {% for name, expr in keys %}{{ expr }} as {{ name }}, {% endfor %}
                   trim(f.{{ id_col }}) as id_value, min(f._loaded_at) as first_loaded_at
            from {{ relation }} f
            where f.{{ id_col }} is not null
            {%- for name, expr in keys %} and {{ expr }} is not null{% endfor %}
            group by {% for name, expr in keys %}{{ expr }}, {% endfor %}trim(f.{{ id_col }})
        ) ids
    ) ranked
    where _seen_rank = 1
)
{%- endmacro %}


{#- A row stamped later than it was loaded, beyond the tolerance: a clock or keying error. -#}
{% macro future_rule(column) -%}
{{ return({'rule': 'future_timestamp', 'column': column,
           'when': column ~ ' > ' ~ dbt.dateadd('minute', var('future_tolerance_minutes') | int,
                                                '_loaded_at')}) }}
{%- endmacro %}


{% macro checked_haul_cycles(where_sql='') -%}
{%- set f = dbt.type_float() -%}
{%- set s = dbt.type_string() -%}
{%- set typed = [
    "trim(s.cycle_id) as cycle_id",
    "trim(s.truck_id) as truck_id",
    "trim(s.shovel_id) as shovel_id",
    "trim(s.dump_id) as dump_id",
    "s.load_start",
    "s.dump_end",
    "cast(s.payload_t as " ~ f ~ ") as payload_t",
    "cast(s.loaded_distance_km as " ~ f ~ ") as loaded_distance_km",
    "cast(s.empty_distance_km as " ~ f ~ ") as empty_distance_km",
    "cast(s.rise_m as " ~ f ~ ") as rise_m",
    "cast(s.fall_m as " ~ f ~ ") as fall_m",
    "cast(s.queue_min as " ~ f ~ ") as queue_min",
    "cast(s.avg_speed_kmh as " ~ f ~ ") as avg_speed_kmh",
    "lower(trim(s.road_condition)) as road_condition",
    "cast(s.fuel_l as " ~ f ~ ") as fuel_l",
    "cast(nullif(trim(s.operator_id), '') as " ~ s ~ ") as operator_id",
    "s._known_truck",
    "s._reentered",
] -%}
{%- set rules = [{'rule': 'missing_key', 'column': 'cycle_id', 'when': 'cycle_id is null'}] -%}
{%- for col in ['truck_id', 'shovel_id', 'dump_id', 'load_start', 'dump_end', 'payload_t',
                'loaded_distance_km', 'empty_distance_km', 'rise_m', 'fall_m', 'queue_min',
                'avg_speed_kmh', 'road_condition', 'fuel_l'] -%}
    {%- do rules.append({'rule': 'null_value', 'column': col, 'when': col ~ ' is null'}) -%}
{%- endfor -%}
{%- do rules.append({'rule': 'unknown_truck', 'column': 'truck_id', 'when': '_known_truck = 0'}) -%}
{%- for col in ['fuel_l', 'payload_t', 'loaded_distance_km', 'empty_distance_km', 'rise_m',
                'fall_m', 'queue_min', 'avg_speed_kmh'] -%}
    {%- do rules.append({'rule': 'negative_value', 'column': col, 'when': col ~ ' < 0'}) -%}
{%- endfor -%}
{%- do rules.append({'rule': 'out_of_range', 'column': 'fuel_l',
                     'when': 'fuel_l > ' ~ var('max_cycle_fuel_l')}) -%}
{%- do rules.append({'rule': 'out_of_range', 'column': 'payload_t',
                     'when': 'payload_t > ' ~ var('max_payload_t')}) -%}
{%- do rules.append({'rule': 'out_of_range', 'column': 'avg_speed_kmh',
                     'when': 'avg_speed_kmh > ' ~ var('max_speed_kmh')}) -%}
{%- do rules.append({'rule': 'invalid_category', 'column': 'road_condition',
                     'when': "road_condition not in ('good', 'fair', 'poor')"}) -%}
{%- do rules.append({'rule': 'bad_interval', 'column': 'dump_end',
                     'when': 'dump_end <= load_start'}) -%}
{%- do rules.append(future_rule('dump_end')) -%}
{%- do rules.append({'rule': 'duplicate', 'column': 'cycle_id', 'when': '_reentered = 1'}) -%}
{%- set raw = source('operations', 'haul_cycles') -%}
{%- set source_sql -%}
(
    select r.*, case when kt.equipment_id is null then 0 else 1 end as _known_truck,
           case when fs.first_id <> trim(r.cycle_id) then 1 else 0 end as _reentered
    from {{ raw }} r
    left join {{ known_trucks_sql() }} kt on kt.equipment_id = trim(r.truck_id)
    left join {{ first_seen_ids(raw, 'cycle_id',
                                [('truck_id', 'trim(f.truck_id)'), ('load_start', 'f.load_start')]) }} fs
        on fs.truck_id = trim(r.truck_id) and fs.load_start = r.load_start
    {% if where_sql %}where {{ where_sql }}{% endif %}
) s
{%- endset -%}
{{ checked_rows(source_sql, [['c.cycle_id']], typed, rules,
                ['c.cycle_id', 'c.dump_end', 'c.fuel_l', 'c.payload_t']) }}
{%- endmacro %}


{% macro checked_truck_telemetry(where_sql='') -%}
{%- set f = dbt.type_float() -%}
{%- set typed = [
    "trim(s.truck_id) as truck_id",
    "s.ts",
    "cast(s.fuel_rate_lph as " ~ f ~ ") as fuel_rate_lph",
    "cast(s.engine_load_pct as " ~ f ~ ") as engine_load_pct",
    "cast(s.speed_kmh as " ~ f ~ ") as speed_kmh",
    "cast(s.payload_t as " ~ f ~ ") as payload_t",
    "cast(s.grade_pct as " ~ f ~ ") as grade_pct",
    "lower(trim(s.status)) as status",
    "s._known_truck",
] -%}
{%- set rules = [
    {'rule': 'missing_key', 'column': 'truck_id', 'when': 'truck_id is null'},
    {'rule': 'missing_key', 'column': 'ts', 'when': 'ts is null'},
] -%}
{%- for col in ['fuel_rate_lph', 'engine_load_pct', 'speed_kmh', 'payload_t', 'status'] -%}
    {%- do rules.append({'rule': 'null_value', 'column': col, 'when': col ~ ' is null'}) -%}
{%- endfor -%}
{%- do rules.append({'rule': 'unknown_truck', 'column': 'truck_id', 'when': '_known_truck = 0'}) -%}
{%- for col in ['fuel_rate_lph', 'engine_load_pct', 'speed_kmh', 'payload_t'] -%}
    {%- do rules.append({'rule': 'negative_value', 'column': col, 'when': col ~ ' < 0'}) -%}
{%- endfor -%}
{#- sensor spikes: readings no engine gives (fuel rate, load), or a working load while the
    truck stands (idle, queuing, loading, dumping, down); a spike inside the hauling envelope
    cannot be told from a real uphill minute and passes #}
{%- do rules.append({'rule': 'spike', 'column': 'fuel_rate_lph',
                     'when': 'fuel_rate_lph > ' ~ var('max_fuel_rate_lph')}) -%}
{%- do rules.append({'rule': 'spike', 'column': 'engine_load_pct',
                     'when': 'engine_load_pct > ' ~ var('max_engine_load_pct')}) -%}
{%- do rules.append({'rule': 'spike', 'column': 'engine_load_pct',
                     'when': "status <> 'hauling' and engine_load_pct > "
                             ~ var('max_stationary_load_pct')}) -%}
{%- do rules.append({'rule': 'out_of_range', 'column': 'speed_kmh',
                     'when': 'speed_kmh > ' ~ var('max_speed_kmh')}) -%}
{%- do rules.append({'rule': 'out_of_range', 'column': 'payload_t',
                     'when': 'payload_t > ' ~ var('max_payload_t')}) -%}
{%- do rules.append({'rule': 'invalid_category', 'column': 'status',
                     'when': "status not in ('hauling', 'loading', 'dumping', 'queuing', 'idle', 'down')"}) -%}
{%- do rules.append(future_rule('ts')) -%}
{%- set source_sql -%}
(
    select r.*, case when kt.equipment_id is null then 0 else 1 end as _known_truck
    from {{ source('telemetry', 'truck_telemetry') }} r
    left join {{ known_trucks_sql() }} kt on kt.equipment_id = trim(r.truck_id)
    {% if where_sql %}where {{ where_sql }}{% endif %}
) s
{%- endset -%}
{{ checked_rows(source_sql, [['c.truck_id', 'c.ts']], typed, rules,
                ['c.fuel_rate_lph', 'c.speed_kmh', 'c.payload_t', 'c.status']) }}
{%- endmacro %}


{% macro checked_equipment(where_sql='') -%}
{%- set f = dbt.type_float() -%}
{%- set typed = [
    "trim(s.equipment_id) as equipment_id",
    "lower(trim(s.equipment_type)) as equipment_type",
    "trim(s.model) as model",
    "cast(s.capacity_t as " ~ f ~ ") as capacity_t",
    "s.commissioned_on",
    "cast(s.engine_hours as " ~ f ~ ") as engine_hours",
] -%}
{%- set rules = [
    {'rule': 'missing_key', 'column': 'equipment_id', 'when': 'equipment_id is null'},
    {'rule': 'null_value', 'column': 'equipment_type', 'when': 'equipment_type is null'},
    {'rule': 'null_value', 'column': 'model', 'when': 'model is null'},
    {'rule': 'invalid_category', 'column': 'equipment_type',
     'when': "equipment_type not in ('truck', 'shovel', 'auxiliary')"},
    {'rule': 'negative_value', 'column': 'capacity_t', 'when': 'capacity_t < 0'},
    {'rule': 'negative_value', 'column': 'engine_hours', 'when': 'engine_hours < 0'},
] -%}
{%- set source_sql -%}
(
    select r.* from {{ source('operations', 'equipment') }} r
    {% if where_sql %}where {{ where_sql }}{% endif %}
) s
{%- endset -%}
{{ checked_rows(source_sql, [['c.equipment_id']], typed, rules,
                ['c.engine_hours', 'c.model', 'c.equipment_type']) }}
{%- endmacro %}


{% macro checked_fuel_dispatch(where_sql='') -%}
{%- set f = dbt.type_float() -%}
{%- set typed = [
    "trim(s.dispatch_id) as dispatch_id",
    "trim(s.equipment_id) as equipment_id",
    "s.dispensed_at",
    "cast(s.litres as " ~ f ~ ") as litres",
    "trim(s.station_id) as station_id",
    "s._known_equipment",
    "s._reentered",
] -%}
{%- set rules = [
    {'rule': 'missing_key', 'column': 'dispatch_id', 'when': 'dispatch_id is null'},
    {'rule': 'null_value', 'column': 'equipment_id', 'when': 'equipment_id is null'},
    {'rule': 'null_value', 'column': 'dispensed_at', 'when': 'dispensed_at is null'},
    {'rule': 'null_value', 'column': 'litres', 'when': 'litres is null'},
    {'rule': 'unknown_equipment', 'column': 'equipment_id', 'when': '_known_equipment = 0'},
    {'rule': 'negative_value', 'column': 'litres', 'when': 'litres < 0'},
    {'rule': 'out_of_range', 'column': 'litres',
     'when': 'litres > ' ~ var('max_dispatch_litres')},
    future_rule('dispensed_at'),
    {'rule': 'duplicate', 'column': 'dispatch_id', 'when': '_reentered = 1'},
] -%}
{%- set raw = source('operations', 'fuel_dispatch') -%}
{%- set source_sql -%}
(
    select r.*, case when ke.equipment_id is null then 0 else 1 end as _known_equipment,
           case when fs.first_id <> trim(r.dispatch_id) then 1 else 0 end as _reentered
    from {{ raw }} r
    left join {{ ref('stg_operations__equipment') }} ke on ke.equipment_id = trim(r.equipment_id)
    left join {{ first_seen_ids(raw, 'dispatch_id', [('equipment_id', 'trim(f.equipment_id)'),
                                                     ('dispensed_at', 'f.dispensed_at')]) }} fs
        on fs.equipment_id = trim(r.equipment_id) and fs.dispensed_at = r.dispensed_at
    {% if where_sql %}where {{ where_sql }}{% endif %}
) s
{%- endset -%}
{{ checked_rows(source_sql, [['c.dispatch_id']], typed, rules, ['c.dispatch_id', 'c.litres']) }}
{%- endmacro %}


{% macro checked_shift_plan(where_sql='') -%}
{%- set f = dbt.type_float() -%}
{%- set typed = [
    "s.shift_date",
    "lower(trim(s.shift)) as shift",
    "trim(s.shovel_id) as shovel_id",
    "cast(s.target_t as " ~ f ~ ") as target_t",
] -%}
{%- set rules = [
    {'rule': 'missing_key', 'column': 'shift_date', 'when': 'shift_date is null'},
    {'rule': 'missing_key', 'column': 'shift', 'when': 'shift is null'},
    {'rule': 'missing_key', 'column': 'shovel_id', 'when': 'shovel_id is null'},
    {'rule': 'null_value', 'column': 'target_t', 'when': 'target_t is null'},
    {'rule': 'invalid_category', 'column': 'shift', 'when': "shift not in ('day', 'night')"},
    {'rule': 'negative_value', 'column': 'target_t', 'when': 'target_t < 0'},
    {'rule': 'out_of_range', 'column': 'target_t', 'when': 'target_t > ' ~ var('max_target_t')},
] -%}
{%- set source_sql -%}
(
    select r.* from {{ source('operations', 'shift_plan') }} r
    {% if where_sql %}where {{ where_sql }}{% endif %}
) s
{%- endset -%}
{{ checked_rows(source_sql, [['c.shift_date', 'c.shift', 'c.shovel_id']], typed, rules,
                ['c.target_t']) }}
{%- endmacro %}
