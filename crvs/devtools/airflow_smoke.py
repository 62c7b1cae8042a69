"""`make celery-smoke`: one quarter, from delivery to e-mail, through the project's Airflow on the
CeleryExecutor with two workers that share nothing but the databases, the broker and one folder.

On this machine, in a throw-away folder:

    main/        CRVS_HOME of the embedded PostgreSQL, the scheduler, dag-processor, triggerer and
                 api-server (LocalExecutor is not involved: tasks go through Redis to the workers)
    worker-1/    CRVS_HOME of the first Celery worker (its Airflow home, task logs, dbt target)
    worker-2/    the second one's
    shared/      CRVS_SHARED_DIR: the inbox, spool, reports and outbox every worker mounts

The workers reach the warehouse and Airflow's database by URL and take the pseudonym key and
Airflow's shared secrets from their environment, as workers on other hosts would. Tasks go to a
queue named for this run only, so other runs on the same Redis never take them.

The run: the sample quarter (the last complete one) is dropped into the inbox; crvs_transform is
unpaused and the three ingest DAGs are triggered (and unpaused); their raw Asset events start
crvs_transform; once the models are built the report DAG is unpaused, and its quarterly schedule
runs the quarter's report: gate, files, e-mail to a real SMTP server on 127.0.0.1. Prints one line
per DAG run and ends with "success" or the failed task; stops everything it started.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from crvs import settings

# Each worker stands for a host of its own: its own loopback address (Linux routes all of 127/8 to the
# loopback device), which its tasks record as their host (crvs.airflow_env.task_host) and where its log
# server listens, on the one port the api-server asks every worker on ([logging] worker_log_server_port),
# as with workers on real hosts. The UI reads a task's log from the worker that ran it.
WORKERS = {"worker-1": "127.0.0.2", "worker-2": "127.0.0.3"}
TERMINAL = ("success", "failed")


def _say(message: str) -> None:
    print(f"[celery-smoke] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free_on(addresses) -> int:
    """A TCP port nothing listens on at any of `addresses` (nor on every address)."""
    for _ in range(50):
        port = _free_port()
        try:
            for address in addresses:
                with socket.socket() as s:
                    s.bind((address, port))
        except OSError:
            continue
        return port
    raise SmokeFailed(f"no port is free on all of {', '.join(addresses)}")


class SmokeFailed(RuntimeError):
    pass


# --- Redis -------------------------------------------------------------------------------------


def _redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis(services, log_dir: Path) -> str:
    """The broker URL; starts Debian's redis-server on 127.0.0.1 (as one of `services`, so it stops
    with them) when the broker is local and nothing answers there."""
    url = settings.celery_broker_url()
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if _redis_answers(host, port):
        _say(f"Redis answers on {host}:{port}")
        return url
    if host not in ("127.0.0.1", "localhost"):
        raise SmokeFailed(f"the broker {host}:{port} does not answer")
    server = shutil.which("redis-server")
    if server is None:
        raise SmokeFailed(
            "no Redis answers on 127.0.0.1 and redis-server is not installed (apt-get install redis-server)"
        )
    service = services.add(
        "redis",
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        dict(os.environ),
        log_dir,
    )
    service.start()
    deadline = time.monotonic() + 20
    while not _redis_answers(host, port):
        if time.monotonic() > deadline or service.exited() is not None:
            raise SmokeFailed(f"redis-server did not start; see {service.log_file}")
        time.sleep(0.2)
    _say(f"started redis-server on {host}:{port}")
    return url


# --- the REST API, as a user's script would use it ----------------------------------------------


class Api:
    def __init__(self, url: str, username: str, password: str):
        self.url = url
        answer = self._call("POST", "/auth/token", {"username": username, "password": password}, auth=False)
        self.token = answer["access_token"]

    def _call(self, method: str, path: str, body: dict | None = None, *, auth: bool = True) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise SmokeFailed(f"{method} {path}: HTTP {err.code} {err.read()[:300]!r}") from None

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self._call("GET", "/api/v2/dags?tags=crvs&limit=100")["dags"]}

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        return self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})[
            "dag_run_id"
        ]

    def runs(self, dag_id: str) -> list[dict]:
        return self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=run_after")["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances")[
            "task_instances"
        ]

    def failed_tasks(self, dag_id: str, run_id: str) -> list[str]:
        return sorted(
            ti["task_id"] + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else "")
            for ti in self.task_instances(dag_id, run_id)
            if ti["state"] in ("failed", "upstream_failed")
        )

    def task_log(self, ti: dict) -> list:
        """What the UI shows as a task instance's log (its last try): the sources it was read from,
        then the log's lines."""
        path = (
            f"/api/v2/dags/{ti['dag_id']}/dagRuns/{urllib.parse.quote(ti['dag_run_id'])}/taskInstances/"
            f"{ti['task_id']}/logs/{ti['try_number']}?full_content=true&map_index={ti['map_index']}"
        )
        return self._call("GET", path)["content"]


