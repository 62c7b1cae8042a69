"""Delivering a written report to the recipients of config/recipients.toml through a real SMTP
server on 127.0.0.1: what each receives (and nothing else), the outbox, the records, re-runs."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil

import openpyxl
import psycopg
import pytest
from conftest import copy_warehouse, drop_database, recreate_warehouse
from report_quarter import QUARTER, fill_quarter
from smtp_inbox import attachments, smtp_server
from test_report import read_csv, xlsx_text

from crvs import cli, settings
from crvs.delivery import (
    ALREADY_SENT,
    NOT_SENT,
    SENT,
    DeliveryError,
    Smtp,
    deliver_quarter,
    load_recipients,
    smtp_from_url,
)
from crvs.report import REPORT_TABLES, write_report

MOH_TABLES = ["T2", "T3", "T4", "T5", "T6", "T8"]  # as config/recipients.toml lists them
MOH, GSO, MOJ, PUBLIC = (
    "thongke@moh.example.invalid",
    "dansolaodong@gso.example.invalid",
    "hotich-thongke@moj.example.invalid",
    "congthongtin@moj.example.invalid",
)


WRITTEN = "crvs_test_delivery_written"  # the warehouse as it is once the report is written


@pytest.fixture(scope="module")
def written(seeded_template, tmp_path_factory):
    """report_quarter's quarter filled and its report written once for the module: the files, and
    the warehouse as they leave it (a template copy)."""
    url = recreate_warehouse(seeded_template)
    with psycopg.connect(url, autocommit=True) as conn:
        fill_quarter(conn)
    folder = write_report(QUARTER, tmp_path_factory.mktemp("written") / "reports")
    copy_warehouse(WRITTEN)
    yield folder
    drop_database(WRITTEN)


@pytest.fixture
def warehouse(written):
    """Each test's warehouse: a fresh copy of the one the written report left (nothing delivered)."""
    return recreate_warehouse(WRITTEN)


@pytest.fixture
def report(db, tmp_path, written):
    """Each test's copy of the written report, as write_report left it in tmp_path / reports."""
    folder = tmp_path / "reports" / QUARTER
    shutil.copytree(written, folder)
    return folder


def deliver(report, tmp_path, smtp, **kwargs):
    return deliver_quarter(QUARTER, reports=report.parent, outbox=tmp_path / "outbox", smtp=smtp, **kwargs)


def records(db) -> list[tuple]:
    return db.execute(
        "select recipient, file, sha256, channel, status, note, message_id from delivery.deliveries "
        "order by sent_at, recipient, file"
    ).fetchall()


