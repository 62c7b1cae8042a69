"""Running the DAGs: the end-to-end demo (`crvs demo`, `make run`), the `crvs airflow ...` command
and the defaults every DAG shares.

Airflow reads its configuration when it is first imported, so nothing here imports Airflow at
module level: each function applies crvs.airflow_env first, then imports it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from crvs import settings

AGENCIES = ("MOJ", "MOH", "GSO")
INGEST_DAG_IDS = tuple(f"crvs_ingest_{agency.lower()}" for agency in AGENCIES)
DAG_IDS = (*INGEST_DAG_IDS, "crvs_transform", "crvs_quarterly_report", "crvs_freshness")
TAGS = ("crvs",)

# Fixed in the past: the DAGs do not catch up, so this only marks when the schedule begins.
DAG_START_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def dag_defaults() -> dict[str, Any]:
    """default_args of every CRVS DAG. Retries cover passing trouble (the database restarting,
    a full disk); failures that a retry cannot fix fail at once (pipeline.RunBlocked). A failed
    task raises an alert (crvs.quality.alerts: log, alerts file, e-mail when SMTP is configured)."""
    from crvs.quality.alerts import task_failure_alert

    return {
        "on_failure_callback": task_failure_alert,
        "owner": "crvs-statistics",
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "retry_exponential_backoff": False,
        "depends_on_past": False,
    }


def platform_config():
    """The sharing platform for a DAG task: the Airflow connection crvs_platform (host, port,
    password = token; schema http or https), else CRVS_PLATFORM_URL / CRVS_PLATFORM_TOKEN, else
    None (not configured: the ingest DAGs read the inbox only)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    from crvs.platform.client import CONNECTION_ID, PlatformConfig

    try:
        conn = BaseHook.get_connection(CONNECTION_ID)
    except (AirflowNotFoundException, AirflowRuntimeError):
        return PlatformConfig.from_environment()
    return PlatformConfig.from_connection(conn)


def task_outcome(summary: dict[str, Any]) -> dict[str, Any]:
    """A load task's result: a rejected delivery fails the task at once (retrying cannot fix it);
    one the platform could not serve fails it for Airflow to retry later (the spool resumes)."""
    from airflow.sdk.exceptions import AirflowFailException

    from crvs import pipeline

    if summary["outcome"] == "REJECTED":
        raise AirflowFailException(pipeline.describe(summary))
    if summary["outcome"] == "FAILED":
        raise RuntimeError(pipeline.describe(summary))
    return summary


def _venv_bin() -> Path:
    return Path(sys.executable).parent


def _prepare_environment(env: dict[str, str] | None = None, executor: str = "LocalExecutor") -> dict[str, str]:
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


# Where the demo's own lines go while Airflow's console output is diverted to its log (_console_to).
_story = None


def _say(message: str) -> None:
    print(f"[crvs demo] {message}", file=_story or sys.stdout, flush=True)


@contextlib.contextmanager
def _console_to(log_file: Path):
    """Divert this process's stdout and stderr (file descriptors, so the executor's forked workers
    and every logging handler follow) to `log_file`; the demo's own lines still reach the terminal."""
    global _story
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    _story = os.fdopen(os.dup(saved[0]), "w", encoding="utf-8")
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        _story.close()
        _story = None
        for fd in saved:
            os.close(fd)


# The agencies the demo serves from the in-process reference sharing platform (the online path);
# the others are dropped into the inbox as files (the regulation's fallback).
DEMO_PLATFORM_AGENCIES = ("MOJ",)


def run_demo(quarter: str, scale: float) -> Path:
    """Start the warehouse, generate a sample quarter, serve MOJ's deliveries from the reference
    sharing platform (over real HTTP on 127.0.0.1) and drop the others into the inbox, then run the
    DAGs end to end (the three agencies' ingest → transform → quarterly report). Each task runs as
    in production, in a task process of the LocalExecutor reporting to the api-server, so its log
    lands where the UI reads it; the console gets one line per DAG run. Returns the report folder."""
    from crvs import database, pipeline

    pipeline.resolve_quarter(quarter, None)  # a clear error before anything starts
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")

    _say("starting the warehouse database")
    database.ensure_server()
    _prepare_environment()

    console_log = settings.airflow_home() / "services" / "demo.log"
    _say(f"Airflow's own console output goes to {console_log}; each task's log to the UI")
    with _console_to(console_log):
        _say("migrating Airflow's metadata database")
        from airflow.utils import db as airflow_db

        airflow_db.initdb()
        drop_sample_into_inbox(quarter, scale, platform_agencies=DEMO_PLATFORM_AGENCIES)
        _run_demo_dags(quarter)
    forget_queued_asset_triggers()
    folder = settings.reports_dir() / quarter
    _print_report_summary(folder)
    return folder