# --- the run -----------------------------------------------------------------------------------


def main(scale: float = 0.01, timeout: float = 900.0, keep: bool = False) -> int:
    from crvs.airflow.cli import Stopped, on_stop_signals

    on_stop_signals()
    for chatty in ("mail.log", "crvs.devtools.sample"):  # the SMTP sink's and the sample generator's INFO lines
        logging.getLogger(chatty).setLevel(logging.WARNING)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="crvs-celery-smoke-"))
    ok = False
    try:
        ok = run(root, scale=scale, deadline=time.monotonic() + timeout)
    except Stopped as why:
        _say(f"{why}: stopping")
    except SmokeFailed as err:
        _say(f"FAILED: {err}")
    finally:
        if ok and not keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            _say(f"the run's folder (service and task logs) is kept: {root}")
    _say(f"took {time.monotonic() - started:.0f} s")
    print("success" if ok else "failed", flush=True)
    return 0 if ok else 1


def run(root: Path, *, scale: float, deadline: float) -> bool:
    from crvs import database
    from crvs.airflow import cli as airflow_cli
    from crvs.airflow_services import Services, airflow_argv, log_server_argv, wait_until_healthy

    main_home, shared = root / "main", root / "shared"
    os.environ.update(
        {
            "CRVS_HOME": str(main_home),
            "CRVS_SHARED_DIR": str(shared),
            "CRVS_PG_PORT": str(_free_port()),
            "CRVS_AIRFLOW_PORT": str(_free_port()),
        }
    )
    for name in ("CRVS_WAREHOUSE_URL", "CRVS_AIRFLOW_DB_URL", "AIRFLOW_HOME"):
        os.environ.pop(name, None)
    for name in [n for n in os.environ if n.startswith("AIRFLOW__") or n.startswith("AIRFLOW_CONN_")]:
        os.environ.pop(name)
    log_dir = root / "logs"
    services = Services(say=_say)
    server = database.EmbeddedPostgres.from_settings()
    smtp = None
    try:
        _say(f"starting the embedded PostgreSQL in {main_home}")
        database.ensure_server()
        broker = ensure_redis(services, log_dir)
        queue = f"crvs-smoke-{secrets.token_hex(4)}"
        smtp, smtp_port = _smtp_sink()
        env = airflow_cli.prepare_environment(dict(os.environ), executor="CeleryExecutor")
        env.update(
            {
                # what a worker on another host is given: addresses and secrets, no shared home
                "CRVS_WAREHOUSE_URL": settings.warehouse_url(),
                "CRVS_AIRFLOW_DB_URL": settings.airflow_db_url(),
                "CRVS_PSEUDONYM_KEY": settings.pseudonym_key().decode(),
                "CRVS_ANALYST_PASSWORD": settings.analyst_password(),
                "AIRFLOW__CELERY__BROKER_URL": broker,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + settings.sqlalchemy_url(settings.airflow_db_url()),
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
                "AIRFLOW_CONN_CRVS_SMTP": json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port}),
            }
        )
        env.pop("CRVS_PG_PORT")
        log_port = str(_port_free_on(WORKERS.values()))
        env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = log_port  # where the api-server asks for task logs
        os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW")})
        _say("migrating Airflow's metadata database")
        airflow_cli.migrate_metadata(env, log_dir)
        # With Celery the scheduler runs no task, so it needs no log server; each worker has one.
        services.services += airflow_cli.core_services(env, log_dir, log_server=False).services
        for name, address in WORKERS.items():
            home = root / name
            worker_env = env | {
                "CRVS_HOME": str(home),
                "AIRFLOW_HOME": str(home / "airflow"),
                "CRVS_LOG_SERVER_HOST": address,
            }
            (home / "airflow").mkdir(parents=True)
            services.add(
                name,
                airflow_argv(
                    "celery",
                    "worker",
                    "--skip-serve-logs",
                    "--queues",
                    queue,
                    "--concurrency",
                    "2",
                    "--celery-hostname",
                    f"{name}@%h",
                ),
                worker_env,
                log_dir,
            )
            services.add(f"{name}-log-server", log_server_argv(log_port), worker_env, log_dir)
            _say(f"{name}: host {address}, its log server on {address}:{log_port}")
        _say(f"starting {', '.join(s.name for s in services.services if s.process is None)}; queue {queue}")
        services.start()
        url = airflow_cli.ui_address()
        wait_until_healthy(services, url, timeout=_left(deadline))
        password = json.loads(airflow_cli.password_file().read_text())["admin"]
        api = Api(url, "admin", password)
        _say(f"ready: {url}")
        return _drive(api, services, smtp, shared, root, deadline, scale)
    finally:
        services.stop()
        if smtp is not None:
            smtp.stop()
        server.stop()
        _say("stopped every process it started")


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise SmokeFailed("out of time")
    return left


