"""The quarterly report: report models → (disclosure control) → CSV + XLSX per audience, the public
PDF → manifest.

`write_report(quarter, out)` refuses to write anything unless the quarter's gate passed. It reads the
reports.* models only (the tables of REPORT_TABLES and the PDF's chart models, plus
rpt_quarter_deliveries and rpt_quarter_rejected_deliveries for the manifest's deliveries used and
refused), builds the whole quarter folder in a temporary folder beside it and moves it into place at
the end, so a failure never leaves half a report and a re-run replaces the old one whole.

The public edition is protected over all its tables and the PDF's charts together
(`disclosure.protect_quarter`), and published only when the black-box disclosure audit
(`crvs.audit`) passes on its files as written, with the texts of the manifest that reach the public.
A failed audit (or a protection that cannot be found) leaves the public edition out: the agency
edition and the manifest are still put in place, then PublicationBlocked is raised naming the tables
and the kinds of finding, never a value.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from psycopg import sql
from psycopg.rows import dict_row

from crvs import audit, database, settings
from crvs.quality import GateFailed, GateResult, run_gate
from crvs.quality.feeds import delivery_outcomes
from crvs.quarter import check_quarter
from crvs.report import disclosure, labels, pdf_tables, public_text
from crvs.report.chart_tables import CHART_TABLES
from crvs.report.formats import ReportError, typed_rows, write_csv, write_xlsx
from crvs.report.pdf import PdfInputs, write_pdf
from crvs.report.quality_vi import quality_section
from crvs.report.tables import REPORT_TABLES, ReportTable

log = logging.getLogger(__name__)

REPORT_SCHEMA = "reports"
AUDIENCES = ("agency", "public")


def write_report(quarter: str, out: Path, gate: GateResult | None = None) -> Path:
    """Write {out}/{quarter}/ (agency/, public/, manifest.json) and return that folder.

    Runs the gate when `gate` is not given; raises GateFailed, writing nothing, when it did not pass.
    """
    check_quarter(quarter)
    gate = gate or run_gate(quarter)
    if gate.quarter != quarter:
        raise ValueError(f"the gate result is for {gate.quarter}, not {quarter}")
    if not gate.passed:
        raise GateFailed(gate.summary())

    with database.connect(role=settings.GATE_ROLE) as conn:
        tables = [(table, read_model(conn, table, quarter)) for table in REPORT_TABLES]
        deliveries = read_deliveries(conn, quarter)
        rejected = read_rejected_deliveries(conn, quarter)
        chart_rows = read_chart_models(conn, quarter)

    out = Path(out)
    if (out / quarter).exists() and not (out / quarter).is_dir():
        raise ReportError(f"{out / quarter} is a file, not a report folder: move it away, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    made_at = datetime.now(timezone.utc).replace(microsecond=0)
    blocked, control = None, {}
    with _building(out, quarter) as building:
        public_gate = {
            "public_summary": gate_texts(gate, "public")[0],
            "public_warnings": public_text.public_warnings(gate),
            "public_summary_vi": quality_section(gate, "public").front_text,
        }
        files = _write_edition(building, quarter, "agency", tables, gate, rejected=rejected)
        try:
            protected = disclosure.protect_quarter(
                tables + [(t, chart_rows[t.code]) for t in CHART_TABLES if t.code in chart_rows]
            )
            control["loss"] = [loss.to_json() for loss in protected.loss.values()]
            published = [(table, protected.published[table.code]) for table, _ in tables]
            charts = {t.code: protected.published[t.code] for t in CHART_TABLES if t.code in chart_rows}
            public_files = _write_edition(
                building,
                quarter,
                "public",
                published,
                gate,
                pdf=pdf_inputs(quarter, published, charts, gate, deliveries, made_at),
            )
            control["audit"] = audit_public(building / "public", public_gate)
            files += public_files
        except disclosure.PublicationBlocked as err:
            shutil.rmtree(building / "public", ignore_errors=True)
            blocked = err
            control["blocked"] = str(err)
        manifest = {
            "quarter": quarter,
            "generated_at": made_at.isoformat(timespec="seconds"),
            "gate": {
                "passed": gate.passed,
                "run_id": gate.run_id,
                "run_at": gate.run_at.isoformat(),
                # The detail is for the agencies; the public wording is what public files carry.
                "summary": gate.summary(),
                "warnings": [o.describe() for o in gate.warnings],
                # Blocking findings a statistician accepted for the quarter: who, when, why, what was seen.
                "accepted": gate.to_json()["accepted"],
                "findings": gate.findings,
                **public_gate,
            },
            # The public edition's information loss per table (C1–C3: the PDF's charts) and its audit.
            "disclosure_control": control,
            "deliveries": deliveries,
            "rejected_deliveries": rejected,
            "files": files,
        }
        (building / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        target = _move_into_place(building, out / quarter)
    if blocked is not None:
        raise blocked
    return target


# A report is built in a hidden folder beside its place, `.{quarter}-building-XXXX`, and held by an
# exclusive lock on `.{quarter}-building-XXXX.lock` while it is built. A build that was killed
# leaves both; the next build of the quarter removes every such folder whose lock it can take (its
# builder is gone), or, without a lock file (made by an older version), one older than a day.
STALE_WITHOUT_LOCK = 24 * 3600


@contextlib.contextmanager
def _building(out: Path, quarter: str):
    _remove_stale_builds(out, quarter)
    building = Path(tempfile.mkdtemp(prefix=f".{quarter}-building-", dir=out))
    lock_path = building.with_name(building.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield building
        finally:
            shutil.rmtree(building, ignore_errors=True)  # moved into place, or the build failed
            lock_path.unlink(missing_ok=True)


def _remove_stale_builds(out: Path, quarter: str) -> None:
    for folder in out.glob(f".{quarter}-building-*"):
        if folder.suffix == ".lock" or not folder.is_dir() or folder.is_symlink():
            continue
        lock_path = folder.with_name(folder.name + ".lock")
        try:
            if not lock_path.exists():
                if time.time() - folder.stat().st_mtime > STALE_WITHOUT_LOCK:
                    shutil.rmtree(folder)
                continue
            with open(lock_path, "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # being built right now
                shutil.rmtree(folder, ignore_errors=True)
                lock_path.unlink(missing_ok=True)
            log.info("removed %s, left by a report build that did not finish", folder.name)
        except FileNotFoundError:
            continue  # its own builder just finished with it


def audit_public(folder: Path, public_gate: dict) -> dict:
    """Run the disclosure audit on the public edition as written, with the manifest's texts that go
    to the public; raise PublicationBlocked (tables and kinds of finding, no value) when it fails."""
    result = audit.audit_public_edition(
        folder, extra_texts={"manifest (public gate)": json.dumps(public_gate, ensure_ascii=False)}
    )
    if not result.passed:
        raise disclosure.PublicationBlocked(blocked_line(result.findings))
    return {
        "passed": True,
        "hidden_counts": sum(s.hidden for s in result.tables.values()),
        "seconds": round(result.seconds, 1),
    }


def loss_lines(folder: Path) -> list[str]:
    """The public edition's information loss as the manifest of `folder` records it, one line a table."""
    control = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8")).get("disclosure_control", {})
    lines = [f"disclosure control: {disclosure.Loss.from_json(entry).line()}" for entry in control.get("loss", [])]
    if "audit" in control:
        lines.append(
            f"disclosure audit passed ({control['audit']['hidden_counts']} hidden counts, "
            f"{control['audit']['seconds']} s)"
        )
    return lines