def test_each_recipient_receives_exactly_its_files(report, tmp_path, db):
    with smtp_server() as (inbox, port):
        outcomes = deliver(report, tmp_path, Smtp("127.0.0.1", port))

    assert [(o.recipient, o.status) for o in outcomes] == [
        ("moj-statistics", SENT),
        ("moh", SENT),
        ("gso", SENT),
        ("public-portal", SENT),
    ]
    assert len(inbox.messages) == 4
    assert {sender for sender, _, _ in inbox.messages} == {"crvs-statistics@moj.example.invalid"}

    # MOH may receive T2–T6 and T8, never T1, T7 or T9: its own workbook of those sheets.
    (moh,) = inbox.to(MOH)
    files = attachments(moh)
    assert sorted(files) == [
        f"crvs_{QUARTER}_agency_moh.xlsx",
        f"crvs_{QUARTER}_moh_manifest.json",
        f"crvs_{QUARTER}_report.pdf",
    ]
    book = openpyxl.load_workbook(io.BytesIO(files[f"crvs_{QUARTER}_agency_moh.xlsx"]))
    assert book.sheetnames == ["Cover", "Notes", *(t.sheet_name for t in REPORT_TABLES if t.code in MOH_TABLES)]
    assert "T2_births_by_sex" in book.sheetnames and "T8_completeness" in book.sheetnames
    for name in book.sheetnames[2:]:
        cells = [[xlsx_text(c) for c in row] for row in book[name].iter_rows()]
        assert cells == read_csv(report / "agency" / f"{name}.csv"), name
    text = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "T1_registrations" not in text and "event_type" not in text  # nothing of T1, not even its definition
    assert "Ministry of Health" not in text and "Bộ Y tế" in text  # the cover names the recipient
    assert "QUÝ 3" not in moh["Subject"] and f"{QUARTER} (agency edition)" in moh["Subject"]

    manifest = json.loads(files[f"crvs_{QUARTER}_moh_manifest.json"])
    held = [t.code for t in REPORT_TABLES]
    assert manifest["tables"] == [c for c in held if c in MOH_TABLES]
    assert manifest["tables_not_in_report_yet"] == [c for c in MOH_TABLES if c not in held]
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items() if not name.endswith(".json")
    }

    # MOJ statistics: the whole agency workbook and CSVs, byte for byte as the report wrote them.
    (moj,) = inbox.to(MOJ)
    files = attachments(moj)
    for name, where in (
        (f"crvs_{QUARTER}_agency.xlsx", "agency"),
        ("T1_registrations.csv", "agency"),
        ("T8_completeness.csv", "agency"),
        (f"crvs_{QUARTER}_report.pdf", "public"),
    ):
        assert files[name] == (report / where / name).read_bytes(), name
    # The public portal: the public workbook and the PDF, never an agency file.
    (public,) = inbox.to(PUBLIC)
    files = attachments(public)
    assert sorted(files) == [
        f"crvs_{QUARTER}_public-portal_manifest.json",
        f"crvs_{QUARTER}_public.xlsx",
        f"crvs_{QUARTER}_report.pdf",
    ]
    assert files[f"crvs_{QUARTER}_public.xlsx"] == (report / "public" / f"crvs_{QUARTER}_public.xlsx").read_bytes()

    # Every file recorded with its sha256 and the message id the server received.
    rows = records(db)
    # moh, public: workbook, PDF, manifest; moj, gso: the same and a CSV per table (gso: not T9)
    assert len(rows) == 3 + 3 + (3 + len(REPORT_TABLES)) + (3 + len([t for t in REPORT_TABLES if t.code != "T9"]))
    received_ids = {m["Message-ID"].strip() for _, _, m in inbox.messages}
    assert {r[6] for r in rows} == received_ids
    assert {(r[3], r[4]) for r in rows} == {("SMTP", SENT)}
    outbox = tmp_path / "outbox" / QUARTER / "moh"
    for recipient, name, sha, *_ in rows:
        assert hashlib.sha256((tmp_path / "outbox" / QUARTER / recipient / name).read_bytes()).hexdigest() == sha
    assert (outbox / "message.eml").is_file()
    journal = [json.loads(line) for line in (tmp_path / "outbox" / "deliveries.jsonl").read_text().splitlines()]
    assert [(j["recipient"], j["status"]) for j in journal] == [(o.recipient, SENT) for o in outcomes]


