"""The end-to-end demo (`crvs demo`, `make run`): a sample quarter served by the reference sharing
platform and dropped into the inbox, then the DAGs run end to end, each task in a task process of
the LocalExecutor reporting to the api-server, so its log lands where the UI reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

from crvs import settings
from crvs.airflow.adapter import INGEST_DAG_IDS
from crvs.airflow.cli import prepare_environment, ui_address, ui_login_hint
from crvs.airflow.runs import forget_queued_asset_triggers, load_dags, run_dag

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
    from crvs import database, schedule

    schedule.resolve_quarter(quarter, None)  # a clear error before anything starts
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")

    _say("starting the warehouse database")
    database.ensure_server()
    prepare_environment()

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

        from crvs.devtools.platform_server import PlatformServer

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
    from crvs.devtools.sample import generate_quarter

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
