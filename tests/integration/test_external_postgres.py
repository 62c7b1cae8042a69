"""Bring your own PostgreSQL: with CRVS_WAREHOUSE_URL set, everything uses that server instead of
the embedded one. Proven against the PostgreSQL 15 that CI machines run on 127.0.0.1:5432."""

from __future__ import annotations

import psycopg
import pytest

from crvs import database, settings
from crvs.devtools.sample import write_delivery
from crvs.feeds import loader

EXTERNAL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DB = "crvs_byo_test"


def _external_server_available() -> bool:
    try:
        with psycopg.connect(EXTERNAL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


pytestmark = pytest.mark.skipif(
    not _external_server_available(), reason="no PostgreSQL on 127.0.0.1:5432 to act as the managed server"
)


@pytest.fixture
def external_warehouse(monkeypatch):
    with psycopg.connect(EXTERNAL, autocommit=True) as conn:
        conn.execute(f"drop database if exists {TEST_DB} with (force)")
        conn.execute(f"drop database if exists {TEST_DB}_airflow with (force)")
    url = f"postgresql://postgres@127.0.0.1:5432/{TEST_DB}"
    monkeypatch.setenv("CRVS_WAREHOUSE_URL", url)
    monkeypatch.setenv("CRVS_AIRFLOW_DB_URL", f"postgresql://postgres@127.0.0.1:5432/{TEST_DB}_airflow")
    yield url
    with psycopg.connect(EXTERNAL, autocommit=True) as conn:
        conn.execute(f"drop database if exists {TEST_DB} with (force)")
        conn.execute(f"drop database if exists {TEST_DB}_airflow with (force)")


def test_everything_uses_the_given_server(external_warehouse, tmp_path, monkeypatch):
    assert not settings.uses_embedded_postgres()
    assert database.ensure_server() == external_warehouse  # creates both databases, starts nothing
    folder = write_delivery(
        tmp_path / "GSO-2025-0001",
        dict(
            delivery_id="GSO-2025-0001",
            agency="GSO",
            channel="FILE",
            schema_version="1.0",
            extracted_at="2025-10-01T08:00:00+07:00",
            period_start="2025-01-01",
            period_end="2025-12-31",
        ),
        {
            "vital_rates.csv": (
                "gso_vital_rates",
                [
                    dict(
                        year="2025",
                        province_code="01",
                        admin_code_version="2025",
                        crude_birth_rate="14.20",
                        crude_death_rate="6.10",
                    )
                ],
            )
        },
    )

    assert loader.ingest_path(folder).outcome == loader.LOADED

    with psycopg.connect(external_warehouse) as conn:
        assert conn.execute("select province_code, crude_birth_rate::text from raw.gso_vital_rates").fetchall() == [
            ("01", "14.20")
        ]
        assert conn.execute("show server_version_num").fetchone()[0] < "180000"  # not the embedded 18
    status = database.status()
    assert status["mode"].startswith("external") and status["state"].startswith("reachable")


def test_without_a_key_an_external_warehouse_refuses_to_load(external_warehouse, monkeypatch):
    monkeypatch.delenv("CRVS_PSEUDONYM_KEY")
    with pytest.raises(settings.SettingsError, match="CRVS_PSEUDONYM_KEY is not set"):
        settings.pseudonym_key()
