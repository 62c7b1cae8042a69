"""The EMAIL channel: agency deliveries attached to official e-mails, read from a mail folder.

A mail folder is either
- a maildir (the folder has `new/` and `cur/`): the messages in `new/` are read; a handled message
  moves to `cur/` with the Seen flag (`<name>:2,S`), as a mail client would, or
- a plain folder of `.eml` files (RFC 5322 messages, as saved by any mail client): each handled
  message moves to `processed/` or, when its delivery was rejected, `rejected/` inside that folder.

For each message, every attachment with a file name (manifest.json and the CSVs it names) is saved
as it was sent (the attachment's bytes, so sha256 still holds) into a delivery folder in the inbox,
the manifest's `channel` set to EMAIL (it arrived by e-mail whatever the sender wrote), and the
folder handed to the one ingest entry (crvs.feeds.ingest): same checks, same outcomes, same archive
(inbox/processed, inbox/rejected). A message without a manifest.json attachment is rejected with that
reason (recorded in quarantine.rejected_deliveries); the same message twice loads nothing the second
time. A message read line by line: each attachment is decoded into its file as it is read (memory
stays flat at any message size). An attachment whose file name cannot name a delivery's file (a
control character, longer than a file system takes) rejects its message, recorded with the reason
and set aside like any rejected message; the messages after it are read as ever.

Two ways to run it: `crvs ingest --mail DIR` (ingest_mail: save, load, mark, message by message),
and every ingest DAG run (collect_mail: the messages in CRVS_MAIL_DIR, default $CRVS_HOME/mail,
are saved into the inbox, where each agency's DAG loads its own deliveries with the files dropped
there). Personal data stay out of logs: only Message-ID, date and attachment names are logged.
"""

from __future__ import annotations

import binascii
import contextlib
import email.parser
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
from crvs.feeds.loader import MAX_MANIFEST_BYTES, file_name_problem

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
        return [
            MailMessage(p, True)
            for p in sorted((folder / "new").iterdir())
            if p.is_file() and not p.name.startswith(".")
        ]
    return [MailMessage(p, False) for p in sorted(folder.glob("*.eml")) if p.is_file()]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "message"


class MessageRejected(Exception):
    """The message cannot become a delivery folder; the message is the recorded reason."""


# ------------------------------------------------------------------ reading a message as a stream
#
# email.message_from_binary_file keeps a whole message in memory several times over (its lines,
# the joined payload, the decoded bytes): a 216 MB message took 1.17 GB. Here the message is read a
# line at a time; only headers are handed to the email package (its header parser: encoded words,
# RFC 2231 file names), and each attachment's body is decoded as it is read, straight into a file.

LINE_PIECE = 1 << 16  # a line is read at most this much at a time (a line without an end cannot fill memory)
MAX_HEADER_BYTES = 1 << 20  # one part's headers
MAX_DEPTH = 20  # multiparts inside multiparts


class _Lines:
    """The message's lines, as pieces of at most LINE_PIECE bytes; `whole` says whether a piece
    starts a line (only such a piece can be a boundary or end the headers)."""

    def __init__(self, stream):
        self.stream, self.pushed, self.at_start = stream, None, True

    def next(self) -> tuple[bytes, bool] | None:
        if self.pushed is not None:
            piece, self.pushed = self.pushed, None
            return piece
        data = self.stream.readline(LINE_PIECE)
        if not data:
            return None
        starts, self.at_start = self.at_start, data.endswith(b"\n")
        return data, starts

    def push(self, piece: tuple[bytes, bool]) -> None:
        self.pushed = piece


def _read_headers(lines: _Lines) -> EmailMessage:
    kept, size = [], 0
    while (piece := lines.next()) is not None:
        data, starts = piece
        if starts and data in (b"\r\n", b"\n"):
            break
        size += len(data)
        if size > MAX_HEADER_BYTES:
            raise MessageRejected(f"a part's headers are longer than {MAX_HEADER_BYTES:,} bytes")
        kept.append(data)
    return email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(b"".join(kept))


def _boundary_of(data: bytes, starts: bool, boundaries: list[bytes]) -> tuple[bytes, bool] | None:
    """(boundary, closing) when the line is a delimiter of one of `boundaries`."""
    if not starts or not data.startswith(b"--"):
        return None
    text = data.rstrip(b" \t\r\n")
    for boundary in reversed(boundaries):
        if text == b"--" + boundary:
            return boundary, False
        if text == b"--" + boundary + b"--":
            return boundary, True
    return None


