"""Every model compiles for the `sqlserver` target and parses as T-SQL (sqlfluff, dialect tsql).

There is no SQL Server here: the adapter's relation look-up is replaced by a test double (no
connection is opened, `--no-introspect`), answering "absent" for the first build and "present"
for incremental runs, so both branches of every incremental model are rendered and parsed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlfluff
from dbt.adapters.sqlserver import SQLServerAdapter
from sqlfluff.api.simple import APIParsingError

from fuelopt.transform.dbt_run import run_dbt

NO_SERVER_URI = "postgresql://fuelopt_loader@127.0.0.1:1433/fuelopt"  # only fills profile env vars


@pytest.mark.parametrize("existing", [False, True], ids=["first_build", "incremental"])
def test_every_model_compiles_for_sqlserver_and_parses_as_tsql(existing, monkeypatch, tmp_path):
    def relation_double(self, database, schema, identifier, needs_information=False):
        if not existing:
            return None
        return self.Relation.create(
            database=database, schema=schema, identifier=identifier, type="table"
        )

    monkeypatch.setattr(SQLServerAdapter, "get_relation", relation_double)
    args = ["compile", "--target", "sqlserver", "--no-introspect", "--no-populate-cache"]
    run_dbt([*args, "--threads", "1", "--quiet"], uri=NO_SERVER_URI, target_path=tmp_path)

    compiled = sorted((tmp_path / "compiled" / "fuelopt" / "models").rglob("*.sql"))
    assert len(compiled) >= 16
    problems = []
    for path in compiled:
        sql = Path(path).read_text()
        if existing and path.stem in {"int_cycle_features", "stg_operations__haul_cycles"}:
            assert "dateadd(" in sql  # the incremental branch was rendered
        assert "::" not in sql, f"{path.name}: PostgreSQL cast syntax"
        try:
            sqlfluff.parse(sql, dialect="tsql")
        except APIParsingError as exc:
            problems.append(f"{path.name}: {exc}")
    assert not problems, "\n".join(problems)
