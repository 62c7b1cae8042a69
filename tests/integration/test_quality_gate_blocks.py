"""The gate on a real quarter: sample deliveries → ingest.ingest (feed checks) → dbt build → gate.

The warehouse is built once for the module. Each test trips ONE blocking expectation with SQL,
proves that `pipeline.report` refuses and writes no file, and restores what it changed. One run of
crvs_quarterly_report through dag.test() shows the failed run's message and the alert (alerts file
and an e-mail to an SMTP server on 127.0.0.1).
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
from contextlib import contextmanager

import psycopg
import pytest

from crvs import errors, pipeline, settings
from crvs.airflow import runs
from crvs.devtools.sample import generate_quarter
from crvs.feeds import ingest
from crvs.quality import alerts, feeds
from crvs.quality.provinces import province_codes
from tests.alert_log import read_alerts

QUARTER = "2025Q3"
SCALE = 0.002


@pytest.fixture(scope="module")
def built(module_warehouse, tmp_path_factory):
    """The quarter loaded through the pipeline's ingest (which runs the feed checks) and built."""
    folders = generate_quarter(QUARTER, SCALE, tmp_path_factory.mktemp("inbox"))
    summaries = ingest.ingest(folders)
    pipeline.transform()
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        yield {"summaries": summaries, "conn": conn}


@pytest.fixture
def db(built):
    return built["conn"]


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@contextmanager
def tripped(db, table: str, *statements: str):
    """Run `statements` against a copy-backed table; put the table's rows back afterwards."""
    db.execute(f"create temp table saved_rows as select * from {table}")
    try:
        for sql in statements:
            db.execute(sql)
        yield
    finally:
        db.execute(f"delete from {table}")
        db.execute(f"insert into {table} select * from saved_rows")
        db.execute("drop table saved_rows")


def assert_blocked(tmp_path, *fragments: str) -> str:
    out = tmp_path / "reports"
    with pytest.raises(errors.RunBlocked) as blocked:
        pipeline.report(QUARTER, out)
    message = str(blocked.value)
    for fragment in fragments:
        assert fragment in message, message
    assert files_under(out) == [], "no report file may be written"
    return message


def test_the_clean_quarter_passes_and_every_delivery_was_feed_checked(built, db):
    summaries = built["summaries"]
    assert [s["outcome"] for s in summaries] == ["LOADED"] * 3
    assert all(s["feed_checks"] == {"passed": True, "failed": []} for s in summaries), summaries
    checked = db.execute(
        "select delivery_id, dataset, bool_and(passed), count(*) from quality.feed_checks "
        "group by delivery_id, dataset order by delivery_id, dataset"
    ).fetchall()
    assert [(d, ds, ok) for d, ds, ok, _ in checked] == [
        ("GSO-2025-0001", "gso_population", True),
        ("GSO-2025-0001", "gso_vital_rates", True),
        ("MOH-2025Q3-0001", "moh_births", True),
        ("MOH-2025Q3-0001", "moh_deaths", True),
        ("MOJ-2025Q3-0001", "moj_births", True),
        ("MOJ-2025Q3-0001", "moj_deaths", True),
        ("MOJ-2025Q3-0001", "moj_marriages", True),
    ]
    names = {r[0] for r in db.execute("select expectation from quality.feed_checks where dataset = 'moj_births'")}
    assert {
        "(record_id, record_version) unique in the delivery",
        "child_pid is an HMAC-SHA256 pseudonym",
        "event_after_registration (birth_date)",
        "reg_province_code valid for its admin_code_version",
        "sex is in its code list",
        "registration_date is never null",
    } <= names

    gate = pipeline.gate(QUARTER)
    assert gate["passed"], gate["summary"]


def test_a_province_missing_blocks(built, db, tmp_path):
    with tripped(
        db, "reports.rpt_t2_births_by_sex", "delete from reports.rpt_t2_births_by_sex where province_code = '15'"
    ):
        assert_blocked(tmp_path, "every province and VN present", "missing 1 province(s): 15")