class _Base64:
    ALPHABET = bytes(range(256)).translate(None, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    def __init__(self):
        self.rest = b""

    def feed(self, data: bytes) -> bytes:
        data = self.rest + data.translate(None, self.ALPHABET)  # line ends, padding, stray bytes out
        cut = len(data) - len(data) % 4
        self.rest = data[cut:]
        return binascii.a2b_base64(data[:cut])

    def end(self) -> bytes:
        rest, self.rest = self.rest, b""
        if len(rest) < 2:
            return b""  # one sextet is no byte
        return binascii.a2b_base64(rest + b"=" * (-len(rest) % 4))


class _QuotedPrintable:
    """RFC 2045 6.7, as the email package decodes it: trailing blanks dropped, `=` at the end a
    soft break, line ends kept as they are."""

    def __init__(self):
        self.partial = b""

    def feed(self, data: bytes) -> bytes:
        data, self.partial = self.partial + data, b""
        if data.endswith(b"\n"):
            ending = b"\r\n" if data.endswith(b"\r\n") else b"\n"
            content = data[: -len(ending)].rstrip(b" \t")
            if content.endswith(b"="):
                return binascii.a2b_qp(content[:-1])
            return binascii.a2b_qp(content) + ending
        # a piece of a long line: blanks may turn out to end the line, an escape go on in the next piece
        cut = len(data.rstrip(b" \t"))
        escape = data.rfind(b"=", max(0, cut - 2), cut)
        cut = escape if escape >= 0 else cut
        self.partial = data[cut:]
        return binascii.a2b_qp(data[:cut])

    def end(self) -> bytes:
        rest, self.partial = self.partial.rstrip(b" \t"), b""
        return binascii.a2b_qp(rest[:-1] if rest.endswith(b"=") else rest)


class _Identity:
    def feed(self, data: bytes) -> bytes:
        return data

    def end(self) -> bytes:
        return b""


def _decoder(part: EmailMessage):
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    return _Base64() if cte == "base64" else _QuotedPrintable() if cte == "quoted-printable" else _Identity()


@dataclass
class _Attachment:
    name: str | None  # as sent (checked later)
    path: Path  # where its decoded bytes are


def _read_body(lines: _Lines, boundaries: list[bytes], write) -> tuple[bytes, bool] | None:
    """Hand a leaf part's body to `write` (None: skip it) up to the next delimiter, which it
    returns (None at the end of the message). The line end before a delimiter is the delimiter's."""
    held = None
    while (piece := lines.next()) is not None:
        found = _boundary_of(*piece, boundaries)
        if found:
            if held is not None and write:
                write(held[:-2] if held.endswith(b"\r\n") else held[:-1] if held.endswith(b"\n") else held)
            return found
        if held is not None and write:
            write(held)
        held = piece[0]
    if held is not None and write:
        write(held)
    return None


def _read_part(
    lines: _Lines, part: EmailMessage, boundaries: list[bytes], staging: Path, attachments: list[_Attachment]
) -> tuple[bytes, bool] | None:
    """Read one part (its headers already read) and everything inside it; returns the delimiter
    that ends it (None: the end of the message). Each leaf with a file name is an attachment,
    decoded into a file of `staging`."""
    boundary = part.get_boundary() if part.get_content_maintype() == "multipart" else None
    if boundary and len(boundaries) < MAX_DEPTH:
        mine = boundary.encode("ascii", "surrogateescape")
        inner = boundaries + [mine]
        found = _read_body(lines, inner, None)  # the preamble
        while found and found[0] == mine and not found[1]:
            found = _read_part(lines, _read_headers(lines), inner, staging, attachments)
        if found and found[0] == mine:  # closed: the epilogue, up to the enclosing delimiter
            found = _read_body(lines, boundaries, None)
        return found
    name = part.get_filename()
    if name is None:
        return _read_body(lines, boundaries, None)
    path = staging / f"attachment-{len(attachments) + 1}"
    attachments.append(_Attachment(name, path))
    decoder = _decoder(part)
    with open(path, "wb") as out:
        found = _read_body(lines, boundaries, lambda data: out.write(decoder.feed(data)))
        out.write(decoder.end())
    return found


def _read_message(path: Path, staging: Path) -> tuple[EmailMessage, list[_Attachment]]:
    """The message's top headers and its attachments, decoded into files of `staging`."""
    attachments: list[_Attachment] = []
    with open(path, "rb") as stream:
        lines = _Lines(stream)
        headers = _read_headers(lines)
        _read_part(lines, headers, [], staging, attachments)
    return headers, attachments


def save_attachments(message: MailMessage, inbox: Path) -> Path:
    """Save a message's attachments as a delivery folder in `inbox`; returns the folder. Written
    under a hidden name first, so the ingest DAG never sees it half-written. MessageRejected when
    an attachment's file name cannot name a delivery's file (nothing is left in the inbox)."""
    inbox.mkdir(parents=True, exist_ok=True)
    staging = inbox / f".mail-{_safe(message.name)}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        return _save(message, inbox, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _save(message: MailMessage, inbox: Path, staging: Path) -> Path:
    parsed, found = _read_message(message.path, staging)
    message_id = str(parsed.get("Message-ID") or message.path.stem)
    attachments: dict[str, Path] = {}
    for number, attachment in enumerate(found, 1):
        name = Path(attachment.name).name if "\0" not in attachment.name else attachment.name
        if not name or name.startswith("."):
            attachment.path.unlink()
            continue
        problem = file_name_problem(name)
        if problem:
            raise MessageRejected(
                f"attachment {number}: its file name {problem}; a delivery's files are named as its manifest names them"
            )
        attachments[name] = attachment.path
    manifest = _manifest_of(attachments.get(MANIFEST))
    delivery_id = manifest.get("delivery_id") if isinstance(manifest, dict) else None
    agency = manifest.get("agency") if isinstance(manifest, dict) else None
    if isinstance(delivery_id, str) and delivery_id and isinstance(agency, str) and agency:
        name = _safe(delivery_folder_name(agency, delivery_id))  # as the warehouse names it: (agency, delivery_id)
    elif isinstance(delivery_id, str) and delivery_id:
        name = _safe(delivery_id)
    else:
        name = f"mail-{_safe(message_id)}"
    log.info(
        "message %s (%s): attachments %s",
        message_id,
        parsed.get("Date", "no date"),
        ", ".join(sorted(attachments)) or "none",
    )

    for file_name, path in attachments.items():  # a name sent twice: the later attachment counts
        path.rename(staging / file_name)
    if isinstance(manifest, dict):
        manifest["channel"] = "EMAIL"
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    target, n = inbox / name, 1
    while target.exists():
        n += 1
        target = inbox / f"{name}.{n}"
    staging.rename(target)
    return target


def _manifest_of(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            return None  # saved as sent; the loader rejects it with the reason
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
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
    from crvs.feeds import ingest

    folder = Path(folder or settings.mail_dir())
    if not folder.is_dir():
        return []
    inbox = Path(inbox or settings.inbox_dir())
    saved = []
    with _one_collector(folder):
        for message in waiting_messages(folder):
            try:
                delivery_folder = save_attachments(message, inbox)
            except MessageRejected as err:
                log.warning("message %s: %s", message.name, reject_message(message, err)["reason"])
                continue
            if (delivery_folder / MANIFEST).is_file():
                saved.append(str(delivery_folder))
                mark_handled(message, rejected=False)
                continue
            (summary,) = ingest.ingest([delivery_folder], channel="EMAIL")  # rejected: no manifest
            log.warning("message %s: %s", message.name, summary["reason"])
            mark_handled(message, rejected=True)
    return saved


def reject_message(message: MailMessage, err: MessageRejected) -> dict:
    """Record a message that cannot become a delivery folder (quarantine.rejected_deliveries, its
    path as the source) and set it aside with the rejected ones; its summary, as ingest_mail's."""
    from crvs.feeds import ingest, loader

    summary = ingest.summarise_and_check(loader.rejected(message.path, str(err), None), message.name, channel="EMAIL")
    summary["message"] = message.name
    mark_handled(message, rejected=True)
    return summary


def ingest_mail(folder: Path, inbox: Path | None = None) -> list[dict]:
    """Read every waiting message of a mail folder: save its attachments as a delivery folder in the
    inbox, load it (the one ingest entry, crvs.feeds.ingest), then mark the message handled. Returns
    one summary per message, as the entry gives them, with the message's file name added."""
    from crvs.feeds import ingest

    inbox = Path(inbox or settings.inbox_dir())
    summaries = []
    for message in waiting_messages(Path(folder)):
        try:
            delivery_folder = save_attachments(message, inbox)
        except MessageRejected as err:
            summaries.append(reject_message(message, err))
            continue
        if not (delivery_folder / MANIFEST).is_file():
            log.warning("message %s has no manifest.json attachment", message.name)
        (summary,) = ingest.ingest([delivery_folder], channel="EMAIL")
        summary["message"] = message.name
        mark_handled(message, rejected=summary["outcome"] == "REJECTED")
        summaries.append(summary)
    return summaries
