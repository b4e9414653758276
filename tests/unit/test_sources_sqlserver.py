"""The operations queries compile to T-SQL (SQL Server) and PostgreSQL from one expression."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fuelopt.sources.sqlserver import build_query, compile_sql
from fuelopt.sources.tables import OPERATIONS_COLUMNS

SINCE, UNTIL = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)


def test_incremental_query_in_tsql_filters_orders_and_binds():
    text = compile_sql(build_query("haul_cycles", "dbo", "dump_end", SINCE, UNTIL), "mssql")
    assert "FROM dbo.haul_cycles" in text
    assert "WHERE dbo.haul_cycles.dump_end >= :since AND dbo.haul_cycles.dump_end < :until" in text
    assert text.rstrip().endswith("ORDER BY dbo.haul_cycles.dump_end, dbo.haul_cycles.cycle_id")
    assert "2026" not in text  # values are bound, never formatted into the SQL


def test_limit_compiles_to_top_and_offset_to_offset_fetch():
    top = compile_sql(build_query("fuel_dispatch", "dbo", "dispensed_at", SINCE, limit=10), "mssql")
    assert top.startswith("SELECT TOP ")
    paged = compile_sql(
        build_query("fuel_dispatch", "dbo", "dispensed_at", SINCE, limit=10, offset=20), "mssql"
    )
    assert " ".join(paged.split()).endswith("OFFSET :param_1 ROWS FETCH FIRST :param_2 ROWS ONLY")
    assert "TOP" not in paged
    pg = compile_sql(
        build_query("fuel_dispatch", "dbo", "dispensed_at", SINCE, limit=10, offset=20),
        "postgresql",
    )
    assert "LIMIT" in pg and "OFFSET" in pg and "TOP" not in pg


@pytest.mark.parametrize("table", sorted(OPERATIONS_COLUMNS))
def test_every_table_selects_its_contract_columns_in_both_dialects(table):
    for dialect in ("mssql", "postgresql"):
        text = compile_sql(build_query(table, "dbo", None), dialect)
        select = text.split("FROM")[0]
        for column in OPERATIONS_COLUMNS[table]:
            assert f"dbo.{table}.{column}" in select


def test_snapshot_query_has_no_filter_and_unknown_table_is_refused():
    assert "WHERE" not in compile_sql(build_query("equipment", "dbo", None), "mssql")
    with pytest.raises(ValueError, match="unknown operations table"):
        build_query("nope", "dbo", None)


def test_modified_at_query_filters_on_it_and_returns_it_last_for_the_watermark():
    query = build_query("haul_cycles", "dbo", "modified_at", SINCE, UNTIL, with_mark=True)
    assert [c.name for c in query.selected_columns] == [*OPERATIONS_COLUMNS["haul_cycles"], "_mark"]
    text = " ".join(compile_sql(query, "mssql").split())
    assert "dbo.haul_cycles.modified_at AS _mark FROM dbo.haul_cycles" in text
    assert (
        "WHERE dbo.haul_cycles.modified_at >= :since AND dbo.haul_cycles.modified_at < :until"
        in text
    )
    assert text.endswith("ORDER BY dbo.haul_cycles.modified_at, dbo.haul_cycles.cycle_id")
    plain = build_query("haul_cycles", "dbo", "modified_at", SINCE, UNTIL)
    assert [c.name for c in plain.selected_columns] == list(OPERATIONS_COLUMNS["haul_cycles"])