def blocked_line(findings) -> str:
    """One line naming what the audit found, by table and kind of finding, with the columns of the
    cells concerned: no value, no row key."""
    found: dict[tuple[str, str], set[str]] = {}
    for f in findings:
        column = f.where.split()[-1] if f.kind in ("range", "primary") else ""
        found.setdefault((f.table, f.kind), set()).add(column)
    parts = [
        f"{table} {kind}" + (f" ({', '.join(sorted(c for c in columns if c))})" if any(columns) else "")
        for (table, kind), columns in sorted(found.items())
    ]
    return (
        f"the disclosure audit refused the public edition ({len(findings)} finding(s): {'; '.join(parts)}); "
        "nothing public was written"
    )


def read_model(conn, table: ReportTable, quarter: str) -> list[dict]:
    """The quarter's rows of `reports.<model>`, the report's columns only, in the table's order."""
    query = sql.SQL("select {columns} from {model} where quarter = %s order by {order}").format(
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names),
        model=sql.Identifier(REPORT_SCHEMA, table.model),
        order=sql.SQL(table.order_by),
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (quarter,)).fetchall()


def read_chart_models(conn, quarter: str) -> dict[str, list[dict]]:
    """The chart-only models' rows of the quarter, by chart code; a model not built yet is left out
    (the PDF then goes without that chart)."""
    found = {}
    for table in CHART_TABLES:
        exists = conn.execute("select to_regclass(%s)", (f"{REPORT_SCHEMA}.{table.model}",)).fetchone()[0]
        if exists is not None:
            found[table.code] = read_model(conn, table, quarter)
    return found


