"""Delivering a written quarterly report: outbox, SMTP, and a record of who received what.

For each recipient of config/recipients.toml (settings.recipients_file()):

1. choose its files from `{reports}/{quarter}/`: its audience's workbook (or, when it may receive
   only some tables, a workbook of those sheets made from the published CSVs), the public PDF when
   `pdf`, the CSVs when `csv`, and a manifest of exactly these files with their sha256;
2. write them and the e-mail (`message.eml`) to `{outbox}/{quarter}/{recipient}/`;
3. send the e-mail by SMTP when a server is configured (the Airflow connection `crvs_smtp` in the
   DAG, CRVS_SMTP_URL on the command line); without one, log loudly that nothing was sent;
4. record every file in `delivery.deliveries` (quarter, recipient, audience, file, sha256, when,
   channel, message id, status) and one JSON line per recipient in `{outbox}/deliveries.jsonl`.

A quarter already e-mailed to a recipient is not e-mailed again unless `force=True`; when its files
changed since (a rebuilt report) the log says so. A recipient the SMTP server could not be given
the message for (connection refused, a timeout, TLS, login or address refused) is FAILED, with the
reason recorded and one line; the others are still tried, and a later run (the report DAG's retry,
or `crvs deliver` again) sends only to those not yet SENT.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import shutil
import smtplib
import socket
import ssl
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from crvs import database, settings
from crvs.quarter import check_quarter, label_vi
from crvs.report import labels
from crvs.report.disclosure import SUPPRESSED
from crvs.report.formats import read_csv_rows, write_xlsx
from crvs.report.tables import REPORT_TABLES, ReportTable
from crvs.report.writer import AUDIENCES, cover_lines, notes_lines

log = logging.getLogger(__name__)

SCHEMA = "delivery"
SENT, NOT_SENT, ALREADY_SENT, FAILED = "SENT", "NOT_SENT", "ALREADY_SENT", "FAILED"
# The tables report.md defines (T1-T9) and those the report adds (T10, T11: crvs/report/tables.py);
# a recipient may list one the report does not hold yet (it is then skipped, with a note), but never
# anything else. "all" is every one of them: the whole workbook.
REPORT_TABLE_CODES = tuple(dict.fromkeys([*(f"T{n}" for n in range(1, 10)), *(t.code for t in REPORT_TABLES)]))
AIRFLOW_SMTP_CONN_ID = "crvs_smtp"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.deliveries (
    delivery_run_id text not null,
    quarter         text not null,
    recipient       text not null,
    audience        text not null,
    addresses       text not null,
    file            text not null,
    sha256          text not null,
    bytes           bigint not null,
    channel         text not null check (channel in ('SMTP', 'OUTBOX')),
    status          text not null constraint deliveries_status_check check (status in ('SENT', 'NOT_SENT', 'FAILED')),
    note            text,
    message_id      text,
    sent_at         timestamptz not null
);
create index if not exists deliveries_quarter_recipient on {SCHEMA}.deliveries (quarter, recipient);
"""
# Tables made before FAILED was recorded accept it from now on (looked up first: no lock when up to date).
STATUS_WITHOUT_FAILED = f"""
select 1 from pg_constraint where conrelid = '{SCHEMA}.deliveries'::regclass
and conname = 'deliveries_status_check' and pg_get_constraintdef(oid) not like '%FAILED%'
"""
ALLOW_FAILED = f"""
alter table {SCHEMA}.deliveries drop constraint deliveries_status_check;
alter table {SCHEMA}.deliveries add constraint deliveries_status_check
    check (status in ('SENT', 'NOT_SENT', 'FAILED'))
"""


def _ensure_table(conn) -> None:
    conn.execute(DDL)
    if conn.execute(STATUS_WITHOUT_FAILED).fetchone():
        conn.execute(ALLOW_FAILED)


class DeliveryError(RuntimeError):
    """The recipients file or the report folder is not what delivery needs; the message says what."""


class DeliveryFailed(RuntimeError):
    """Some recipients could not be sent the report (each recorded FAILED with its reason); a later
    run sends to them, and only to them."""


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    emails: tuple[str, ...]
    audience: str
    tables: tuple[str, ...]  # report table codes this recipient may receive
    pdf: bool = False
    csv: bool = False
    sharing: bool = False


