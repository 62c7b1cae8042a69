"""The EMAIL channel: agency deliveries attached to official e-mails, read from a mail folder.

A mail folder is either
- a maildir (the folder has `new/` and `cur/`): the messages in `new/` are read; a handled message
  moves to `cur/` with the Seen flag (`<name>:2,S`), as a mail client would, or
- a plain folder of `.eml` files (RFC 5322 messages, as saved by any mail client): each handled
  message moves to `processed/` or, when its delivery was rejected, `rejected/` inside that folder.

For each message, every attachment with a file name (manifest.json and the CSVs it names) is saved
as it was sent (the attachment's bytes, so sha256 still holds) into a delivery folder in the inbox,
the manifest's `channel` set to EMAIL (it arrived by e-mail whatever the sender wrote), and the
folder handed to the file loader (crvs.pipeline.ingest): same checks, same outcomes, same archive
(inbox/processed, inbox/rejected). A message without a manifest.json attachment is rejected with that
reason (recorded in quarantine.rejected_deliveries); the same message twice loads nothing the second
time.

Two ways to run it: `crvs ingest --mail DIR` (ingest_mail: save, load, mark, message by message),
and every ingest DAG run (collect_mail: the messages in CRVS_MAIL_DIR, default $CRVS_HOME/mail,
are saved into the inbox, where each agency's DAG loads its own deliveries with the files dropped
there). Personal data stay out of logs: only Message-ID, date and attachment names are logged.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import fcntl
import json
import logging
import re
import shutil
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from crvs import settings
from crvs.feeds.contract import delivery_folder_name

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PROCESSED, REJECTED = "processed", "rejected"


@dataclass(frozen=True)
class MailMessage:
    path: Path
    maildir: bool

    @property
    def name(self) -> str:
        return self.path.name


def is_maildir(folder: Path) -> bool:
    return (folder / "new").is_dir() and (folder / "cur").is_dir()


def waiting_messages(folder: Path) -> list[MailMessage]:
    """The messages not handled yet, in name order (maildir names start with the delivery time)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"mail folder {folder} does not exist")
    if is_maildir(folder):
        return [MailMessage(p, True) for p in sorted((folder / "new").iterdir())
                if p.is_file() and not p.name.startswith(".")]
    return [MailMessage(p, False) for p in sorted(folder.glob("*.eml")) if p.is_file()]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "message"


def save_attachments(message: MailMessage, inbox: Path) -> Path:
    """Save a message's attachments as a delivery folder in `inbox`; returns the folder. Written
    under a hidden name first, so the ingest DAG never sees it half-written."""
    with open(message.path, "rb") as f:
        parsed: EmailMessage = email.message_from_binary_file(f, policy=email.policy.default)
    message_id = str(parsed.get("Message-ID") or message.path.stem)
    attachments: dict[str, bytes] = {}
    for part in parsed.iter_attachments():
        name = Path(part.get_filename() or "").name
        if not name or name.startswith("."):
            continue
        attachments[name] = part.get_payload(decode=True) or b""
    manifest = _manifest_of(attachments.get(MANIFEST))
    delivery_id = manifest.get("delivery_id") if isinstance(manifest, dict) else None
    agency = manifest.get("agency") if isinstance(manifest, dict) else None
    if isinstance(delivery_id, str) and delivery_id and isinstance(agency, str) and agency:
        name = _safe(delivery_folder_name(agency, delivery_id))  # as the warehouse names it: (agency, delivery_id)
    elif isinstance(delivery_id, str) and delivery_id:
        name = _safe(delivery_id)
    else:
        name = f"mail-{_safe(message_id)}"
    log.info("message %s (%s): attachments %s", message_id, parsed.get("Date", "no date"),
             ", ".join(sorted(attachments)) or "none")

    inbox.mkdir(parents=True, exist_ok=True)
    staging = inbox / f".mail-{_safe(message.name)}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for file_name, data in attachments.items():
        (staging / file_name).write_bytes(data)
    if isinstance(manifest, dict):
        manifest["channel"] = "EMAIL"
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    target, n = inbox / name, 1
    while target.exists():
        n += 1
        target = inbox / f"{name}.{n}"
    staging.rename(target)
    return target


def _manifest_of(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None  # saved as sent; the loader rejects it with the reason


def mark_handled(message: MailMessage, *, rejected: bool) -> Path:
    if message.maildir:
        target = message.path.parent.parent / "cur" / (message.name.split(":2,")[0] + ":2,S")
    else:
        target = message.path.parent / (REJECTED if rejected else PROCESSED) / message.name
        target.parent.mkdir(exist_ok=True)
    shutil.move(str(message.path), str(target))
    return target


@contextlib.contextmanager
def _one_collector(folder: Path):
    """Three agency DAGs may collect at once: one at a time per mail folder (a lock file, which
    maildir readers and the .eml glob both ignore)."""
    with open(folder / ".crvs-collect.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def collect_mail(folder: Path | None = None, inbox: Path | None = None) -> list[str]:
    """For the ingest DAGs: save every waiting message's attachments as a delivery folder in the
    inbox and mark the message handled; returns the folders saved (each agency's DAG then loads its
    own from the inbox). A message without a manifest.json attachment cannot be given to an agency:
    it is rejected here, recorded in quarantine.rejected_deliveries with its reason, and its message
    moved to the rejected ones. No mail folder: nothing to do."""
    from crvs import pipeline

    folder = Path(folder or settings.mail_dir())
    if not folder.is_dir():
        return []
    inbox = Path(inbox or settings.inbox_dir())
    saved = []
    with _one_collector(folder):
        for message in waiting_messages(folder):
            delivery_folder = save_attachments(message, inbox)
            if (delivery_folder / MANIFEST).is_file():
                saved.append(str(delivery_folder))
                mark_handled(message, rejected=False)
                continue
            (summary,) = pipeline.ingest([delivery_folder], channel="EMAIL")  # rejected: no manifest
            log.warning("message %s: %s", message.name, summary["reason"])
            mark_handled(message, rejected=True)
    return saved


def ingest_mail(folder: Path, inbox: Path | None = None) -> list[dict]:
    """Read every waiting message of a mail folder: save its attachments as a delivery folder in the
    inbox, load it (crvs.pipeline.ingest), then mark the message handled. Returns one summary per
    message, as pipeline.ingest gives them, with the message's file name added."""
    from crvs import pipeline

    inbox = Path(inbox or settings.inbox_dir())
    summaries = []
    for message in waiting_messages(Path(folder)):
        delivery_folder = save_attachments(message, inbox)
        if not (delivery_folder / MANIFEST).is_file():
            log.warning("message %s has no manifest.json attachment", message.name)
        (summary,) = pipeline.ingest([delivery_folder], channel="EMAIL")
        summary["message"] = message.name
        mark_handled(message, rejected=summary["outcome"] == "REJECTED")
        summaries.append(summary)
    return summaries