DELIVERIES_MODEL, REJECTED_MODEL = "rpt_quarter_deliveries", "rpt_quarter_rejected_deliveries"


def read_deliveries(conn, quarter: str) -> list[dict]:
    """The deliveries that fed the quarter (the rule is the model rpt_quarter_deliveries': period
    overlap, or rows that change the quarter's figures), each with how it fed the quarter, its
    feed-check outcome and its files' counts (T9's, and the rows that bear on the quarter)."""
    rows = _read_report_model(conn, DELIVERIES_MODEL, quarter, "agency, extracted_at, delivery_id, dataset")
    deliveries: dict[tuple[str, str], dict] = {}
    for r in rows:
        d = deliveries.setdefault(
            (r["agency"], r["delivery_id"]),
            {
                "delivery_id": r["delivery_id"],
                "agency": r["agency"],
                "channel": r["channel"],
                "extracted_at": r["extracted_at"].astimezone(timezone.utc).isoformat(),
                "period_start": r["period_start"].isoformat(),
                "period_end": r["period_end"].isoformat(),
                "fed_by": r["fed_by"],
                "datasets": [],
            },
        )
        d["datasets"].append(
            {
                k: r[k]
                for k in (
                    "dataset",
                    "rows_received",
                    "rows_loaded",
                    "rows_rejected",
                    "rows_of_quarter",
                    "top_rejection_reason",
                )
            }
        )
    # The gate outcome of each delivery (its feed checks) goes beside it: T9's columns are fixed by
    # report.md, so the manifest and the PDF's quality annex carry it.
    checks = delivery_outcomes(list(deliveries))
    return [{**d, "feed_checks": checks[key]} for key, d in deliveries.items()]


def read_rejected_deliveries(conn, quarter: str) -> list[dict]:
    """The deliveries refused whole whose manifest's period overlaps the quarter, with the reason."""
    return [
        {
            "agency": r["agency"],
            "delivery_id": r["delivery_id"],
            "channel": r["channel"],
            "extracted_at": r["extracted_at"],
            "period_start": r["period_start"].isoformat(),
            "period_end": r["period_end"].isoformat(),
            "rejected_at": r["rejected_at"].isoformat(),
            "reason": r["reason"],
            "delivery_loaded": r["delivery_loaded"],
        }
        for r in _read_report_model(conn, REJECTED_MODEL, quarter, "rejected_at, rejection_number")
    ]


def _read_report_model(conn, model: str, quarter: str, order_by: str) -> list[dict]:
    if conn.execute("select to_regclass(%s)", (f"{REPORT_SCHEMA}.{model}",)).fetchone()[0] is None:
        raise ReportError(f"{REPORT_SCHEMA}.{model} does not exist: run `crvs build` first")
    query = sql.SQL("select * from {model} where quarter = %s order by {order}").format(
        model=sql.Identifier(REPORT_SCHEMA, model), order=sql.SQL(order_by)
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (quarter,)).fetchall()


def rejected_lines(rejected: list[dict]) -> list[str]:
    """The agency edition's account of each refused delivery of the quarter: which, when, why."""
    return [
        f"{r['agency'] or '?'} {r['delivery_id'] or '(no valid delivery_id)'} (period {r['period_start']} – "
        f"{r['period_end']}), refused {r['rejected_at']}: {r['reason']}"
        for r in rejected
    ]


