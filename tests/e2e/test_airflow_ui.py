"""The Airflow UI as engineers use it, in Debian's headless Chromium (/usr/bin/chromium, installed by
`make system-packages`; Playwright drives it and never downloads a browser of its own).

`crvs airflow up` (what `make airflow` runs: scheduler, dag-processor, triggerer, api-server and a task-log
server as separate processes, LocalExecutor, the session's embedded PostgreSQL, an Airflow database of
its own) with the hand-made quarter 2025Q3 in the warehouse and a real SMTP server on 127.0.0.1. A
browser in Vietnam's time zone logs in, sees every DAG with its tags and none active, reads a DAG's description and
crvs_quarterly_report's docs, triggers it for 2025Q3 with the Param, sees the run succeed and finds
the report's folder in write_report's log. Screenshots: <the test's tmp folder>/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from crvs import settings
from crvs.airflow import adapter, runs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from report_quarter import QUARTER, fill_quarter
from smtp_inbox import free_port, smtp_server
from test_celery_smoke import _processes_mentioning

CHROMIUM = Path("/usr/bin/chromium")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
UI_DB = "crvs_airflow_ui_test"  # Airflow's database for this test: the session's holds other tests' runs
READY_TIMEOUT = 300  # seconds for `crvs airflow up` to migrate and start on 2 busy cores
RUN_TIMEOUT = 300  # seconds for the triggered run to finish


def _drop_ui_database() -> None:
    with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{UI_DB}" with (force)')


@pytest.fixture
def airflow_up(db, tmp_path):
    """`crvs airflow up` in a subprocess, as `make airflow` starts it, until the test ends; then
    SIGTERM, and nothing it started may be left. Yields (url, password, shared folder)."""
    fill_quarter(db)
    _drop_ui_database()
    shared, airflow_home = tmp_path / "shared", tmp_path / "airflow"
    airflow_home.mkdir()
    out = tmp_path / "airflow-up.out"
    with smtp_server() as (inbox, smtp_port):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            {
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "CRVS_AIRFLOW_PORT": str(free_port()),
                "CRVS_AIRFLOW_DB_URL": settings._with_database(settings.airflow_db_url(), UI_DB),
                "CRVS_SHARED_DIR": str(shared),
                "AIRFLOW_HOME": str(airflow_home),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW_CONN_CRVS_SMTP": json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port}),
            }
        )
        with out.open("wb") as log:
            up = subprocess.Popen(
                [sys.executable, "-m", "crvs.cli", "airflow", "up"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while "[crvs airflow] ready." not in out.read_text():
                assert up.poll() is None, out.read_text()[-3000:]
                assert time.monotonic() < deadline, out.read_text()[-3000:]
                time.sleep(1)
            hint = re.search(
                r"Airflow UI: (http://127\.0\.0\.1:\d+) \(user `admin`; the password is in (\S+)\)", out.read_text()
            )
            assert hint, out.read_text()
            password = json.loads(Path(hint.group(2)).read_text())["admin"]  # the file the hint names exists
            yield hint.group(1), password, shared, inbox
        finally:
            up.send_signal(signal.SIGTERM)
            try:
                code = up.wait(timeout=90)
            except subprocess.TimeoutExpired:
                up.kill()
                raise
            assert code == 0, out.read_text()[-3000:]
            assert "[crvs airflow] every service stopped" in out.read_text()
            assert _processes_mentioning(str(airflow_home)) == []
            _drop_ui_database()


def _body_lines(page) -> list[str]:
    return [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]


def _run_state(page, run_id: str) -> str | None:
    """The state the run page shows beside the run's id (its header, not the breadcrumb)."""
    match = re.search(re.escape(run_id) + r"\n+(\w[\w ]*)\n+/\n+Logical Date", page.inner_text("body"))
    return match.group(1) if match else None