@dataclass(frozen=True)
class Recipients:
    sender: str
    recipients: tuple[Recipient, ...]
    # Whom a recipient asks about the figures ([contact] name and email); the sender when not set.
    contact: str | None = None

    def select(self, ids: list[str] | None = None, sharing_only: bool = False) -> list[Recipient]:
        known = {r.id for r in self.recipients}
        unknown = sorted(set(ids or []) - known)
        if unknown:
            raise DeliveryError(f"unknown recipient(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return [r for r in self.recipients if (not ids or r.id in ids) and (r.sharing or not sharing_only)]


def load_recipients(path: Path | None = None) -> Recipients:
    """Read and check the recipients file; every mistake is named with the recipient and field."""
    path = Path(path or settings.recipients_file())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeliveryError(f"recipients file {path} does not exist (set CRVS_RECIPIENTS)") from None
    except tomllib.TOMLDecodeError as err:
        raise DeliveryError(f"{path}: not valid TOML: {err}") from None
    sender = data.get("sender", {}).get("from")
    if not sender or "@" not in parseaddr(sender)[1]:
        raise DeliveryError(f"{path}: [sender] from must be an e-mail address, got {sender!r}")
    recipients, seen = [], set()
    for n, entry in enumerate(data.get("recipients", []), start=1):
        where = f"{path}: recipient {n} ({entry.get('id', 'no id')})"
        rid = entry.get("id")
        if not isinstance(rid, str) or not rid.replace("-", "").replace("_", "").isalnum() or rid in seen:
            raise DeliveryError(f"{where}: id must be a unique name of letters, digits, - and _")
        seen.add(rid)
        emails = entry.get("emails")
        if not isinstance(emails, list) or not emails or any("@" not in parseaddr(e)[1] for e in emails):
            raise DeliveryError(f"{where}: emails must be a non-empty list of addresses, got {emails!r}")
        if entry.get("audience") not in AUDIENCES:
            raise DeliveryError(
                f"{where}: audience must be one of {', '.join(AUDIENCES)}, got {entry.get('audience')!r}"
            )
        tables = entry.get("tables")
        if tables == "all":
            tables = REPORT_TABLE_CODES
        if not isinstance(tables, (list, tuple)) or not tables:
            raise DeliveryError(f'{where}: tables must be "all" or a list of table codes')
        wrong = [t for t in tables if t not in REPORT_TABLE_CODES]
        if wrong:
            raise DeliveryError(
                f"{where}: unknown table code(s) {', '.join(map(str, wrong))}; "
                f"the report's tables are {', '.join(REPORT_TABLE_CODES)}"
            )
        unknown_fields = set(entry) - {"id", "name", "emails", "audience", "tables", "pdf", "csv", "sharing"}
        if unknown_fields:
            raise DeliveryError(f"{where}: unknown field(s) {', '.join(sorted(unknown_fields))}")
        recipients.append(
            Recipient(
                id=rid,
                name=str(entry.get("name") or rid),
                emails=tuple(emails),
                audience=entry["audience"],
                tables=tuple(tables),
                pdf=bool(entry.get("pdf", False)),
                csv=bool(entry.get("csv", False)),
                sharing=bool(entry.get("sharing", False)),
            )
        )
    if not recipients:
        raise DeliveryError(f"{path}: no [[recipients]]")
    return Recipients(sender=sender, recipients=tuple(recipients), contact=_contact(path, data.get("contact")))


def _contact(path: Path, entry) -> str | None:
    """[contact] name and email: the line the e-mail's readers are given to ask about the figures."""
    if entry is None:
        return None
    if not isinstance(entry, dict) or set(entry) - {"name", "email"}:
        raise DeliveryError(f"{path}: [contact] takes name and email only")
    address = entry.get("email")
    if not isinstance(address, str) or "@" not in parseaddr(address)[1]:
        raise DeliveryError(f"{path}: [contact] email must be an e-mail address, got {address!r}")
    name = str(entry.get("name") or "").strip()
    return f"{name} <{address}>" if name else address


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never printed
    use_ssl: bool = False
    starttls: bool = False
    sender: str | None = None  # overrides [sender] from when set

    def describe(self) -> str:
        return f"{'smtps' if self.use_ssl else 'smtp'}://{self.host}:{self.port}"


def smtp_from_url(url: str | None) -> Smtp | None:
    """smtp://[user:password@]host[:port][?starttls=true&from=...], or smtps:// for TLS from the start."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryError("the SMTP URL must look like smtp://user:password@host:port (or smtps://...)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return Smtp(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "smtps",
        starttls=query.get("starttls", "").lower() == "true",
        sender=query.get("from"),
    )


def smtp_from_airflow_connection(conn_id: str = AIRFLOW_SMTP_CONN_ID) -> Smtp | None:
    """The Airflow connection's SMTP server (host, port, login, password; extra: ssl, starttls,
    from_email), or None when the connection is not defined."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        conn = BaseHook.get_connection(conn_id)
    except (AirflowNotFoundException, AirflowRuntimeError) as err:
        log.warning("Airflow connection %s is not defined (%s)", conn_id, type(err).__name__)
        return None
    extra = conn.extra_dejson or {}
    use_ssl = str(extra.get("ssl", conn.conn_type == "smtps")).lower() == "true"
    return Smtp(
        host=conn.host,
        port=int(conn.port or (465 if use_ssl else 25)),
        username=conn.login or None,
        password=conn.password or None,
        use_ssl=use_ssl,
        starttls=str(extra.get("starttls", "false")).lower() == "true",
        sender=extra.get("from_email"),
    )