def _smtp_sink():
    """A real SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name
            self.messages.append(envelope)
            return "250 OK"

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def _drive(api: Api, services, smtp, shared: Path, root: Path, deadline: float, scale: float) -> bool:
    from crvs import schedule
    from crvs.airflow import adapter
    from crvs.devtools import demo

    quarter = schedule.last_complete_quarter(dt.datetime.now(dt.timezone.utc))
    demo.drop_sample_into_inbox(quarter, scale, platform_agencies=())
    while set(adapter.DAG_IDS) - api.dag_ids():
        services.check()
        _left(deadline)
        time.sleep(2)
    api.unpause("crvs_transform")
    for dag_id in adapter.INGEST_DAG_IDS:
        api.trigger(dag_id)
        api.unpause(dag_id)
    _say(f"triggered {', '.join(adapter.INGEST_DAG_IDS)} for the sample of {quarter}")
    _wait(api, services, adapter.INGEST_DAG_IDS, deadline)
    # The raw Asset events start crvs_transform; wait until it has caught up with all of them.
    _wait(api, services, ("crvs_transform",), deadline, settle=10)
    # Unpaused now, the report DAG's quarterly schedule runs the last complete quarter at once (its
    # latest slot): gate, files, e-mail. Unpaused earlier, that run would have met an empty warehouse.
    api.unpause("crvs_quarterly_report")
    _wait(api, services, ("crvs_quarterly_report",), deadline)

    failed = _print_runs(api)
    report = shared / "reports" / quarter / "manifest.json"
    mails = len(smtp.handler.messages)
    _say(
        f"report manifest: {report} ({'present' if report.is_file() else 'MISSING'}); "
        f"e-mails received by the SMTP server: {mails}"
    )
    for name in WORKERS:
        ran = sorted(
            {
                p.parent.name.removeprefix("task_id=")
                if p.parent.name.startswith("task_id=")
                else p.parent.parent.name.removeprefix("task_id=")
                for p in (root / name / "airflow" / "logs").rglob("attempt=*.log")
            }
        )
        _say(f"{name} ran {len(ran)} distinct task(s): {', '.join(ran)}")
    for log in (root / name / "airflow" / "logs" for name in WORKERS):
        for path in log.glob("dag_id=crvs_quarterly_report/*/task_id=write_report/attempt=*.log"):
            loggers = [json.loads(line).get("logger", "") for line in path.read_text().splitlines() if line.strip()]
            noisy = sum(1 for name in loggers if name.startswith(("fontTools", "matplotlib")))
            _say(f"write_report's task log: {len(loggers)} lines, {noisy} from fontTools/matplotlib")
    unread = _check_ui_reads_each_workers_logs(api)
    if failed:
        _say("failed: " + "; ".join(failed))
        return False
    if unread:
        _say("failed: the UI does not show the task logs of " + ", ".join(unread))
        return False
    if not report.is_file() or mails == 0:
        _say("failed: the report was not written or not e-mailed")
        return False
    return True


def _check_ui_reads_each_workers_logs(api: Api) -> list[str]:
    """For each worker, one task it ran (write_report when it ran that one): the log the UI shows
    must come from that worker's log server and hold the task's lines. Returns the workers whose
    logs the UI could not read."""
    from crvs.airflow import adapter

    ran = {}
    for dag_id in adapter.DAG_IDS:
        for run in api.runs(dag_id):
            for ti in api.task_instances(dag_id, run["dag_run_id"]):
                if ti["state"] == "success" and (ti["hostname"] not in ran or ti["task_id"] == "write_report"):
                    ran[ti["hostname"]] = ti
    unread = []
    for name, address in WORKERS.items():
        ti = ran.get(address)
        if ti is None:
            _say(f"{name} ({address}) ran no task")
            unread.append(name)
            continue
        events = [entry.get("event", "") if isinstance(entry, dict) else str(entry) for entry in api.task_log(ti)]
        # the log's sources come first, between ::group:: and ::endgroup:: lines, then the log's lines
        end = events.index("::endgroup::") if "::endgroup::" in events else 0
        sources, lines = events[1:end], events[end + 1 :]
        served = [src for src in sources if src.startswith(f"http://{address}:")]
        _say(
            f"the UI shows {ti['dag_id']}.{ti['task_id']}'s log, run on {name}: {len(lines)} lines from "
            f"{served[0].split('/log/')[0] + '/log/...' if served else 'nowhere: ' + '; '.join(sources)[:200]}"
        )
        if not served or not lines:
            unread.append(name)
    return unread


def _wait(api: Api, services, dag_ids, deadline: float, settle: float = 0.0) -> None:
    """Until every run of `dag_ids` has finished and at least one each exists (and, with `settle`,
    nothing new appeared for that many seconds)."""
    quiet_since = None
    seen = None
    while True:
        services.check()
        _left(deadline)
        runs = {dag_id: api.runs(dag_id) for dag_id in dag_ids}
        done = all(runs[d] and all(r["state"] in TERMINAL for r in runs[d]) for d in dag_ids)
        snapshot = {d: [(r["dag_run_id"], r["state"]) for r in runs[d]] for d in dag_ids}
        if done:
            if snapshot != seen:
                quiet_since, seen = time.monotonic(), snapshot
            if time.monotonic() - quiet_since >= settle:
                return
        else:
            seen = None
        time.sleep(1)


def _print_runs(api: Api) -> list[str]:
    """One line per DAG run; returns the failed tasks as dag_id/task_id."""
    from crvs.airflow import adapter

    failed = []
    for dag_id in adapter.DAG_IDS:
        for run in api.runs(dag_id):
            print(f"  {dag_id:24} {run['run_type']:16} {run['state']:8} {run['dag_run_id']}", flush=True)
            if run["state"] != "success":
                failed += [f"{dag_id}/{task}" for task in api.failed_tasks(dag_id, run["dag_run_id"])] or [dag_id]
    return failed


if __name__ == "__main__":
    sys.exit(main())
