"""The incremental models' ledger (intermediate.applied_deliveries) is created before any model
runs, once per dbt invocation (on-run-start), never by the models themselves: two models creating it
in parallel threads on a new warehouse collided on pg_type ("duplicate key value violates unique
constraint pg_type_typname_nsp_index") and failed the first build."""

from __future__ import annotations

from pathlib import Path

from crvs import transform

LEDGER = "intermediate.applied_deliveries"
MACROS = Path(transform.__file__).resolve().parents[1] / "dbt_project" / "macros"


def _ledger_exists(db) -> bool:
    return db.execute("select to_regclass(%s) is not null", (LEDGER,)).fetchone()[0]


def test_any_dbt_build_creates_the_ledger_before_its_models_run(db):
    db.execute(f"drop table if exists {LEDGER}")
    assert not _ledger_exists(db)
    transform.build(select="stg_raw__deliveries")  # a view: no incremental model runs
    assert _ledger_exists(db)
    columns = db.execute(
        "select column_name from information_schema.columns"
        " where table_schema = 'intermediate' and table_name = 'applied_deliveries' order by ordinal_position"
    ).fetchall()
    assert [c for (c,) in columns] == ["model", "agency", "delivery_id", "applied_at"]


def test_only_the_run_start_hook_creates_the_ledger():
    creating = [
        path.name for path in MACROS.rglob("*.sql") if "create table if not exists {{ ledger }}" in path.read_text()
    ]
    assert creating == ["incremental.sql"]
    text = (MACROS / "incremental.sql").read_text()
    hook = text[text.index("macro create_applied_deliveries_ledger") :]
    assert "create table if not exists {{ ledger }}" in hook[: hook.index("endmacro")]