def test_a_rerun_does_not_email_twice_unless_forced(report, tmp_path, db):
    with smtp_server() as (inbox, port):
        deliver(report, tmp_path, Smtp("127.0.0.1", port), recipient_ids=["moh"])
        again = deliver(report, tmp_path, Smtp("127.0.0.1", port), recipient_ids=["moh"])
        assert len(inbox.messages) == 1
        assert again[0].status == ALREADY_SENT and "not sent again" in again[0].note
        assert "changed" not in again[0].note
        assert len(records(db)) == 3

        # The quarter is rebuilt with a corrected figure: still not sent, but the note says so.
        db.execute(
            "update reports.rpt_t2_births_by_sex set male = 101, total = 191, sex_ratio_at_birth = 112.2 "
            "where province_code = '08'"
        )  # 101 / 90 × 100; VN's 3254 / 2965 × 100 stays 109.7
        db.execute("update reports.rpt_t2_births_by_sex set male = 3254, total = 6219 where province_code = 'VN'")
        # one more NEW birth in T1, T3 and T4 too (08 is in NMM), so they still reconcile with T2 (the
        # gate blocks otherwise)
        db.execute(
            "update reports.rpt_t1_registrations set registrations = 6095 "
            "where quarter = '2025Q3' and province_code = '96' and event_type = 'BIRTH'"
        )
        db.execute(
            "update reports.rpt_t3_births_by_mother_age set births = births + 1 "
            "where region_code in ('NMM', 'VN') and mother_age_band = '20-24'"
        )
        db.execute(
            "update reports.rpt_t4_births_by_place set births = births + 1 "
            "where region_code in ('NMM', 'VN') and place_of_birth = 'FACILITY' and timeliness = 'ON_TIME'"
        )
        # and in T11's row of the quarter (T1's NEW births): 6219, on time 6215 (6215 / 6219 = 99.9 %)
        db.execute(
            "update reports.rpt_t11_trends set births = 6219, births_on_time = 6215, births_on_time_pct = 99.9 "
            "where quarter = '2025Q3' and period = '2025Q3'"
        )
        write_report(QUARTER, report.parent)
        changed = deliver(report, tmp_path, Smtp("127.0.0.1", port), recipient_ids=["moh"])
        assert changed[0].status == ALREADY_SENT and "files changed" in changed[0].note

        forced = deliver(report, tmp_path, Smtp("127.0.0.1", port), recipient_ids=["moh"], force=True)
        assert forced[0].status == SENT
        assert len(inbox.messages) == 2
    assert len(records(db)) == 6


def test_without_smtp_the_outbox_is_written_and_nothing_is_sent(report, tmp_path, db, caplog):
    with caplog.at_level(logging.WARNING, logger="crvs.delivery"):
        outcomes = deliver(report, tmp_path, None, recipient_ids=["gso"])
    assert [(o.status, o.note) for o in outcomes] == [(NOT_SENT, "not sent: no SMTP configured")]
    assert "NO SMTP SERVER CONFIGURED" in caplog.text
    assert {(r[3], r[4], r[5], r[6]) for r in records(db)} == {
        ("OUTBOX", NOT_SENT, "not sent: no SMTP configured", None)
    }
    # GSO may receive every table but T9: its own workbook of T1–T8
    assert (tmp_path / "outbox" / QUARTER / "gso" / f"crvs_{QUARTER}_agency_gso.xlsx").is_file()

    with smtp_server() as (inbox, port):  # a later run with a server sends it: it never went out
        later = deliver(report, tmp_path, Smtp("127.0.0.1", port), recipient_ids=["gso"])
    assert later[0].status == SENT and len(inbox.to(GSO)) == 1


@pytest.fixture
def session_outbox():
    shutil.rmtree(settings.outbox_dir(), ignore_errors=True)
    yield settings.outbox_dir()
    shutil.rmtree(settings.outbox_dir(), ignore_errors=True)


def test_share_sends_only_to_the_sharing_agencies_from_the_command_line(report, session_outbox, monkeypatch, capsys):
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("CRVS_SMTP_URL", f"smtp://127.0.0.1:{port}")
        assert cli.main(["share", "--quarter", QUARTER, "--reports", str(report.parent)]) == 0
    printed = capsys.readouterr().out
    assert sorted(r for _, rcpt, _ in inbox.messages for r in rcpt) == [GSO, MOH]
    assert f"{QUARTER} → moh (agency): SENT" in printed and "public-portal" not in printed
    assert sorted(p.name for p in (session_outbox / QUARTER).iterdir()) == ["gso", "moh"]


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            'id = "x"\nemails = ["a@b.invalid"]\naudience = "agency"\ntables = ["T2", "T12"]',
            "unknown table code(s) T12",
        ),
        (
            'id = "x"\nemails = ["a@b.invalid"]\naudience = "press"\ntables = "all"',
            "audience must be one of agency, public",
        ),
        ('id = "x"\nemails = []\naudience = "public"\ntables = "all"', "emails must be a non-empty list"),
        (
            'id = "x"\nemails = ["a@b.invalid"]\naudience = "public"\ntables = "all"\nbcc = ["c@d.invalid"]',
            "unknown field(s) bcc",
        ),
    ],
)
def test_a_wrong_recipients_file_is_refused_with_the_recipient_and_field(tmp_path, entry, message):
    path = tmp_path / "recipients.toml"
    path.write_text(f'[sender]\nfrom = "s@moj.invalid"\n\n[[recipients]]\n{entry}\n', encoding="utf-8")
    with pytest.raises(DeliveryError, match=r"recipient 1 \(x\)") as err:
        load_recipients(path)
    assert message in str(err.value)


