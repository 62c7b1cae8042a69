"""The `crvs airflow ...` command and `make airflow`: Airflow's CLI and services on the project's
configuration (its home, the metadata database on the embedded server, the DAGs folder), and how
to log in to the UI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Sequence

from crvs import settings


def _venv_bin() -> Path:
    return Path(sys.executable).parent


def prepare_environment(env: dict[str, str] | None = None, executor: str = "LocalExecutor") -> dict[str, str]:
    """Apply Airflow's variables and put the venv's bin first on PATH (Airflow and dbt start
    subprocesses by name)."""
    from crvs import airflow_env

    target = os.environ if env is None else env
    airflow_env.apply(target, executor=executor)
    venv_bin = str(_venv_bin())
    path = target.get("PATH", "")
    if venv_bin not in path.split(os.pathsep):
        target["PATH"] = venv_bin + (os.pathsep + path if path else "")
    return dict(target)


def airflow_command(args: Sequence[str]) -> None:
    """Replace this process with the airflow CLI, run against the project's environment (its home,
    metadata database on the embedded server, DAGs folder), e.g. `crvs airflow standalone`."""
    from crvs import database

    database.ensure_server()
    env = prepare_environment(dict(os.environ))
    airflow = shutil.which("airflow", path=env["PATH"])
    if airflow is None:
        raise RuntimeError(f"the airflow command is not in {_venv_bin()}: run `make setup`")
    if args and args[0] in ("standalone", "api-server"):
        print(ui_login_hint(), flush=True)
    sys.stdout.flush()
    os.execve(airflow, ["airflow", *args], env)


def ui_address() -> str:
    host = os.environ.get("AIRFLOW__API__HOST") or settings.airflow_host()
    port = os.environ.get("AIRFLOW__API__PORT") or settings.airflow_port()
    # Listening on every address: this machine's browser reaches it on the loopback one.
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"


def migrate_metadata(env: dict[str, str], log_dir: Path) -> None:
    """`airflow db migrate` of the metadata database (quick when it is up to date); output to a log."""
    import subprocess

    from crvs.airflow_services import airflow_argv

    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "db-migrate.log"
    with log_file.open("ab") as log:
        done = subprocess.run(
            airflow_argv("db", "migrate"), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed ({done.returncode}); see {log_file}")


def core_services(env: dict[str, str], log_dir: Path, *, log_server: bool = True):
    """Scheduler, dag-processor, triggerer and api-server as separate processes, plus (for the
    LocalExecutor, whose tasks run under the scheduler) a task-log server on 127.0.0.1."""
    from crvs.airflow_services import SERVICE_ARGS, Services, airflow_argv, log_server_argv

    services = Services()
    for name, args in SERVICE_ARGS.items():
        services.add(name, airflow_argv(*args), env, log_dir)
    if log_server:
        services.add(
            "log-server", log_server_argv(env.get("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "8793")), env, log_dir
        )
    return services


class Stopped(BaseException):
    """SIGTERM or SIGINT arrived: stop the services (a BaseException, so no `except Exception` keeps it)."""


def _raise_stopped(signum, frame):  # a signal handler's signature
    raise Stopped(signal.Signals(signum).name)


def on_stop_signals(handler=_raise_stopped) -> None:
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def airflow_up(ready_timeout: float = 300.0) -> int:
    """`make airflow`: Airflow's services as separate processes (LocalExecutor) on the project's
    configuration and the embedded PostgreSQL, until Ctrl-C or SIGTERM; then all of them stop."""
    from crvs import database
    from crvs.airflow_services import wait_until_healthy

    on_stop_signals()
    services = None
    embedded = database.EmbeddedPostgres.from_settings() if settings.uses_embedded_postgres() else None
    started_database = embedded is not None and not embedded.running()
    try:
        database.ensure_server()
        env = prepare_environment(dict(os.environ))
        os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW")})  # for ui_login_hint
        log_dir = settings.airflow_home() / "services"
        print("[crvs airflow] migrating Airflow's metadata database", flush=True)
        migrate_metadata(env, log_dir)
        services = core_services(env, log_dir)
        print(f"[crvs airflow] starting {', '.join(s.name for s in services.services)} (logs in {log_dir})", flush=True)
        services.start()
        wait_until_healthy(services, ui_address(), timeout=ready_timeout)
        print(f"[crvs airflow] ready. {ui_login_hint()}", flush=True)
        print(
            "[crvs airflow] the DAGs start paused: unpause them in the UI to schedule them. Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            services.check()
            time.sleep(1)
    except Stopped as why:
        print(f"[crvs airflow] {why}: stopping", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if services is not None:
            services.stop()
        if started_database:  # we started it, so we stop it; one already running stays up
            embedded.stop()
        print(
            "[crvs airflow] every service stopped" + (" and the embedded PostgreSQL" if started_database else ""),
            flush=True,
        )


def password_file() -> Path:
    """Where Airflow 3's SimpleAuthManager keeps the generated passwords (written by
    `airflow standalone` / `api-server` at first start): [core] simple_auth_manager_passwords_file,
    default AIRFLOW_HOME/simple_auth_manager_passwords.json.generated."""
    configured = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    if configured:
        return Path(configured)
    home = Path(os.environ.get("AIRFLOW_HOME") or settings.airflow_home())
    return home / "simple_auth_manager_passwords.json.generated"


def ui_login_hint() -> str:
    """How to log in to the UI. Names the password file, never prints the password."""
    path = password_file()
    users = []
    if path.exists():
        try:
            users = sorted(json.loads(path.read_text()))
        except (OSError, ValueError):
            users = []
    user = users[0] if users else "admin"
    where = f"the password is in {path}" if path.exists() else f"the password is generated at first start into {path}"
    return f"Airflow UI: {ui_address()} (user `{user}`; {where})"
