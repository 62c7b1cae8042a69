"""The environment Airflow runs in: its home, its metadata database and the project's DAGs.

Airflow reads its configuration from AIRFLOW__* variables at import time, so `apply()` must run
before `airflow` is imported (the CLI, `crvs demo` and the test session call it first).

Choices where Airflow's defaults do not suit a statistics office (see docs/operations.md):
DAGs start paused, so a first start runs nothing by surprise; times default to Vietnam's; the UI
and the log servers listen on 127.0.0.1 unless configured (settings.airflow_host, log_server_host).
(The report's chatty libraries are quietened where they are used: crvs/report/pdf.py.)
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import MutableMapping

from crvs import settings

# The clock of the office: naive dates given to Airflow (CLI, UI forms) are read in Vietnam time.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

# The secrets every Airflow process of one installation must share: the Fernet key (encrypts
# connections and variables), the JWT secret (task processes' tokens for the execution API) and the
# API secret key (signs the log servers' requests). From the environment (a secret store) when set;
# otherwise generated once into CRVS_HOME/secrets, readable by this user only.
SHARED_SECRETS = {
    "AIRFLOW__CORE__FERNET_KEY": "airflow-fernet.key",
    "AIRFLOW__API_AUTH__JWT_SECRET": "airflow-jwt.secret",
    "AIRFLOW__API__SECRET_KEY": "airflow-api.secret",
}


def environment(executor: str = "LocalExecutor") -> dict[str, str]:
    home = settings.airflow_home()
    db = settings.sqlalchemy_url(settings.airflow_db_url())
    port = settings.airflow_port()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": db,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": DEFAULT_TIMEZONE,
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "10",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__API__HOST": settings.airflow_host(),
        "AIRFLOW__API__PORT": port,
        # Task processes report to the API server; its default address assumes port 8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # The host name a task records is where the UI fetches its log from (http://HOST:worker_log_server_port).
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "crvs.airflow_env.task_host",
        "AIRFLOW__CORE__UNIT_TEST_MODE": os.environ.get("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
    }
    for variable, name in SHARED_SECRETS.items():
        if not os.environ.get(variable):
            env[variable] = _generated_secret(
                settings.home() / "secrets" / name, fernet=variable.endswith("FERNET_KEY")
            )
    return env


def task_host() -> str:
    """The name a task process records as its host ([core] hostname_callable): the address this
    host's log server listens on (settings.log_server_host), which is where the api-server asks for
    the task's log; this host's fully qualified name when it listens on every address."""
    host = settings.log_server_host()
    if host in ("0.0.0.0", "::", ""):
        import socket

        return socket.getfqdn()
    return host


def _generated_secret(path: Path, *, fernet: bool) -> str:
    """A secret generated once into `path` (mode 0600): 32 random bytes, as a Fernet key or hex."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        raw = os.urandom(32)
        value = base64.urlsafe_b64encode(raw).decode() if fernet else raw.hex()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
    return path.read_text().strip()


def apply(env: MutableMapping[str, str] | None = None, executor: str = "LocalExecutor") -> dict[str, str]:
    """Set Airflow's variables (keeping any the user set explicitly) and return them."""
    target = os.environ if env is None else env
    for key, value in environment(executor).items():
        target.setdefault(key, value)
    settings.airflow_home().mkdir(parents=True, exist_ok=True)
    return dict(target)
