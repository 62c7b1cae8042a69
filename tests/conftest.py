"""The test session's own embedded PostgreSQL (never a mock), in a temporary CRVS_HOME.

pytest_configure runs before any test module imports Airflow, so Airflow's configuration points
at this session's server. Tests that need a clean warehouse take the `warehouse` fixture, which
recreates the warehouse database (fast: ~0.1 s) as a copy of the session's template: an empty
warehouse with only dbt's seeds loaded, once per session, so no build of the session loads them
again (dbt finds their checksums recorded: dbt_project/macros/materializations/seed.sql).
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest

TEST_PSEUDONYM_KEY = "test-key-not-a-secret-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_configure(config):
    # Each pytest-xdist worker (make test runs two) gets its own CRVS_HOME, server port and Airflow
    # home; the workers inherit the controller's environment, so the marker names whose it is.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if os.environ.get("CRVS_TEST_HOME_READY") == worker:
        return
    if worker == "main" and getattr(config.option, "numprocesses", None):
        return  # pytest-xdist's controller runs no test; left unset, nothing of it reaches a worker
    home = Path(tempfile.mkdtemp(prefix="crvs-test-"))
    for var in ("CRVS_WAREHOUSE_URL", "CRVS_AIRFLOW_DB_URL", "CRVS_PLATFORM_URL", "CRVS_PLATFORM_TOKEN"):
        os.environ.pop(var, None)
    os.environ.update(
        {
            "CRVS_HOME": str(home),
            "CRVS_PG_PORT": str(_free_port()),
            "CRVS_PG_THROWAWAY": "1",  # thrown away at the end: no fsync
            # the GX File context (validation results, data docs) of this worker alone: two workers
            # storing and pruning results in one folder would see each other's runs
            "CRVS_GX_ROOT": str(home / "gx-root"),
            "CRVS_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
            "CRVS_TEST_HOME_READY": worker,
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        }
    )
    from crvs import airflow_env

    airflow_env.apply()


@pytest.fixture(scope="session")
def postgres_server():
    """The embedded PostgreSQL 18, started once for the session, stopped at its end."""
    from crvs import database

    server = database.EmbeddedPostgres.from_settings()
    database.ensure_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def airflow_db(postgres_server):
    """Airflow's metadata database, migrated once for the session."""
    from airflow.utils import db

    db.resetdb() if os.environ.get("CRVS_TEST_RESET_AIRFLOW") else db.initdb()
    return True


SEEDED_TEMPLATE = "crvs_test_seeded"


def recreate_warehouse(template: str | None = None) -> str:
    """Drop and create the warehouse database (a copy of `template` when given) with its roles'
    privileges (fast: ~0.2 s); returns its URL (the administrator's: tests set up and inspect with
    every right, the code under test connects as its own roles)."""
    from crvs import database, settings

    name = settings.WAREHOUSE_DB
    with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
    database.prepare_warehouse()
    return settings.warehouse_url()


@pytest.fixture(scope="session")
def seeded_template(postgres_server) -> str:
    """The template of every test's warehouse: an empty one in which `dbt seed` ran (the code
    lists, recorded with their checksums), built once per session."""
    from crvs import settings, transform

    recreate_warehouse()
    transform.run_dbt(["seed"])
    copy_warehouse(SEEDED_TEMPLATE)
    with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
        # a template only: nobody connects to it (a copy needs no one connected to its template)
        conn.execute(f'alter database "{SEEDED_TEMPLATE}" with allow_connections false')
    return SEEDED_TEMPLATE


def copy_warehouse(name: str) -> None:
    """Database `name` := a copy of the warehouse as it is now (a template copy: a second, where a
    build takes a minute); the warehouse's other sessions are ended first (a copy needs none)."""
    from crvs import settings

    with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
            (settings.WAREHOUSE_DB,),
        )
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}" template "{settings.WAREHOUSE_DB}"')


def drop_database(name: str) -> None:
    from crvs import settings

    with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def warehouse(seeded_template):
    """An empty warehouse database (but for the seeds); returns its URL."""
    return recreate_warehouse(seeded_template)


@pytest.fixture(scope="module")
def module_warehouse(seeded_template):
    """An empty warehouse database (but for the seeds) shared by one module's tests (for one dbt
    build per module)."""
    return recreate_warehouse(seeded_template)


@pytest.fixture
def db(warehouse):
    """An autocommit connection to the empty warehouse."""
    with psycopg.connect(warehouse, autocommit=True) as conn:
        yield conn


def pytest_collection_modifyitems(config, items):
    """Modules holding a `slow` test (the Celery smoke, the UI) run first: on two workers, the
    longest module started last would run alone at the end. Each module's tests stay together and
    in their order (a stable sort by module)."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)
