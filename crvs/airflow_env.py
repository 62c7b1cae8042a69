"""The environment Airflow runs in: its home, its metadata database and the project's DAGs.

Airflow reads its configuration from AIRFLOW__* variables at import time, so `apply()` must run
before `airflow` is imported (the CLI, `crvs demo` and the test session call it first).
"""

from __future__ import annotations

import os
from typing import MutableMapping

from crvs import settings


def environment() -> dict[str, str]:
    home = settings.airflow_home()
    db = settings.sqlalchemy_url(settings.airflow_db_url())
    port = settings.airflow_port()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": db,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "10",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": port,
        # Task processes report to the API server; its default address assumes port 8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__CORE__UNIT_TEST_MODE": os.environ.get("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
    }


def apply(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set Airflow's variables (keeping any the user set explicitly) and return them."""
    target = os.environ if env is None else env
    for key, value in environment().items():
        target.setdefault(key, value)
    settings.airflow_home().mkdir(parents=True, exist_ok=True)
    return dict(target)