def test_missing_denominators_block(built, db, tmp_path):
    with tripped(
        db,
        "reports.rpt_t8_completeness",
        "update reports.rpt_t8_completeness set expected_deaths = null where province_code = '24'",
    ):
        assert_blocked(
            tmp_path, "GSO denominators present for every province", "province_code=24", "expected_deaths=None"
        )


def test_a_personal_identifier_in_a_report_model_blocks(built, db, tmp_path):
    db.execute("alter table reports.rpt_t8_completeness add column child_pid char(64)")
    try:
        assert_blocked(
            tmp_path, "no personal identifiers in the report models", "model=rpt_t8_completeness, column_name=child_pid"
        )
    finally:
        db.execute("alter table reports.rpt_t8_completeness drop column child_pid")


def test_t1_and_t2_disagreeing_blocks(built, db, tmp_path):
    births = db.execute(
        "select total from reports.rpt_t2_births_by_sex where quarter = %s and province_code = 'VN'", (QUARTER,)
    ).fetchone()[0]
    with tripped(
        db,
        "reports.rpt_t2_births_by_sex",
        "update reports.rpt_t2_births_by_sex set unknown = unknown + 1, total = total + 1 where province_code = 'VN'",
    ):
        assert_blocked(
            tmp_path,
            "T1 NEW births = T2 total (VN)",
            f"province_code=VN, t2_total={births + 1}, t1_new_births={births}",
        )


def test_a_late_delivery_blocks(built, db, tmp_path):
    # The sample's MOJ delivery was extracted on 2025-10-05; 60 days later is past the 30-day window.
    db.execute("update raw.deliveries set extracted_at = extracted_at + interval '60 days' where agency = 'MOJ'")
    try:
        assert_blocked(
            tmp_path,
            "every agency delivered the quarter within its agreed window",
            "MOJ moj_births late: no deliveries extracted 2025-10-01..2025-10-30 cover 2025-07-01..2025-09-30",
            "extracted after the window: MOJ-2025Q3-0001 (extracted 2025-12-04)",
        )
    finally:
        db.execute("update raw.deliveries set extracted_at = extracted_at - interval '60 days' where agency = 'MOJ'")


def test_a_delivery_failing_its_feed_checks_blocks(built, db, tmp_path):
    # A raw citizen number where a pseudonym belongs: the loader never writes one, a hand edit could.
    with tripped(
        db,
        "raw.moh_births",
        "update raw.moh_births set mother_pid = '079195000002' where source_row = "
        "(select min(source_row) from raw.moh_births where mother_pid is not null)",
    ):
        result = feeds.check_delivery("MOH", "MOH-2025Q3-0001")
        assert [o.name for o in result.failures] == ["mother_pid is an HMAC-SHA256 pseudonym"]
        assert_blocked(
            tmp_path,
            "every delivery of the quarter passed its feed checks",
            "MOH-2025Q3-0001",
            "mother_pid is an HMAC-SHA256 pseudonym",
        )
        moh, moj = ("MOH", "MOH-2025Q3-0001"), ("MOJ", "MOJ-2025Q3-0001")
        assert feeds.delivery_outcomes([moh, moj, ("GSO", "MOH-2025Q3-0001"), ("MOJ", "NOT-LOADED")]) == {
            moh: "FAILED: moh_births: mother_pid is an HMAC-SHA256 pseudonym",
            moj: "PASSED",
            ("GSO", "MOH-2025Q3-0001"): "NOT CHECKED",
            ("MOJ", "NOT-LOADED"): "NOT CHECKED",
        }
    assert feeds.check_delivery("MOH", "MOH-2025Q3-0001").passed
    assert feeds.delivery_outcomes([("MOH", "MOH-2025Q3-0001")]) == {("MOH", "MOH-2025Q3-0001"): "PASSED"}