def test_smtp_url_and_the_password_stays_out_of_reprs():
    smtp = smtp_from_url("smtp://robot:s%40cret@mail.example.invalid:2525?starttls=true&from=a@b.invalid")
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.starttls, smtp.sender) == (
        "mail.example.invalid",
        2525,
        "robot",
        "s@cret",
        True,
        "a@b.invalid",
    )
    assert "s@cret" not in repr(smtp) and "s@cret" not in smtp.describe()
    assert smtp_from_url("smtps://mail.example.invalid").port == 465
    assert smtp_from_url(None) is None
    with pytest.raises(DeliveryError):
        smtp_from_url("http://mail.example.invalid")


def failed_records(db) -> list[tuple]:
    return db.execute(
        "select recipient, channel, status, note, message_id from delivery.deliveries "
        "where status = 'FAILED' order by recipient, file"
    ).fetchall()


def test_a_server_refusing_the_connection_fails_each_recipient_with_the_reason_recorded(report, tmp_path, db):
    from smtp_inbox import free_port

    port = free_port()  # nothing listens there
    outcomes = deliver(report, tmp_path, Smtp("127.0.0.1", port))

    reason = f"not sent: smtp://127.0.0.1:{port}: the server refused the connection (nothing listens there?)"
    assert [(o.recipient, o.status, o.note) for o in outcomes] == [
        (r, "FAILED", reason) for r in ("moj-statistics", "moh", "gso", "public-portal")
    ]
    assert [o.line().split(" [")[0] for o in outcomes][1] == f"{QUARTER} → moh (agency): FAILED — {reason}"
    assert {(r[0], r[1], r[2], r[3], r[4]) for r in failed_records(db)} == {
        (r, "SMTP", "FAILED", reason, None) for r in ("moj-statistics", "moh", "gso", "public-portal")
    }
    assert db.execute("select count(*) from delivery.deliveries where status = 'SENT'").fetchone()[0] == 0