def _send(smtp: Smtp, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises OSError (refused, timeout, TLS) or SMTPException."""
    if smtp.use_ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, context=ssl.create_default_context(), timeout=60)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=60)
    with client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        refused = client.send_message(message)
    if refused:  # some addresses were accepted: the message went out, and must not be sent again
        log.warning(
            "%s: the server refused %d of the recipient's addresses (%s)",
            message["Message-ID"],
            len(refused),
            "; ".join(f"{code} {_text(reply)}" for code, reply in refused.values()),
        )


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def smtp_failure(smtp: Smtp, err: BaseException, addresses: tuple[str, ...]) -> str:
    """Why a message could not be handed to the server, in one line without an address or secret."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in err.recipients.values()})
        why = f"the server refused every address of the recipient (SMTP {', '.join(codes)})"
    elif isinstance(err, smtplib.SMTPAuthenticationError):
        why = f"the server refused the login (SMTP {err.smtp_code}): check the user and password"
    elif isinstance(err, smtplib.SMTPResponseException):
        why = f"the server answered SMTP {err.smtp_code}: {_text(err.smtp_error)}"
    elif isinstance(err, ConnectionRefusedError):
        why = "the server refused the connection (nothing listens there?)"
    elif isinstance(err, (TimeoutError, socket.timeout)):
        why = "no answer from the server in time"
    elif isinstance(err, ssl.SSLError):
        why = f"TLS failed ({err.reason or err})"
    else:
        why = f"{type(err).__name__}: {err}"
    for address in addresses:
        why = why.replace(address, "<address>")
    return f"not sent: {smtp.describe()}: {why}"


# --- choosing and writing a recipient's files ------------------------------------------------


@dataclass
class Outcome:
    """One recipient's delivery, as the log, the JSON line and the command line show it."""

    quarter: str
    recipient: str
    audience: str
    addresses: list[str]
    files: list[dict]  # name, sha256, bytes
    status: str  # SENT, NOT_SENT, ALREADY_SENT or FAILED (note: why)
    note: str
    message_id: str | None
    outbox: str
    at: str

    def line(self) -> str:
        names = ", ".join(f["name"] for f in self.files)
        return f"{self.quarter} → {self.recipient} ({self.audience}): {self.status} — {self.note} [{names}]"


def _report_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        raise DeliveryError(f"{folder} holds no report (no manifest.json): write it first with `crvs report`")
    return json.loads(path.read_text(encoding="utf-8"))


def recipient_tables(recipient: Recipient):
    """The report tables a recipient receives: those it may receive that the report holds."""
    return [t for t in REPORT_TABLES if t.code in recipient.tables]


def _warnings_about(tables: list[ReportTable], manifest: dict, audience: str) -> list[str]:
    """The gate's warnings a recipient may read: those about its own tables or about no report table,
    in its audience's wording (the public's carries no value: crvs/report/public_text.py).

    A warning about a table the recipient does not receive would tell it something of that table.
    """
    own = {t.model for t in tables}
    every = {t.model for t in REPORT_TABLES}
    gate = manifest["gate"]
    if audience == "public":
        return [w["text"] for w in gate.get("public_warnings", []) if w["table"] in own or w["table"] not in every]
    return [
        w for w in gate.get("warnings", []) if not (mentioned := set(re.findall(r"\brpt_\w+", w))) or mentioned <= own
    ]


def _gate_summary(manifest: dict, audience: str) -> str:
    """The gate's verdict line for `audience`: the public's without findings."""
    gate = manifest["gate"]
    if audience == "public":
        return gate.get("public_summary") or f"Gate {manifest['quarter']} {'passed' if gate['passed'] else 'failed'}"
    return gate["summary"]


def prepare_files(report: Path, recipient: Recipient, target: Path) -> list[Path]:
    """Copy or make the recipient's files in `target`; returns them, manifest last."""
    quarter = report.name
    manifest = _report_manifest(report)
    edition = report / recipient.audience
    tables = recipient_tables(recipient)
    missing = [c for c in recipient.tables if c not in {t.code for t in REPORT_TABLES}]
    files = []
    gate_line = _gate_summary(manifest, recipient.audience)
    if len(tables) == len(REPORT_TABLES):
        workbook = edition / f"crvs_{quarter}_{recipient.audience}.xlsx"
        shutil.copyfile(workbook, target / workbook.name)
        files.append(target / workbook.name)
    else:
        # Fewer tables than the report: a workbook of only those sheets, from the published CSVs,
        # so nothing the recipient may not receive is inside it.
        name = target / f"crvs_{quarter}_{recipient.audience}_{recipient.id}.xlsx"
        sheets = [(t, read_csv_rows(edition / t.csv_name, t)) for t in tables]
        warnings = _warnings_about(tables, manifest, recipient.audience)
        gate_line = f"Gate {quarter} passed" + (" with warnings about these tables: see the Notes" if warnings else "")
        write_xlsx(
            name,
            quarter,
            cover_lines(quarter, recipient.audience, gate_line, recipient.name),
            notes_lines(quarter, recipient.audience, tables, warnings),
            sheets,
        )
        files.append(name)
    if recipient.pdf:
        pdf = report / "public" / f"crvs_{quarter}_report.pdf"
        shutil.copyfile(pdf, target / pdf.name)
        files.append(target / pdf.name)
    if recipient.csv:
        for t in tables:
            shutil.copyfile(edition / t.csv_name, target / t.csv_name)
            files.append(target / t.csv_name)
    own_manifest = {
        "quarter": quarter,
        "recipient": {"id": recipient.id, "name": recipient.name, "audience": recipient.audience},
        "report_generated_at": manifest["generated_at"],
        "gate": {"passed": manifest["gate"]["passed"], "summary": gate_line},
        "tables": [t.code for t in tables],
        "tables_not_in_report_yet": missing,
        "files": [{"name": f.name, "sha256": _sha256(f), "bytes": f.stat().st_size} for f in files],
    }
    manifest_path = target / f"crvs_{quarter}_{recipient.id}_manifest.json"
    manifest_path.write_text(json.dumps(own_manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*files, manifest_path]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# What each kind of attachment is, in the e-mail's words.
_ATTACHMENT_KINDS = {
    ".xlsx": "bảng tính (mỗi biểu một trang tính, kèm trang Cover và Notes)",
    ".pdf": "báo cáo đọc được, có biểu đồ (bản công bố)",
    ".csv": "số liệu của biểu, dạng CSV cho máy đọc",
    ".json": "danh sách các tệp gửi kèm, với mã kiểm tra sha256",
}


def message_body(report: Path, recipient: Recipient, files: list[Path], contact: str) -> str:
    """The e-mail's text: what this is, the national headline figures that the recipient's edition
    publishes in the tables it receives (never a hidden cell), the gate's outcome for the agencies,
    what is attached, whom to ask. Public recipients read only figures of their public CSVs."""
    quarter = report.name
    manifest = _report_manifest(report)
    agency = recipient.audience == "agency"
    tables = recipient_tables(recipient)
    lines = [
        f"Kính gửi {recipient.name},",
        "",
        f"{labels.PRODUCER_VI} gửi báo cáo thống kê hộ tịch {label_vi(quarter)}, "
        + (
            "bản dành cho cơ quan (số liệu đầy đủ, không dùng để công bố)."
            if agency
            else "bản công bố (đã áp dụng kiểm soát công bố thống kê)."
        ),
        "",
    ]
    figures = _headline_lines(report / recipient.audience, tables)
    if figures:
        lines += ["Số liệu chính của quý (toàn quốc):", *figures, ""]
    if agency:
        warnings = _warnings_about(tables, manifest, "agency")
        accepted = len(manifest["gate"].get("accepted") or [])
        outcome = "đạt" if manifest["gate"]["passed"] else "không đạt"
        detail = [
            f"{len(warnings)} cảnh báo về các biểu gửi kèm" if warnings else "không có cảnh báo về các biểu gửi kèm"
        ]
        if accepted:
            detail.append(f"{accepted} phát hiện đã được cán bộ thống kê xem xét và chấp nhận")
        lines += [
            f"Kiểm tra chất lượng dữ liệu của quý: {outcome}; {'; '.join(detail)} "
            "(chi tiết ở trang Notes của bảng tính).",
            "",
        ]
    else:
        lines += [
            "Số liệu đã qua kiểm tra chất lượng dữ liệu; các lưu ý ở trang Notes của bảng tính và phụ lục của báo cáo.",
            "",
        ]
    lines.append("Tệp gửi kèm:")
    lines += [f"- {f.name}: {_ATTACHMENT_KINDS[f.suffix]}" for f in files]
    lines += [
        "",
        f"Liên hệ về số liệu: {contact}",
        "",
        f"{labels.PRODUCER_VI} ({labels.PRODUCER_EN}) — thư gửi tự động.",
        f"The civil registration and vital statistics report for {quarter}, {recipient.audience} edition; "
        "the attachments are listed above and in the manifest.",
    ]
    return "\n".join(lines) + "\n"


def _headline_lines(edition: Path, tables: list[ReportTable]) -> list[str]:
    """The headline figures (crvs/report/labels.py) of the tables a recipient receives, read from its
    edition's CSVs as published; a hidden or empty cell is left out."""
    held = {t.code: t for t in tables}

    def cell(code, key, value, column):
        with (edition / held[code].csv_name).open(encoding="utf-8", newline="") as f:
            return next((row[column] for row in csv.DictReader(f) if row.get(key) == value), None)

    return [
        f"- {h.label}: {text}"
        for h, text in labels.headline_values(held.__contains__, cell)
        if text not in ("—", SUPPRESSED)
    ]


def compose(
    quarter: str, recipient: Recipient, sender: str, files: list[Path], message_id: str, when: datetime, body: str
) -> EmailMessage:
    message = EmailMessage()
    message["Date"] = format_datetime(when)
    message["From"] = sender
    message["To"] = ", ".join(recipient.emails)
    message["Subject"] = (
        f"[CRVS] Báo cáo thống kê hộ tịch {label_vi(quarter)} — {quarter} ({recipient.audience} edition)"
    )
    message["Message-ID"] = message_id
    message.set_content(body)
    for f in files:
        maintype, subtype = _mime_type(f)
        message.add_attachment(f.read_bytes(), maintype=maintype, subtype=subtype, filename=f.name)
    return message


def _mime_type(path: Path) -> tuple[str, str]:
    return {
        ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ".pdf": ("application", "pdf"),
        ".csv": ("text", "csv"),
        ".json": ("application", "json"),
    }[path.suffix]


# --- the delivery ------------------------------------------------------------------------------


def deliver_quarter(
    quarter: str,
    *,
    reports: Path | None = None,
    outbox: Path | None = None,
    smtp: Smtp | None = None,
    recipient_ids: list[str] | None = None,
    sharing_only: bool = False,
    force: bool = False,
    recipients: Recipients | None = None,
) -> list[Outcome]:
    """Deliver the written report of `quarter` to the chosen recipients; returns one Outcome each."""
    check_quarter(quarter)
    recipients = recipients or load_recipients()
    report = Path(reports or settings.reports_dir()) / quarter
    _report_manifest(report)
    outbox = Path(outbox or settings.outbox_dir())
    chosen = recipients.select(recipient_ids, sharing_only)
    if smtp is None:
        log.warning(
            "NO SMTP SERVER CONFIGURED: the %s report is written to the outbox %s but NOT SENT to "
            "anyone (configure the Airflow connection %s, or CRVS_SMTP_URL for the command line)",
            quarter,
            outbox,
            AIRFLOW_SMTP_CONN_ID,
        )
    run_id = f"{quarter}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
    outcomes = []
    with database.connect(role=settings.GATE_ROLE) as conn:
        _ensure_table(conn)
        conn.commit()
        for recipient in chosen:
            outcome = _deliver_one(
                conn,
                run_id,
                quarter,
                report,
                outbox,
                recipient,
                recipients.sender,
                smtp,
                force,
                recipients.contact or recipients.sender,
            )
            level = {NOT_SENT: logging.WARNING, FAILED: logging.ERROR}.get(outcome.status, logging.INFO)
            log.log(level, "%s", outcome.line())
            outcomes.append(outcome)
            conn.commit()
    return outcomes


def _deliver_one(
    conn,
    run_id: str,
    quarter: str,
    report: Path,
    outbox: Path,
    recipient: Recipient,
    sender: str,
    smtp: Smtp | None,
    force: bool,
    contact: str,
) -> Outcome:
    folder = outbox / quarter / recipient.id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = prepare_files(report, recipient, folder)
    listed = [{"name": f.name, "sha256": _sha256(f), "bytes": f.stat().st_size} for f in files]
    sender = (smtp.sender if smtp and smtp.sender else None) or sender
    domain = parseaddr(sender)[1].rpartition("@")[2] or "crvs.invalid"
    message_id = make_msgid(idstring=f"{quarter}.{recipient.id}", domain=domain)
    now = datetime.now(timezone.utc)
    message = compose(
        quarter, recipient, sender, files, message_id, now, message_body(report, recipient, files, contact)
    )
    (folder / "message.eml").write_bytes(bytes(message))

    previous = conn.execute(
        f"select sent_at, message_id, array_agg(file || ':' || sha256 order by file) from {SCHEMA}.deliveries "
        "where quarter = %s and recipient = %s and status = 'SENT' "
        "group by delivery_run_id, sent_at, message_id order by sent_at desc limit 1",
        (quarter, recipient.id),
    ).fetchone()
    if previous and not force:
        sent_at, previous_id, previous_files = previous
        changed = sorted(previous_files) != sorted(f"{f['name']}:{f['sha256']}" for f in listed)
        note = (
            f"already e-mailed on {sent_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC ({previous_id}); "
            "not sent again (force to resend)"
        )
        if changed:
            note += "; NOTE the files changed since then (the report was rebuilt)"
        return _outcome(quarter, recipient, listed, ALREADY_SENT, note, previous_id, folder, now, outbox)

    if smtp is None:
        status, channel, note, sent_id = NOT_SENT, "OUTBOX", "not sent: no SMTP configured", None
    else:
        try:
            _send(smtp, message)
        except (OSError, smtplib.SMTPException) as err:
            status, channel, note, sent_id = FAILED, "SMTP", smtp_failure(smtp, err, recipient.emails), None
        else:
            status, channel, note, sent_id = SENT, "SMTP", f"e-mailed via {smtp.describe()}", message_id
    for f in listed:
        conn.execute(
            f"insert into {SCHEMA}.deliveries (delivery_run_id, quarter, recipient, audience, addresses, file, "
            "sha256, bytes, channel, status, note, message_id, sent_at) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                run_id,
                quarter,
                recipient.id,
                recipient.audience,
                ", ".join(recipient.emails),
                f["name"],
                f["sha256"],
                f["bytes"],
                channel,
                status,
                note,
                sent_id,
                now,
            ),
        )
    return _outcome(quarter, recipient, listed, status, note, sent_id, folder, now, outbox)


def _outcome(quarter, recipient, listed, status, note, message_id, folder, now, outbox) -> Outcome:
    outcome = Outcome(
        quarter=quarter,
        recipient=recipient.id,
        audience=recipient.audience,
        addresses=list(recipient.emails),
        files=listed,
        status=status,
        note=note,
        message_id=message_id,
        outbox=str(folder),
        at=now.isoformat(timespec="seconds"),
    )
    with (outbox / "deliveries.jsonl").open("a", encoding="utf-8") as journal:
        journal.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
    return outcome


def sharing_matrix(
    recipients: Recipients | None = None, sharing_only: bool = False
) -> list[tuple[str, str, list[str]]]:
    """Who may receive which tables: (recipient id, audience, table codes), as `crvs deliver --list` prints."""
    recipients = recipients or load_recipients()
    return [(r.id, r.audience, list(r.tables)) for r in recipients.select(sharing_only=sharing_only)]
