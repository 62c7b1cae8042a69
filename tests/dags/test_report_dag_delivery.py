"""The quarterly report DAG's schedule (a quarter-long data interval) and a whole run with dag.test():
gate, report and delivery to a real SMTP server on 127.0.0.1 through the Airflow connection crvs_smtp."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pendulum
import pytest

from crvs import assets, schedule, settings
from crvs.airflow import runs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from report_quarter import QUARTER, fill_quarter
from smtp_inbox import attachments, smtp_server

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def report_dag(airflow_db):
    yield runs.load_dags()["crvs_quarterly_report"]
    from airflow import settings as airflow_settings

    airflow_settings.Session.remove()
    airflow_settings.engine.dispose()


def test_the_schedule_runs_after_each_quarter_with_the_quarter_as_its_data_interval(report_dag):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    assert report_dag.timetable.asset_condition.uri == assets.REPORT_MODELS_ASSET_URI  # and after every rebuild
    timetable = coerce_to_core_timetable(report_dag.timetable)  # as the scheduler holds it
    runs, last = [], None
    for _ in range(4):
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last,
            restriction=TimeRestriction(earliest=pendulum.datetime(2025, 1, 1, tz="UTC"), latest=None, catchup=True),
        )
        runs.append(info)
        last = info.data_interval
    # 06:00 Vietnam on the 15th after each quarter; each interval starts at the quarter's first midnight.
    assert [r.run_after.in_timezone("Asia/Ho_Chi_Minh").isoformat() for r in runs] == [
        "2025-01-15T06:00:00+07:00",
        "2025-04-15T06:00:00+07:00",
        "2025-07-15T06:00:00+07:00",
        "2025-10-15T06:00:00+07:00",
    ]
    assert [r.data_interval.start.in_timezone("Asia/Ho_Chi_Minh").isoformat() for r in runs] == [
        "2024-10-01T00:00:00+07:00",
        "2025-01-01T00:00:00+07:00",
        "2025-04-01T00:00:00+07:00",
        "2025-07-01T00:00:00+07:00",
    ]
    assert [
        schedule.quarter_for_run(None, interval_start=r.data_interval.start, run_date=r.run_after) for r in runs
    ] == ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]


def test_the_quarter_of_a_run():
    start = dt.datetime(2025, 6, 30, 17, 0, tzinfo=dt.timezone.utc)  # 1 July 00:00 in Vietnam
    assert schedule.quarter_for_run(None, interval_start=start, run_date=None) == "2025Q3"
    assert schedule.quarter_for_run("2024Q2", interval_start=start, run_date=None) == "2024Q2"  # the Param wins
    # manual and asset-triggered runs: the last complete quarter before the run
    assert schedule.quarter_for_run(None, interval_start=None, run_date=dt.datetime(2025, 11, 2, tzinfo=VN)) == "2025Q3"
    with pytest.raises(ValueError, match="2025Q5"):
        schedule.quarter_for_run("2025Q5", interval_start=None, run_date=None)


@pytest.mark.parametrize(
    "run_type, delivers",
    [("scheduled", True), ("manual", True), ("asset_triggered", False), ("asset_materialization", False)],
)
def test_only_runs_of_the_schedule_or_by_hand_send_e_mail(run_type, delivers):
    assert schedule.run_delivers(run_type) is delivers


def test_a_manual_run_gates_writes_and_delivers_by_smtp(report_dag, db, monkeypatch):
    fill_quarter(db)
    shutil.rmtree(settings.reports_dir() / QUARTER, ignore_errors=True)
    shutil.rmtree(settings.outbox_dir(), ignore_errors=True)
    try:
        with smtp_server() as (inbox, port):
            monkeypatch.setenv("AIRFLOW_CONN_CRVS_SMTP", f"smtp://127.0.0.1:{port}")
            run = report_dag.test(
                run_conf={"quarter": QUARTER}, logical_date=dt.datetime(2026, 2, 3, tzinfo=dt.timezone.utc)
            )
            assert str(getattr(run.state, "value", run.state)) == "success"
            assert len(inbox.messages) == 4
            (moh,) = [m for _, rcpt, m in inbox.messages if "thongke@moh.example.invalid" in rcpt]
            assert f"crvs_{QUARTER}_agency_moh.xlsx" in attachments(moh)
            sent = db.execute(
                "select count(distinct recipient), bool_and(status = 'SENT') "
                "from delivery.deliveries where quarter = %s",
                (QUARTER,),
            ).fetchone()
            assert sent == (4, True)
            # The gate ran once, in quality_gate; write_report's manifest rests on that very run.
            gate_runs = [
                r[0] for r in db.execute("select run_id from quality.gate_runs where quarter = %s", (QUARTER,))
            ]
            assert len(gate_runs) == 1
            manifest = json.loads((settings.reports_dir() / QUARTER / "manifest.json").read_text())
            assert manifest["gate"]["run_id"] == gate_runs[0]

            # Triggered again for the same quarter: the report is rewritten, nobody is e-mailed twice.
            again = report_dag.test(
                run_conf={"quarter": QUARTER}, logical_date=dt.datetime(2026, 2, 4, tzinfo=dt.timezone.utc)
            )
            assert str(getattr(again.state, "value", again.state)) == "success"
            assert len(inbox.messages) == 4
        assert (settings.reports_dir() / QUARTER / "public" / f"crvs_{QUARTER}_report.pdf").is_file()
        assert (settings.outbox_dir() / QUARTER / "moh" / "message.eml").is_file()
    finally:
        shutil.rmtree(settings.reports_dir() / QUARTER, ignore_errors=True)
        shutil.rmtree(settings.outbox_dir(), ignore_errors=True)


def test_a_public_edition_the_disclosure_audit_refuses_fails_the_report_task_and_sends_nothing(report_dag, db):
    from crvs.quality import alerts
    from tests.alert_log import read_alerts

    fill_quarter(db)
    # The national sex ratio alone changed: it contradicts T2's published counts (3253 / 2965 = 109.7 %).
    db.execute("update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 130.0 where province_code = 'VN'")
    shutil.rmtree(settings.reports_dir() / QUARTER, ignore_errors=True)
    shutil.rmtree(settings.outbox_dir(), ignore_errors=True)
    alerts.alerts_file().unlink(missing_ok=True)
    try:
        run = report_dag.test(
            run_conf={"quarter": QUARTER}, logical_date=dt.datetime(2026, 2, 5, tzinfo=dt.timezone.utc)
        )
        assert str(getattr(run.state, "value", run.state)) == "failed"
        (alert,) = read_alerts()
        assert alert["task_id"] == "write_report"
        # One clear line: the quarter, the table and the kind of finding, no value.
        assert alert["message"].count("\n") == 0, alert["message"]
        assert alert["message"].startswith(f"report of {QUARTER}: the disclosure audit refused the public edition")
        assert "T2 contradiction" in alert["message"] and "130" not in alert["message"]
        assert (settings.reports_dir() / QUARTER / "agency" / "T2_births_by_sex.csv").is_file()
        assert not (settings.reports_dir() / QUARTER / "public").exists()
        assert not settings.outbox_dir().exists() or not any(settings.outbox_dir().rglob("*.eml"))
    finally:
        shutil.rmtree(settings.reports_dir() / QUARTER, ignore_errors=True)
        shutil.rmtree(settings.outbox_dir(), ignore_errors=True)
