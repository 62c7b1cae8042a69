"""Hostile e-mails against the real mail intake (`crvs ingest --mail`) and the real embedded
PostgreSQL (issue 14, item 7): a message whose attachment cannot be a delivery's file is rejected,
recorded with its reason and set aside, and the messages after it load; attachments are written to
disk as they are decoded, never held whole."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from crvs.feeds import mail
from tests.integration.test_mail import delivery_files, inbox, message  # noqa: F401 (inbox: a fixture)
from tests.time_bound import at_most

CRVS = str(Path(sys.executable).with_name("crvs"))


@pytest.fixture(autouse=True)
def bounded_in_time():
    with at_most(60):
        yield


def with_attachment_named(file_name: str) -> bytes:
    """A good GSO delivery's message with one more attachment under `file_name`."""
    msg = EmailMessage()
    msg["From"] = "data-desk@gso.example"
    msg["Subject"] = "GSO delivery"
    msg["Message-ID"] = make_msgid(domain="gso.example")
    msg.set_content("Delivery attached.")
    msg.add_attachment(b"year,province_code\n", maintype="text", subtype="csv", filename=file_name)
    return msg.as_bytes()


def test_attachments_named_with_a_nul_or_too_long_are_rejected_and_later_messages_load(tmp_path, inbox, db):
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    (mailbox / "0001.eml").write_bytes(with_attachment_named("births\x00.csv"))
    (mailbox / "0002.eml").write_bytes(with_attachment_named("y" * 300 + ".csv"))  # 304 characters
    (mailbox / "0003.eml").write_bytes(message(delivery_files(tmp_path)))

    first = subprocess.run(
        [CRVS, "ingest", "--mail", str(mailbox)], env=os.environ.copy(), capture_output=True, text=True, timeout=50
    )

    assert first.returncode == 1, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("0001.eml: ") and "REJECTED" in lines[0]
    assert "attachment 1: its file name holds a control character" in lines[0]
    assert lines[1].startswith("0002.eml: ") and "REJECTED" in lines[1]
    assert "attachment 1: its file name is longer than 255 bytes (304)" in lines[1]
    assert lines[2].startswith("0003.eml: GSO-2025-0001: loaded 1 rows")
    reasons = [r for (r,) in db.execute("select reason from quarantine.rejected_deliveries order by rejected_at")]
    assert len(reasons) == 2 and reasons[0] in lines[0] and reasons[1] in lines[1]
    assert "y" * 100 not in first.stdout + first.stderr + "".join(reasons)  # the name itself is not repeated
    assert db.execute("select delivery_id from raw.deliveries").fetchall() == [("GSO-2025-0001",)]
    assert sorted(p.name for p in (mailbox / "rejected").iterdir()) == ["0001.eml", "0002.eml"]
    assert [p.name for p in (mailbox / "processed").iterdir()] == ["0003.eml"]
    assert not [p for p in inbox.iterdir() if p.name.startswith(".mail-")]  # no half-saved folder left

    again = subprocess.run(
        [CRVS, "ingest", "--mail", str(mailbox)], env=os.environ.copy(), capture_output=True, text=True, timeout=50
    )
    assert (again.returncode, again.stdout) == (0, "")


def test_a_large_attachment_is_saved_byte_for_byte(tmp_path, inbox, db):
    """A 30 MB attachment (base64 in the message, as mail clients send it) and a quoted-printable
    one are saved as they were sent; the loader then finds the manifest's sha256 (it rejects the
    bytes as rows, which is not what is tested here)."""
    big = os.urandom(30 << 20)
    text = "province_code,note\r\n01,Hà Nội = thủ đô  \r\n02,\t\r\n".encode() + b"x" * 200 + b"\r\n"
    msg = EmailMessage()
    msg["Subject"] = "sizes"
    msg.set_content("two attachments")
    msg.add_attachment(big, maintype="application", subtype="octet-stream", filename="big.bin")
    msg.add_attachment(text, maintype="text", subtype="csv", filename="qp.csv", cte="quoted-printable")
    path = tmp_path / "sizes.eml"
    path.write_bytes(msg.as_bytes())
    assert b"=3D" in path.read_bytes()  # the second one really is quoted-printable

    folder = mail.save_attachments(mail.MailMessage(path, False), inbox)

    assert hashlib.sha256((folder / "big.bin").read_bytes()).digest() == hashlib.sha256(big).digest()
    assert (folder / "qp.csv").read_bytes() == text