NOTES_COMMON = [
    ("Empty cell", "", "not computable: the denominator is zero or not available"),
    ("Percentages", "", "one decimal place; rates and ratios likewise"),
    (
        "Counting period",
        "",
        "T1–T7 count registrations by registration date; T8 counts events by event date; T10 counts the events "
        "of earlier quarters whose time limit has run out by the quarter's end (see its event_quarter)",
    ),
    (
        "Geography",
        "",
        "the 34 provinces of the 2025 list (2-digit codes), older codes mapped through the official "
        "63→34 crosswalk; regions are the six socio-economic regions; VN = the whole country",
    ),
]
NOTES_BY_AUDIENCE = {
    "agency": [
        ("Edition", "agency", "the figures as computed, for the ministries entitled to them; not for publication"),
    ],
    "public": [
        ("Edition", "public", "with statistical disclosure control"),
        (
            "Symbol x",
            "",
            f"suppressed: a count from 1 to {disclosure.PRIMARY_MAX}, a cell hidden so that such a count "
            "cannot be recovered by subtraction from a total, or a rate whose numerator is below "
            f"{disclosure.RATE_MIN_NUMERATOR} or whose count is hidden. Zero is published.",
        ),
    ],
}
TITLE_EN = "Civil registration and vital statistics: quarterly report"
TITLE_VI = "Thống kê hộ tịch và thống kê sinh tử: báo cáo quý"


def cover_lines(
    quarter: str, audience: str, gate_summary: str, recipient: str | None = None, quality_vi: str = ""
) -> list[tuple[str, str]]:
    """The workbook's cover: title, then label/value facts (the contents are added from the tables);
    `quality_vi`, the gate's outcome in plain Vietnamese (crvs/report/quality_vi.py)."""
    lines = [(TITLE_EN, TITLE_VI), ("Quarter", quarter), ("Edition", NOTES_BY_AUDIENCE[audience][0][2])]
    if recipient:
        lines.append(("Prepared for", recipient))
    lines += [
        ("Producer", "Ministry of Justice, civil-status statistics (CRVS statistics warehouse)"),
        ("Sources", "MOJ civil-status registrations, MOH health-facility notifications, GSO population and rates"),
        ("Quality gate", gate_summary),
        *([("Kiểm tra chất lượng", quality_vi)] if quality_vi else []),
        ("Notes", "symbols, definitions and quality warnings are on the Notes sheet"),
    ]
    return lines


def notes_lines(
    quarter: str,
    audience: str,
    tables: list[ReportTable],
    warnings: list[str],
    accepted: list[str] = (),
    rejected: list[str] = (),
    meanings: list[str] = (),
) -> list[tuple[str, ...]]:
    """The notes sheet: symbols, conventions, the quality gate's warnings and accepted findings (and
    `meanings`, what they mean in Vietnamese), the refused deliveries of the quarter (agency
    edition), every column's definition."""
    lines = [("Notes", "", ""), ("Quarter", quarter, "")]
    lines += NOTES_BY_AUDIENCE[audience] + NOTES_COMMON
    lines += [("", "", ""), ("Quality warnings", "", "")]
    lines += [("Warning", "", w) for w in warnings] or [("Warning", "", "none: every check of the gate was met")]
    if accepted:
        lines += [("", "", ""), ("Accepted findings", "", "blocking checks a statistician accepted for this quarter")]
        lines += [("Accepted", "", a) for a in accepted]
    if meanings:
        lines += [("", "", ""), ("Ý nghĩa (tiếng Việt)", "", "")]
        lines += [("Ý nghĩa", "", m) for m in meanings]
    if rejected:
        lines += [
            ("", "", ""),
            (
                "Rejected deliveries",
                "",
                "deliveries for the quarter's period refused whole; none of their rows is in the figures",
            ),
        ]
        lines += [("Rejected", "", r) for r in rejected]
    lines += [("", "", ""), ("Sheet", "Column", "Definition", "Tên (tiếng Việt)")]
    for table in tables:
        lines.append((table.sheet_name, "", table.title, labels.title_vi(table.code)))
        lines += [(table.sheet_name, c.name, c.definition, labels.column_vi(c.name)) for c in table.columns]
    return lines


