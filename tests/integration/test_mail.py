"""The EMAIL channel with real .eml files and a real maildir, built with the standard library's
`email` package, loaded into the session's real PostgreSQL."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from crvs import settings
from crvs.devtools.sample import write_delivery
from crvs.feeds import mail

RATES = [
    {
        "year": "2025",
        "province_code": "01",
        "admin_code_version": "2025",
        "crude_birth_rate": "15.2",
        "crude_death_rate": "6.1",
    },
    {
        "year": "2025",
        "province_code": "99",
        "admin_code_version": "2025",
        "crude_birth_rate": "16.0",
        "crude_death_rate": "6.0",
    },
]


def delivery_files(tmp_path, delivery_id="GSO-2025-0001") -> Path:
    return write_delivery(
        tmp_path / "made" / delivery_id,
        {
            "delivery_id": delivery_id,
            "agency": "GSO",
            "extracted_at": "2025-03-01T08:00:00+07:00",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
        {"vital_rates.csv": ("gso_vital_rates", RATES)},
    )


def message(folder: Path | None, *, with_manifest=True) -> bytes:
    """An official e-mail with the delivery's files attached (the CSV as text/csv, as mail clients send it)."""
    msg = EmailMessage()
    msg["From"] = "data-desk@gso.example"
    msg["To"] = "crvs-inbox@warehouse.example"
    msg["Subject"] = "GSO delivery"
    msg["Date"] = "Mon, 03 Mar 2025 09:00:00 +0700"
    msg["Message-ID"] = make_msgid(domain="gso.example")
    msg.set_content("Delivery attached, per the MOJ-MOH-GSO regulation.")
    if folder is not None:
        for path in sorted(folder.iterdir()):
            if path.name == "manifest.json" and not with_manifest:
                continue
            maintype, subtype = ("application", "json") if path.suffix == ".json" else ("text", "csv")
            msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg.as_bytes()


@pytest.fixture
def inbox(warehouse):
    path = settings.inbox_dir()
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def test_a_good_message_loads_as_an_email_delivery_and_is_moved_to_processed(tmp_path, inbox, db):
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    (mailbox / "0001.eml").write_bytes(message(delivery_files(tmp_path)))

    (summary,) = mail.ingest_mail(mailbox)

    assert (summary["outcome"], summary["delivery_id"], summary["rows_loaded"], summary["rows_quarantined"]) == (
        "LOADED",
        "GSO-2025-0001",
        1,
        1,
    )
    assert db.execute("select channel from raw.deliveries").fetchall() == [("EMAIL",)]
    assert db.execute("select province_code from raw.gso_vital_rates").fetchall() == [("01",)]
    assert (mailbox / "processed" / "0001.eml").is_file() and not (mailbox / "0001.eml").exists()
    saved = inbox / "processed" / "GSO-2025-0001"
    assert json.loads((saved / "manifest.json").read_text())["channel"] == "EMAIL"
    # the CSV attachment is saved byte for byte (its sha256 matched the manifest)
    assert (saved / "vital_rates.csv").read_bytes() == (
        tmp_path / "made" / "GSO-2025-0001" / "vital_rates.csv"
    ).read_bytes()
    assert mail.waiting_messages(mailbox) == []


def test_a_message_without_a_manifest_is_rejected_with_the_reason(tmp_path, inbox, db):
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    (mailbox / "0002.eml").write_bytes(message(delivery_files(tmp_path), with_manifest=False))

    (summary,) = mail.ingest_mail(mailbox)

    assert summary["outcome"] == "REJECTED"
    assert summary["reason"].endswith("no manifest.json")
    (reason,) = db.execute("select reason from quarantine.rejected_deliveries").fetchone()
    assert reason == summary["reason"] and "mail-" in reason
    assert db.execute("select count(*) from raw.deliveries").fetchone()[0] == 0
    assert (mailbox / "rejected" / "0002.eml").is_file()


def test_the_same_message_twice_in_a_maildir_loads_once(tmp_path, inbox, db):
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    sent = message(delivery_files(tmp_path))
    (maildir / "new" / "1740967200.1.host").write_bytes(sent)
    (maildir / "new" / "1740967260.2.host").write_bytes(sent)

    first, second = mail.ingest_mail(maildir)

    assert (first["outcome"], second["outcome"]) == ("LOADED", "ALREADY_LOADED")
    assert db.execute("select count(*) from raw.gso_vital_rates").fetchone()[0] == 1
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == ["1740967200.1.host:2,S", "1740967260.2.host:2,S"]
    assert list((maildir / "new").iterdir()) == []


def test_a_changed_resend_by_mail_is_rejected_with_both_sha256s_and_the_message_set_aside(tmp_path, inbox, db):
    import hashlib

    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    first = delivery_files(tmp_path)
    (mailbox / "0001.eml").write_bytes(message(first))
    changed_rates = [dict(RATES[0], crude_birth_rate="15.3"), RATES[1]]
    changed = write_delivery(
        tmp_path / "changed" / "GSO-2025-0001",
        {
            "delivery_id": "GSO-2025-0001",
            "agency": "GSO",
            "extracted_at": "2025-03-01T08:00:00+07:00",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
        {"vital_rates.csv": ("gso_vital_rates", changed_rates)},
    )
    (mailbox / "0002.eml").write_bytes(message(changed))

    loaded, resent = mail.ingest_mail(mailbox)

    assert (loaded["outcome"], resent["outcome"]) == ("LOADED", "REJECTED")
    before = hashlib.sha256((first / "vital_rates.csv").read_bytes()).hexdigest()
    after = hashlib.sha256((changed / "vital_rates.csv").read_bytes()).hexdigest()
    assert f"vital_rates.csv (gso_vital_rates): sha256 loaded {before}, received {after}" in resent["reason"]
    assert "send the changed data as a new delivery_id" in resent["reason"]
    assert db.execute("select crude_birth_rate::text from raw.gso_vital_rates").fetchall() == [("15.2",)]
    assert db.execute("select agency, delivery_id from quarantine.rejected_deliveries").fetchall() == [
        ("GSO", "GSO-2025-0001")
    ]
    assert (mailbox / "rejected" / "0002.eml").is_file()


def test_an_emailed_delivery_is_saved_under_its_agency_and_id(tmp_path, inbox, db):
    made = write_delivery(
        tmp_path / "made" / "2025-0001",
        {
            "delivery_id": "2025-0001",
            "agency": "GSO",
            "extracted_at": "2025-03-01T08:00:00+07:00",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
        {"vital_rates.csv": ("gso_vital_rates", RATES)},
    )
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    (mailbox / "0001.eml").write_bytes(message(made))

    (summary,) = mail.ingest_mail(mailbox)

    assert summary["outcome"] == "LOADED"
    assert (inbox / "processed" / "GSO-2025-0001" / "manifest.json").is_file()
