{#-
  Quarantine helpers shared by the stg_ models (which keep the good rows) and ops.rejects (which
  keeps the others, with the rule they broke). A rule is a dict: rule name, column at fault and the
  SQL condition that makes a row bad; the first matching rule wins. Cross-database SQL only.
-#}

{% macro reject_case(rules, part) -%}
    case
    {%- for r in rules %}
        when {{ r.when }} then
        {%- if part == 'rule' %} '{{ r.rule }}'
        {%- elif part == 'column' %} '{{ r.column }}'
        {%- else %} cast({{ r.column }} as {{ dbt.type_string() }})
        {%- endif %}
    {%- endfor %}
    end
{%- endmacro %}


{#- Typed rows of `source_sql` (a derived table with alias) with their reject rule and their rank
    among good rows of the same load batch sharing a key of `dup_keys` (a list of column lists:
    the natural key, and a business key catching a record re-entered under a new id). A good row
    with _batch_rank > 1 is a duplicate; which copy is kept is fixed by `order_cols`. -#}
{% macro checked_rows(source_sql, dup_keys, typed_cols, rules, order_cols) -%}
select d.*,
       case
       {%- for key in dup_keys %}
           when d._dup_rank_{{ loop.index }} > 1 then d._dup_rank_{{ loop.index }}
       {%- endfor %}
           else 1
       end as _batch_rank
from (
    select c.*
    {%- for key in dup_keys %},
           row_number() over (
               partition by {{ key | join(', ') }}, c._batch_id,
                            case when c._reject_rule is null then 0 else 1 end
               order by {{ order_cols | join(', ') }}
           ) as _dup_rank_{{ loop.index }}
    {%- endfor %}
    from (
        select t.*,
               {{ reject_case(rules, 'rule') }} as _reject_rule,
               {{ reject_case(rules, 'column') }} as _reject_column,
               {{ reject_case(rules, 'value') }} as _reject_value
        from (
            select {{ typed_cols | join(',\n                   ') }},
                   s._loaded_at,
                   s._batch_id
            from {{ source_sql }}
        ) t
    ) c
) d
{%- endmacro %}


{#- The latest good version of each natural key among checked rows (dedup on _loaded_at). -#}
{% macro latest_good_rows(checked_sql, key_cols, columns) -%}
select {{ columns | join(', ') }}, _loaded_at, _batch_id
from (
    select k.*,
           row_number() over (
               partition by {{ key_cols | join(', ') }}
               order by k._loaded_at desc, k._batch_id desc
           ) as _latest_rank
    from ({{ checked_sql }}) k
    where k._reject_rule is null and k._batch_rank = 1
) g
where g._latest_rank = 1
{%- endmacro %}


{#- Rows of one raw table that go to quarantine, in the shape of ops.rejects: the latest load of
    each (key, rule, copy). A record re-loaded by a later batch (extract look-back windows)
    replaces its earlier entry, so incremental runs and full refreshes agree. -#}
{% macro rejected_rows(table_name, checked_sql, key_expr) -%}
select {{ dbt.hash(dbt.concat([
           "'" ~ table_name ~ "'", "'|'", "r.record_key", "'|'", "r.rule_name", "'|'",
           "cast(r._batch_rank as " ~ dbt.type_string() ~ ")"])) }} as reject_id,
       cast('{{ table_name }}' as {{ dbt.type_string() }}) as table_name,
       r.record_key,
       r.rule_name as {{ adapter.quote('rule') }},
       r.column_name,
       r.value,
       r._batch_id,
       r._loaded_at
from (
    select x.*,
           row_number() over (
               partition by x.record_key, x.rule_name, x._batch_rank
               order by x._loaded_at desc, x._batch_id desc
           ) as _load_rank
    from (
        select {{ key_expr }} as record_key,
               coalesce(k._reject_rule, 'duplicate') as rule_name,
               case when k._reject_rule is null then 'natural_key'
                    else k._reject_column end as column_name,
               case when k._reject_rule is null then {{ key_expr }}
                    else k._reject_value end as value,
               k._batch_rank,
               k._batch_id,
               k._loaded_at
        from ({{ checked_sql }}) k
        where k._reject_rule is not null or k._batch_rank > 1
    ) x
) r
where r._load_rank = 1
{%- endmacro %}


{#- The newest `column` already in this model (optionally of a subset), or `floor` when there is
    none. On PostgreSQL it is read when the model compiles and inlined as a literal, so the planner
    sees the real bound and reads only the new rows through the _loaded_at index (a subquery leaves
    it a generic plan that scans the year); elsewhere (SQL Server compiles) it stays a subquery. -#}
{% macro newest_in_this(where=none, column='_loaded_at', floor=none) -%}
    {%- set newest_sql -%}
        select max({{ column }}) from {{ this }}{% if where %} where {{ where }}{% endif %}
    {%- endset -%}
    {%- if execute and target.type == 'postgres' -%}
        {%- set found = run_query('select cast(n.v as text) from (' ~ newest_sql ~ ') n(v)') -%}
        {%- set value = found.columns[0].values()[0] -%}
        {%- if value is not none -%}
            cast('{{ value }}' as timestamptz)
        {%- elif floor -%}
            {{ floor }}
        {%- else -%}
            cast(null as timestamptz)
        {%- endif -%}
    {%- elif floor -%}
        coalesce(({{ newest_sql }}), {{ floor }})
    {%- else -%}
        ({{ newest_sql }})
    {%- endif -%}
{%- endmacro %}


{#- Incremental low-water mark: the newest `_loaded_at` already in this model (optionally of a
    subset), minus the configured look-back so that loads committed out of order are not missed. -#}
{% macro loaded_since(where=none, column='_loaded_at') -%}
    {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours') | int,
                   newest_in_this(where, column)) }}
{%- endmacro %}


{#- The same, with a floor for a subset that has no rows yet. -#}
{% macro loaded_since_or_epoch(where) -%}
    {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours') | int,
                   newest_in_this(where, floor="cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")")) }}
{%- endmacro %}