@pytest.mark.slow
def test_an_engineer_logs_in_reads_the_docs_triggers_the_quarter_and_finds_the_report_in_its_log(airflow_up, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file(), "no /usr/bin/chromium: run `make system-packages` (Debian's chromium)"
    url, password, shared, inbox = airflow_up
    expected = {dag_id: dag for dag_id, dag in runs.load_dags().items() if dag_id in adapter.DAG_IDS}
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 900}, locale="en-US", timezone_id="Asia/Ho_Chi_Minh"
            )  # an engineer in Vietnam
            page = context.new_page()
            page.set_default_timeout(60_000)

            # Log in as the admin `make airflow` names.
            page.goto(url + "/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(password)
            page.screenshot(path=shots / "01-login.png")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(url + "/")

            # Every DAG, each with its tags, all paused at first start.
            page.goto(url + "/dags")
            for dag_id in expected:
                page.get_by_role("link", name=dag_id, exact=True).first.wait_for()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=shots / "02-dags.png", full_page=True)
            lines = _body_lines(page)
            assert f"{len(expected)} Dags" in lines, lines
            for dag_id, dag in expected.items():
                tags = lines[lines.index(dag_id) + 1]
                assert set(tags.split(", ")) == set(dag.tags), (dag_id, tags)
            # none runs by surprise on a first start: the Active filter lists no DAG
            page.get_by_role("button", name="Active", exact=True).click()
            page.wait_for_url(re.compile(r".*paused=false.*"))
            page.get_by_text("0 Dags", exact=True).wait_for()

            # The report DAG: its one-line description (Details) and its docs.
            report = expected["crvs_quarterly_report"]
            page.goto(url + "/dags/crvs_quarterly_report/details")
            page.get_by_text(report.description, exact=True).wait_for()
            page.screenshot(path=shots / "03-details.png")
            page.get_by_role("button", name="Dag Docs").click()
            docs = page.get_by_role("dialog")
            docs.get_by_text("crvs_quarterly_report — gate, write and deliver the quarterly report").wait_for()
            docs.get_by_text("By hand:", exact=False).first.wait_for()
            page.wait_for_timeout(800)  # the dialog's opening animation
            page.screenshot(path=shots / "04-docs.png")
            page.keyboard.press("Escape")

            # Trigger it for 2025Q3 with the Param (the form unpauses the DAG, as it offers).
            page.get_by_role("button", name="Trigger Dag").click()
            form = page.get_by_role("dialog")
            form.get_by_text("Unpause crvs_quarterly_report on trigger").wait_for()
            form.locator("#element_quarter").fill(QUARTER)
            page.screenshot(path=shots / "05-trigger.png")
            form.get_by_role("button", name="Trigger", exact=True).click()
            page.wait_for_url(re.compile(r".*/dags/crvs_quarterly_report/runs/manual__.*"))
            run_id = page.url.rsplit("/runs/", 1)[1]
            run_url = page.url

            # The run succeeds (bounded wait).
            deadline = time.monotonic() + RUN_TIMEOUT
            while (state := _run_state(page, run_id)) not in ("Success", "Failed"):
                assert time.monotonic() < deadline, f"run {run_id} still {state} after {RUN_TIMEOUT} s"
                page.wait_for_timeout(5000)
                page.goto(run_url)
                page.get_by_text("Logical Date").first.wait_for()
            page.screenshot(path=shots / "06-run.png")
            assert state == "Success", f"the run of {QUARTER} ended {state}"

            # write_report's log names the report's folder, with times in Vietnam's zone.
            page.goto(f"{run_url}/tasks/write_report")
            page.get_by_text("Done. Returned value was", exact=False).first.wait_for()
            page.screenshot(path=shots / "07-write-report-log.png")
            log = page.inner_text("body")
        finally:
            browser.close()

    written = re.search(rf"\[([\d-]+ [\d:]+)\] INFO - report of {QUARTER} written to (\S+)", log)
    assert written, log
    assert Path(written.group(2)) == shared / "reports" / QUARTER
    assert (Path(written.group(2)) / "manifest.json").is_file()
    shown = dt.datetime.strptime(written.group(1), "%Y-%m-%d %H:%M:%S")
    assert abs(shown - dt.datetime.now(VN).replace(tzinfo=None)) < dt.timedelta(minutes=15), written.group(1)
    assert "fontTools" not in log and "matplotlib" not in log
    assert len(inbox.messages) == 4  # the manual run delivered to config/recipients.toml's four recipients