def test_a_delivery_whose_rows_do_not_add_up_blocks(built, db, tmp_path):
    # One stored row of MOJ's deaths gone (a hand edit, a loader defect): its profile counts one row
    # fewer than the loader loaded, which the aggregate check refuses.
    with tripped(
        db,
        "raw.moj_deaths",
        "delete from raw.moj_deaths where source_row = (select min(source_row) from raw.moj_deaths)",
    ):
        result = feeds.check_delivery("MOJ", "MOJ-2025Q3-0001")
        assert [(o.table, o.name) for o in result.failures] == [
            ("moj_deaths", "rows received, loaded and quarantined add up")
        ]
        loaded = db.execute(
            "select rows_loaded from raw.delivery_files where delivery_id = 'MOJ-2025Q3-0001' and dataset = 'moj_deaths'"
        ).fetchone()[0]
        assert_blocked(
            tmp_path,
            "every delivery of the quarter passed its feed checks",
            "MOJ-2025Q3-0001",
            "rows received, loaded and quarantined add up",
        )
        assert f"loaded={loaded}, " in result.failures[0].observed
        assert f"stored={loaded - 1}, " in result.failures[0].observed
    assert feeds.check_delivery("MOJ", "MOJ-2025Q3-0001").passed


def test_a_warning_does_not_block_and_is_in_the_manifest(built, db, tmp_path):
    # Half of MOJ's delivered birth rows rejected: a warning. T9 counts delivered rows, which no other
    # table rests on, so the public edition stays coherent (a national sex ratio changed alone would
    # contradict its published counts, and the disclosure audit would refuse the public edition).
    with tripped(
        db,
        "reports.rpt_t9_data_quality",
        "update reports.rpt_t9_data_quality set rows_rejected = rows_rejected + rows_loaded / 2, "
        "rows_loaded = rows_loaded - rows_loaded / 2 where dataset = 'moj_births'",
    ):
        folder = pipeline.report(QUARTER, tmp_path / "reports")
    manifest = json.loads((tmp_path / "reports" / QUARTER / "manifest.json").read_text())
    assert manifest["gate"]["passed"] is True
    assert any(
        w.startswith("rpt_t9_data_quality: rows rejected under 1 % of rows received — 1 row(s): ")
        for w in manifest["gate"]["warnings"]
    ), manifest["gate"]["warnings"]
    assert "agency/T2_births_by_sex.csv" in files_under(tmp_path / "reports" / QUARTER)
    assert folder == str(tmp_path / "reports" / QUARTER)


# --- the report DAG: a blocked quarter fails the run, names the check, and raises the alert ---


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CRVS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRVS_SMTP_PORT", str(port))
    monkeypatch.setenv("CRVS_ALERT_EMAIL_TO", "statistics-duty@example.org")
    yield inbox
    controller.stop()


def test_the_report_dag_fails_with_the_check_and_alerts(built, db, airflow_db, smtp_server):
    shutil.rmtree(settings.reports_dir() / QUARTER, ignore_errors=True)
    alerts.alerts_file().unlink(missing_ok=True)
    dag = runs.load_dags()["crvs_quarterly_report"]
    missing = province_codes()[3]
    try:
        with tripped(
            db,
            "reports.rpt_t8_completeness",
            f"delete from reports.rpt_t8_completeness where province_code = '{missing}'",
        ):
            state = runs.run_dag(dag, run_conf={"quarter": QUARTER})
    finally:
        from airflow import settings as airflow_settings

        airflow_settings.Session.remove()

    assert state == "failed"
    assert not (settings.reports_dir() / QUARTER).exists()
    recorded = read_alerts()
    assert [(a["dag_id"], a["task_id"]) for a in recorded] == [("crvs_quarterly_report", "quality_gate")]
    message = recorded[0]["message"]
    assert "rpt_t8_completeness: every province and VN present" in message
    assert f"missing 1 province(s): {missing}" in message
    assert recorded[0]["email"] == "sent to statistics-duty@example.org"
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["statistics-duty@example.org"]
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",)).get_content()  # quoted-printable decoded
    assert "crvs_quarterly_report failed at quality_gate" in parsed["Subject"]
    assert f"missing 1 province(s): {missing}" in body