def test_after_a_partial_failure_a_rerun_sends_only_to_those_not_yet_sent(report, tmp_path, db):
    from aiosmtpd.controller import Controller
    from smtp_inbox import Inbox, free_port

    class RefusingMoh(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == MOH:
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    refusing, port = RefusingMoh(), free_port()
    controller = Controller(refusing, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = deliver(report, tmp_path, Smtp("127.0.0.1", port))
    finally:
        controller.stop()
    assert [(o.recipient, o.status) for o in first] == [
        ("moj-statistics", SENT),
        ("moh", "FAILED"),
        ("gso", SENT),
        ("public-portal", SENT),
    ]
    moh = next(o for o in first if o.recipient == "moh")
    assert moh.note == (
        f"not sent: smtp://127.0.0.1:{port}: the server refused every address of the recipient (SMTP 550)"
    )
    assert MOH not in moh.line()
    assert len(refusing.messages) == 3

    with smtp_server() as (inbox, port):
        second = deliver(report, tmp_path, Smtp("127.0.0.1", port))
    assert [(o.recipient, o.status) for o in second] == [
        ("moj-statistics", ALREADY_SENT),
        ("moh", SENT),
        ("gso", ALREADY_SENT),
        ("public-portal", ALREADY_SENT),
    ]
    assert [rcpt for _, rcpt, _ in inbox.messages] == [[MOH]]  # nobody received it twice


def test_deliver_on_the_command_line_prints_a_line_per_recipient_and_exits_1_when_one_failed(
    report, session_outbox, monkeypatch, capsys
):
    from smtp_inbox import free_port

    monkeypatch.setenv("CRVS_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    assert cli.main(["deliver", "--quarter", QUARTER, "--reports", str(report.parent), "--recipient", "gso"]) == 1
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and ": FAILED — not sent: smtp://127.0.0.1:" in captured.out
    assert "Traceback" not in captured.err + captured.out


def test_the_report_dag_task_fails_retryably_naming_the_recipients_not_sent(report, db):
    from smtp_inbox import free_port

    from crvs import delivery, errors, pipeline
    from crvs.airflow import adapter

    with pytest.raises(delivery.DeliveryFailed) as failed:
        pipeline.deliver(QUARTER, Smtp("127.0.0.1", free_port()), out=report.parent)
    lines = str(failed.value).splitlines()
    assert lines[0] == f"4 of 4 recipient(s) not sent the {QUARTER} report (a retry sends to them only):"
    assert len(lines) == 5 and all(": FAILED — not sent: " in line for line in lines[1:])
    assert not isinstance(failed.value, errors.RunBlocked)  # Airflow retries it
    assert adapter.dag_defaults()["retries"] >= 1


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # quoted-printable decoded


def test_the_email_body_gives_the_edition_s_headline_figures_the_gate_the_files_and_a_contact(report, tmp_path):
    from crvs.audit.intruder import read_tables
    from crvs.audit.text import Published, text_findings

    with smtp_server() as (inbox, port):
        deliver(report, tmp_path, Smtp("127.0.0.1", port), recipient_ids=["moh", "public-portal"])
    moh, public = body_of(inbox.to(MOH)[0]), body_of(inbox.to(PUBLIC)[0])

    assert moh.startswith("Kính gửi Bộ Y tế — Cục Dân số")
    assert "báo cáo thống kê hộ tịch quý 3/2025, bản dành cho cơ quan" in moh
    # report_quarter's national figures of MOH's tables (agency CSVs), the Vietnamese way:
    # T2 VN 6218 births, ratio 109.7; T6 VN 1652 deaths, 1321 on time = 80.0 %; T8 VN 90.0, 78.0, 95.0.
    for line in (
        "- Khai sinh mới đăng ký trong quý: 6.218",
        "- Tỷ số giới tính khi sinh (bé trai/100 bé gái): 109,7",
        "- Khai tử mới đăng ký trong quý: 1.652",
        "- Khai tử đúng hạn (≤ 15 ngày), % số khai tử: 80,0%",
        "- Mức độ đầy đủ khai sinh (mục tiêu 2030: 100%): 90,0%",
        "- Mức độ đầy đủ khai tử (mục tiêu 2030: 80%): 78,0%",
        "- Trẻ sinh tại cơ sở y tế đã được khai sinh: 95,0%",
    ):
        assert line in moh.splitlines(), line
    assert "Kết hôn" not in moh and "sha256 " not in moh  # no chart-only figure, no checksum list
    # The gate's outcome for the agency: passed, the warnings about its own tables or about no table
    # (T8's 12.0 %; the mothers' ages, not evaluated on these hand-made tables), not T1's.
    assert "Kiểm tra chất lượng dữ liệu của quý: đạt; 2 cảnh báo về các biểu gửi kèm" in moh
    assert f"- crvs_{QUARTER}_agency_moh.xlsx: bảng tính" in moh and f"- crvs_{QUARTER}_report.pdf: báo cáo" in moh
    assert f"- crvs_{QUARTER}_moh_manifest.json: danh sách các tệp gửi kèm" in moh
    assert "Liên hệ về số liệu: Bộ Tư pháp — Thống kê hộ tịch <thongke-hotich@moj.example.invalid>" in moh

    # The public portal: only what the public tables publish. T2 VN's boys and girls are published
    # (3253, 2965), so its total and ratio are; no gate detail; the same contact.
    assert "bản công bố" in public and "- Khai sinh mới đăng ký trong quý: 6.218" in public.splitlines()
    assert "cảnh báo" not in public and "Liên hệ về số liệu: Bộ Tư pháp" in public
    published = Published.of(read_tables(report / "public"))
    assert text_findings("e-mail", "body", public, published) == []
    # … and a figure the public tables do not publish would be caught in the same body.
    assert text_findings("e-mail", "body", public.replace("6.218", "6.217"), published) != []