def accepted_lines(gate: GateResult) -> list[str]:
    """The agency edition's account of each accepted blocking finding: the check and what it saw,
    who accepted it, when and why."""
    return [f"{o.describe()} — {a.line()}" for o, a in gate.accepted]


def gate_texts(gate: GateResult, audience: str, where: str = "the Notes") -> tuple[str, list[str]]:
    """The gate's verdict line and warnings as `audience` may read them: the agencies get the
    findings with their values, the public their wording without values (public_text)."""
    if audience == "agency":
        return gate.summary(), [o.describe() for o in gate.warnings]
    return (
        public_text.public_gate_line(gate.quarter, gate.passed, bool(gate.warnings or gate.accepted), where),
        [w["text"] for w in public_text.public_warnings(gate)],
    )


def _write_edition(
    root: Path,
    quarter: str,
    audience: str,
    tables: list[tuple[ReportTable, list[dict]]],
    gate: GateResult,
    pdf: PdfInputs | None = None,
    rejected: list[dict] = (),
) -> list[dict]:
    """One edition's CSVs and workbook (and, given its inputs, the PDF): `tables` are the rows to
    write (the public edition's protected), `rejected` the refused deliveries the agency notes list;
    returns the files' manifest entries."""
    files = []
    gate_line, warnings = gate_texts(gate, audience)
    quality = quality_section(gate, audience)
    folder = root / audience
    folder.mkdir()
    sheets = []
    for table, rows in tables:
        typed = typed_rows(table, rows)
        write_csv(folder / table.csv_name, table, typed)
        entry = {"path": f"{audience}/{table.csv_name}", "rows": len(typed)}
        if audience == "public":
            entry["suppressed_cells"] = sum(v == disclosure.SUPPRESSED for row in typed for v in row)
        files.append(entry)
        sheets.append((table, typed))
    workbook = f"crvs_{quarter}_{audience}.xlsx"
    write_xlsx(
        folder / workbook,
        quarter,
        cover_lines(quarter, audience, gate_line, quality_vi=quality.front_text),
        notes_lines(
            quarter,
            audience,
            [t for t, _ in tables],
            warnings,
            accepted_lines(gate) if audience == "agency" else (),
            rejected_lines(rejected) if audience == "agency" else (),
            quality.accepted + quality.warnings,
        ),
        sheets,
    )
    files.append(
        {
            "path": f"{audience}/{workbook}",
            "rows": sum(len(rows) for _, rows in sheets),
            "sheets": {table.sheet_name: len(rows) for table, rows in sheets},
        }
    )
    if pdf is not None:
        pdf_name = f"crvs_{quarter}_report.pdf"
        pages = write_pdf(folder / pdf_name, pdf)
        files.append({"path": f"{audience}/{pdf_name}", "rows": sum(len(rows) for _, rows in sheets), "pages": pages})
    for entry in files:
        entry["sha256"] = hashlib.sha256((root / entry["path"]).read_bytes()).hexdigest()
    return files


def pdf_inputs(
    quarter: str,
    published_tables: list[tuple[ReportTable, list[dict]]],
    charts: dict[str, list[dict]],
    gate: GateResult,
    deliveries: list[dict],
    made_at: datetime | None = None,
) -> PdfInputs:
    """What the public PDF shows: the published tables, the charts' rows protected with them (by
    chart code), names from the code lists, and the gate's outcome in plain Vietnamese (public wording)."""
    names = pdf_tables.names()  # the seeds' province and region names
    return PdfInputs(
        quarter=quarter,
        tables=published_tables,
        charts=charts,
        province_names=names["province_code"],
        region_names=names["region_code"],
        quality=quality_section(gate, "public"),
        deliveries=deliveries,
        made_at=made_at,
    )


def _move_into_place(building: Path, target: Path) -> Path:
    """Replace `target` by `building` with two renames, so readers see the old report or the new one."""
    previous = None
    if target.exists():
        previous = target.with_name(f".{target.name}-previous-{building.name}")
        target.rename(previous)
    try:
        building.rename(target)
    except BaseException:
        if previous is not None:
            previous.rename(target)
        raise
    if previous is not None:
        shutil.rmtree(previous)
    return target