def _run_demo_dags(quarter: str) -> None:
    dags = load_dags()
    with demo_platform() as platform_url, execution_api():
        _say(f"the reference sharing platform serves {', '.join(DEMO_PLATFORM_AGENCIES)} on {platform_url}")
        for dag_id, conf in (
            *((dag_id, None) for dag_id in INGEST_DAG_IDS),
            ("crvs_transform", None),
            ("crvs_quarterly_report", {"quarter": quarter}),
        ):
            started = time.monotonic()
            state = run_dag(dags[dag_id], run_conf=conf, use_executor=True)
            _say(
                f"{dag_id:24} {state:8} {time.monotonic() - started:5.0f} s" + (f"  {json.dumps(conf)}" if conf else "")
            )
            if state != "success":
                raise RuntimeError(
                    f"{dag_id} ended {state}; its failed task's log says why: open the run "
                    f"in the UI (`make airflow`) or under {settings.airflow_home() / 'logs'}"
                )


@contextlib.contextmanager
def execution_api():
    """The api-server the executor's task processes report to (Airflow 3's Execution API): the
    Airflow already serving this installation (`make airflow`), else one started for the demo."""
    from crvs.airflow_services import Services, airflow_argv, health, wait_until_healthy

    url = ui_address()
    if health(url) is not None:
        _say(f"the tasks report to the Airflow already running on {url}")
        yield url
        return
    services = Services(say=_say)
    services.add("api-server", airflow_argv("api-server"), dict(os.environ), settings.airflow_home() / "services")
    services.start()
    try:
        wait_until_healthy(services, url, timeout=300, components=("metadatabase",))
        yield url
    finally:
        services.stop()


def demo_platform_root() -> Path:
    """The folder of deliveries the demo's reference platform serves."""
    return settings.home() / "platform" / "served"


class demo_platform:  # used as a context manager, like contextlib's
    """The reference platform serving demo_platform_root() on a free 127.0.0.1 port, with a fresh
    random token, named by the Airflow connection crvs_platform for this process only (through the
    environment, so the token is never written anywhere). Yields the platform's address."""

    VARIABLE = "AIRFLOW_CONN_CRVS_PLATFORM"

    def __enter__(self) -> str:
        import secrets

        from crvs.platform.server import PlatformServer

        token = secrets.token_urlsafe(24)
        demo_platform_root().mkdir(parents=True, exist_ok=True)
        self.server = PlatformServer(demo_platform_root(), token, page_size=5000).start()
        host, port = self.server.server_address[:2]
        self.previous = os.environ.get(self.VARIABLE)
        os.environ[self.VARIABLE] = json.dumps(
            {"conn_type": "http", "host": host, "port": port, "schema": "http", "password": token}
        )
        return self.server.url

    def __exit__(self, *exc) -> None:
        if self.previous is None:
            os.environ.pop(self.VARIABLE, None)
        else:
            os.environ[self.VARIABLE] = self.previous
        self.server.stop()


def _print_report_summary(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    print(f"\nThe quarterly report of {manifest['quarter']} is in {folder}")
    for entry in manifest["files"]:
        size = f"{entry['pages']:>5} pages" if "pages" in entry else f"{entry['rows']:>5} rows"
        print(f"  {entry['path']:45} {size}")
    print("  manifest.json                                 sha256 of every file, deliveries used, gate outcome")
    print("Quality gate: " + "\n  ".join(_few_lines(manifest["gate"]["summary"])))
    print(f"Deliveries: {', '.join(d['delivery_id'] for d in manifest['deliveries'])}")
    print("\nThe Airflow UI shows these runs and their task logs: start it with `make airflow`, then open")
    print(f"{ui_login_hint()}")
    print(f'The warehouse: psql "{settings.warehouse_url()}"  (crvs db url)')


def _few_lines(summary: str, most: int = 4) -> list[str]:
    """The gate's one-line summary as a verdict and a few of its items, one a line."""
    verdict, _, items = summary.partition(": ")
    listed = [item for item in items.split("; ") if item] if items else []
    if not listed:
        return [summary]
    more = len(listed) - most
    shown = [item if len(item) <= 110 else item[:109] + "…" for item in listed[:most]]
    return [f"{verdict}:", *shown, *([f"... and {more} more (manifest.json lists them all)"] if more > 0 else [])]


def drop_sample_into_inbox(quarter: str, scale: float, platform_agencies: Sequence[str] = ()) -> list[str]:
    """Generate the sample deliveries of a quarter and put in the inbox those the warehouse has not
    loaded yet (a second `make run` would only add copies to inbox/processed); the deliveries of
    `platform_agencies` go to the demo platform's folder instead. The sample is written under a
    hidden name first, which the ingest DAGs and the platform ignore, so a delivery appears whole.
    Returns the delivery folders put in place."""
    from crvs import database
    from crvs.sample import generate_quarter

    inbox = settings.inbox_dir()
    staging = inbox / f".sample-{quarter}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _say(f"generating the sample deliveries of {quarter} (scale {scale})")
    dropped = []
    try:
        folders = generate_quarter(quarter, scale, staging)
        with database.connect(role=settings.LOADER_ROLE) as conn:
            have_deliveries = conn.execute("select to_regclass('raw.deliveries') is not null").fetchone()[0]
            for folder in folders:
                manifest = json.loads((folder / "manifest.json").read_text())
                delivery_id, agency = manifest["delivery_id"], manifest["agency"]
                loaded = (
                    have_deliveries
                    and conn.execute(
                        "select 1 from raw.deliveries where agency = %s and delivery_id = %s", (agency, delivery_id)
                    ).fetchone()
                )
                target = (demo_platform_root() if agency in platform_agencies else inbox) / folder.name
                if loaded or target.exists():
                    _say(f"  {delivery_id}: already loaded or waiting, not copied again")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(folder), str(target))
                dropped.append(folder.name)
                _say(
                    f"  {delivery_id} → {target}"
                    + (" (served by the sharing platform)" if agency in platform_agencies else "")
                )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dropped


def load_dags() -> dict[str, Any]:
    """The project's DAGs, parsed from the dags folder; raises when a file does not import."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=settings.DAGS_DIR)
    if bag.import_errors:
        raise RuntimeError(
            "DAG files do not import:\n" + "\n".join(f"{path}: {err}" for path, err in bag.import_errors.items())
        )
    missing = [d for d in DAG_IDS if d not in bag.dags]
    if missing:
        raise RuntimeError(f"DAGs missing from {settings.DAGS_DIR}: {', '.join(missing)}")
    return dict(bag.dags)


def run_dag(
    dag: Any, run_conf: dict[str, Any] | None = None, *, retries: int | None = 0, use_executor: bool = False
) -> str:
    """One run of a DAG with `dag.test()`; returns the run's final state. Its tasks run in this
    process, or with `use_executor` in the executor's task processes (logs where the UI reads them;
    needs an api-server: execution_api()).

    Retries are off by default: a demo or test should show a failure at once rather than wait out
    the retry delay (dag.test honours it)."""
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries
    run = dag.test(run_conf=run_conf, use_executor=use_executor)
    return str(getattr(run.state, "value", run.state))


def forget_queued_asset_triggers() -> None:
    """Drop the asset triggers the demo's own runs queued for crvs_transform and
    crvs_quarterly_report. The demo ran those DAGs itself; left queued, the scheduler (once the UI
    is started) would run them again, and the report run would be for the quarter before today
    rather than the demo's quarter."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id.in_(DAG_IDS)))


# --- the `crvs airflow ...` command --------------------------------------------------------


def airflow_command(args: Sequence[str]) -> None:
    """Replace this process with the airflow CLI, run against the project's environment (its home,
    metadata database on the embedded server, DAGs folder), e.g. `crvs airflow standalone`."""
    from crvs import database

    database.ensure_server()
    env = _prepare_environment(dict(os.environ))
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
        env = _prepare_environment(dict(os.environ))
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
