"""What the DAG files need: the functions Airflow tasks call (one per task, each a thin call into
the package), the Asset URIs, the quarter a run reports, the inbox and RunBlocked.

DAG files stay declarative (what runs when); everything a task does lives here, where it can be
tested and called without Airflow. This module never imports Airflow, and it imports the heavy
parts of the package (loader, dbt, GX, report writers) only inside the function that needs them,
so parsing a DAG file stays cheap.

Inbox layout (settings.inbox_dir()):

    inbox/<delivery folder>/manifest.json + CSVs   waiting to be loaded
    inbox/processed/<delivery folder>/             loaded, or already loaded before (files kept)
    inbox/rejected/<delivery folder>/              refused whole; the reason is in
                                                   quarantine.rejected_deliveries and the task log

Folders whose name starts with "." or "_" are ignored, so an agency (or a mail robot) can copy a
delivery under a temporary name and rename it when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

from crvs import settings
from crvs.feeds.contract import DATASETS

log = logging.getLogger(__name__)

PROCESSED = "processed"
REJECTED = "rejected"
MANIFEST = "manifest.json"

# Asset URIs, shared by the producing and consuming DAGs (Assets are matched by name and URI).
RAW_ASSET_PREFIX = "crvs://raw/"
REPORT_MODELS_ASSET_URI = "crvs://reports/quarterly_models"

QUARTER_PATTERN = r"^[0-9]{4}Q[1-4]$"


class RunBlocked(RuntimeError):
    """A failure that retrying cannot fix (a rejected delivery, a failed quality gate).

    DAG tasks turn it into AirflowFailException, so the task fails at once, without retries,
    with this message in the log and the UI."""


# --- settings the DAG files read at parse time (cheap, no I/O) -------------------------------


def raw_asset_uri(dataset: str) -> str:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    return RAW_ASSET_PREFIX + dataset


def raw_asset_uris() -> list[str]:
    return [raw_asset_uri(name) for name in DATASETS]


def ingest_schedule(agency: str) -> str:
    return settings.agency_schedule(agency)


# --- quarters -------------------------------------------------------------------------------


def quarter_of(day: dt.date | dt.datetime) -> str:
    """The quarter label (e.g. 2024Q3) of a date or datetime (a datetime's own calendar date)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def last_complete_quarter(before: dt.date | dt.datetime) -> str:
    """The last quarter that ended before the quarter containing `before`
    (2025-10-05 → 2025Q3; 2025-01-01 → 2024Q4)."""
    year, number = before.year, (before.month - 1) // 3 + 1
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def resolve_quarter(requested: str | None, run_date: dt.date | dt.datetime | None) -> str:
    """The quarter a report run is for: the `quarter` Param when given, else the last complete
    quarter before the run's date (logical date, or run_after for asset-triggered runs).

    The figures depend only on the quarter chosen, never on when the run happens."""
    if requested not in (None, ""):
        _parse_quarter(requested)
        return requested
    if run_date is None:
        raise ValueError("no quarter given and the run has no date: pass the `quarter` parameter, e.g. 2025Q3")
    return last_complete_quarter(run_date)


# The quarterly report's clock: quarters begin at midnight in Vietnam.
REPORT_TIMEZONE = "Asia/Ho_Chi_Minh"


def quarter_for_run(
    requested: str | None, *, interval_start: dt.datetime | None, run_date: dt.date | dt.datetime | None
) -> str:
    """The quarter a report run is for: the `quarter` Param when given; for a run of the quarterly
    schedule, the quarter its data interval starts in (Vietnam time); otherwise (manual or
    asset-triggered runs) the last complete quarter before the run's date."""
    if requested in (None, "") and interval_start is not None:
        from zoneinfo import ZoneInfo

        return quarter_of(interval_start.astimezone(ZoneInfo(REPORT_TIMEZONE)))
    return resolve_quarter(requested, run_date)


def _parse_quarter(quarter: str) -> tuple[int, int]:
    if not isinstance(quarter, str) or not re.match(QUARTER_PATTERN, quarter):
        raise ValueError(f"invalid quarter {quarter!r}: expected a label like 2025Q3")
    return int(quarter[:4]), int(quarter[5])


# --- ingest ---------------------------------------------------------------------------------


# The agency whose ingest DAG takes inbox folders that name no known agency (an unreadable manifest,
# a wrong agency code): the one that runs most often, so such a folder is rejected, with its reason,
# within a day rather than sitting in the inbox unnoticed.
UNATTRIBUTED_OWNER = "MOJ"


def scan_inbox(inbox: Path | None = None, agency: str | None = None) -> list[str]:
    """Delivery folders waiting in the inbox (those with a manifest.json), oldest first; with
    `agency`, only that agency's (see inbox_agency; folders of no known agency go to
    UNATTRIBUTED_OWNER).

    Oldest = earliest `extracted_at` in the manifest, then folder name; a manifest that cannot be
    read sorts first, so the loader rejects it with its reason in the same run. Returns absolute
    paths as strings (task arguments must be JSON)."""
    inbox = Path(inbox or settings.inbox_dir())
    if not inbox.is_dir():
        log.info("inbox %s does not exist yet: nothing to load", inbox)
        return []
    waiting = [
        path
        for path in inbox.iterdir()
        if path.is_dir()
        and path.name not in (PROCESSED, REJECTED)
        and not path.name.startswith((".", "_"))
        and (path / MANIFEST).is_file()
    ]
    if agency is not None:
        waiting = [path for path in waiting if (inbox_agency(path) or UNATTRIBUTED_OWNER) == agency]
    return [str(path) for path in sorted(waiting, key=_age_key)]


def inbox_agency(folder: Path) -> str | None:
    """The agency a delivery folder belongs to: its manifest's `agency`, else the folder name's
    prefix (MOH-2025Q3-0001 → MOH); None when neither names a known agency."""
    from crvs.feeds.contract import AGENCIES

    try:
        agency = json.loads((folder / MANIFEST).read_text(encoding="utf-8-sig")).get("agency")
    except (OSError, ValueError, AttributeError):
        agency = None
    if agency in AGENCIES:
        return agency
    prefix = folder.name.split("-", 1)[0].upper()
    return prefix if prefix in AGENCIES else None


def _age_key(folder: Path) -> tuple[str, str]:
    try:
        extracted_at = json.loads((folder / MANIFEST).read_text(encoding="utf-8-sig")).get("extracted_at")
    except (OSError, ValueError, AttributeError):
        extracted_at = None
    if not isinstance(extracted_at, str):
        return ("", folder.name)
    try:
        # Compare instants, not strings: agencies write different UTC offsets.
        instant = dt.datetime.fromisoformat(extracted_at).astimezone(dt.timezone.utc).isoformat()
    except ValueError:
        instant = ""
    return (instant, folder.name)


def ingest(folders: Iterable[str | Path], channel: str = "FILE") -> list[dict[str, Any]]:
    """Load each delivery folder, then move it to inbox/processed or inbox/rejected.

    Returns one JSON-serialisable summary per delivery (ids, counts, dataset names, the rejection
    reason; no personal data). A rejected delivery does not stop the others: the caller decides
    what a rejection means (the DAG fails its run after loading the rest)."""
    from crvs.feeds.loader import ingest_path

    summaries = []
    for folder in folders:
        folder = Path(folder)
        summary = summarise(ingest_path(folder), folder.name, channel=_manifest_channel(folder) or channel)
        summary["archived_to"] = str(archive(folder, rejected=summary["outcome"] == "REJECTED"))
        log.info("%s", describe(summary))
        summaries.append(summary)
    return summaries


def _manifest_channel(folder: Path) -> str | None:
    """EMAIL for a folder saved from an e-mail (crvs.feeds.mail writes it in the manifest)."""
    try:
        channel = json.loads((folder / MANIFEST).read_text(encoding="utf-8-sig")).get("channel")
    except (OSError, ValueError, AttributeError):
        return None
    return "EMAIL" if channel == "EMAIL" else None


def summarise(result: Any, folder: str, *, channel: str) -> dict[str, Any]:
    """The JSON-serialisable summary of one delivery's IngestResult (no personal data, no secret);
    a loaded delivery's feed checks run here."""
    summary = {
        "folder": folder,
        "channel": channel,
        "agency": result.agency,
        "delivery_id": result.delivery_id,
        "outcome": result.outcome,
        "reason": result.reason,
        "rows_loaded": int(result.rows_loaded or 0),
        "rows_quarantined": int(result.rows_quarantined or 0),
        "datasets": sorted(result.datasets or []),
    }
    if result.outcome == "LOADED":
        summary["feed_checks"] = check_feed(result.agency, result.delivery_id)
    return summary


# --- the sharing platform (API channel) -----------------------------------------------------


def fetch_platform(agency: str, config: Any) -> list[dict[str, Any]]:
    """Fetch and load the platform's new deliveries of `agency` one by one in the platform's order,
    exactly as `crvs fetch` does (crvs.platform.client.fetch_agency): one that cannot be fetched or
    loaded (FAILED) holds back the later ones (HELD_BACK), which the next run lists again. Returns one
    summary per delivery, like an inbox delivery's ([] when `config` is None: the platform is not
    configured). A refused token raises RunBlocked."""
    from crvs.platform.client import PlatformAuthError, fetch_agency

    if config is None:
        log.info(
            "the sharing platform is not configured (Airflow connection crvs_platform or "
            "CRVS_PLATFORM_URL): %s's deliveries are taken from the inbox only",
            agency,
        )
        return []
    try:
        results = fetch_agency(config, agency)
    except PlatformAuthError as err:
        raise RunBlocked(str(err)) from err
    summaries = [summarise(r, str(r.delivery_id), channel="API") for r in results]
    for summary in summaries:
        log.info("%s", describe(summary))
    return summaries


def check_feed(agency: str, delivery_id: str) -> dict[str, Any]:
    """The feed checks of a delivery just loaded (crvs/quality/feeds.py), as {passed, failed}.
    A failure is logged as an error; it blocks the quarters the delivery feeds at the gate. Checks
    that cannot run at all do not undo the load: nothing is recorded, so the gate runs them again."""
    from crvs.quality.feeds import check_delivery

    try:
        result = check_delivery(agency, delivery_id)
    except Exception as err:  # the load stands; the gate retries the checks
        log.exception("feed checks of %s %s could not run", agency, delivery_id)
        return {"passed": False, "failed": [f"feed checks could not run ({err}); the gate will run them again"]}
    if result is None:
        return {"passed": True, "failed": []}
    return {"passed": result.passed, "failed": [o.describe() for o in result.failures]}


def archive(folder: Path, *, rejected: bool) -> Path:
    """Move a handled delivery folder to inbox/processed or inbox/rejected, keeping its files.

    A folder of the same name already there (the same delivery sent twice) is kept; the new one
    gets a numbered suffix."""
    target_dir = folder.parent / (REJECTED if rejected else PROCESSED)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / folder.name
    n = 1
    while target.exists():
        n += 1
        target = target_dir / f"{folder.name}.{n}"
    shutil.move(str(folder), str(target))
    return target


def describe(summary: dict[str, Any]) -> str:
    """One line per delivery, as `crvs ingest` prints it."""
    name = summary.get("delivery_id") or summary["folder"]
    if summary["outcome"] == "REJECTED":
        return f"{name}: REJECTED — {summary['reason']}"
    if summary["outcome"] == "FAILED":
        return f"{name}: NOT FETCHED — {summary['reason']}"
    if summary["outcome"] == "HELD_BACK":
        return f"{name}: HELD BACK — {summary['reason']}"
    if summary["outcome"] == "ALREADY_LOADED":
        return f"{name}: already loaded, nothing changed" + (f" ({summary['reason']})" if summary["reason"] else "")
    line = (
        f"{name}: loaded {summary['rows_loaded']} rows, quarantined {summary['rows_quarantined']} "
        f"({', '.join(summary['datasets']) or 'no datasets'})"
    )
    checks = summary.get("feed_checks")
    if checks and not checks["passed"]:
        line += f"; FEED CHECKS FAILED (blocks its quarters): {'; '.join(checks['failed'])}"
    return line


def raw_updates(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The raw Asset events a delivery's summary calls for: (uri, extra) per dataset it loaded."""
    if summary.get("outcome") != "LOADED":
        return []
    extra = {
        "delivery_agency": summary["agency"],
        "delivery_id": summary["delivery_id"],
        "delivery_channel": summary["channel"],
        "delivery_rows_loaded": summary["rows_loaded"],
        "delivery_rows_quarantined": summary["rows_quarantined"],
    }
    return [(raw_asset_uri(dataset), dict(extra)) for dataset in summary["datasets"]]


def rejections(summaries: Iterable[dict[str, Any]]) -> list[str]:
    """The rejection (and fetch failure) lines of a batch of summaries (empty when every delivery
    loaded)."""
    return [describe(s) for s in summaries if s["outcome"] in ("REJECTED", "FAILED")]


# --- transform, gate, report ---------------------------------------------------------------


def transform() -> None:
    """Build the dbt project (seeds, models, dbt tests)."""
    from crvs.transform import build

    build()


def gate(quarter: str) -> dict[str, Any]:
    """Run the quality gate of a quarter. Raises RunBlocked with the gate's summary when a blocking
    expectation fails; otherwise returns {quarter, passed, summary}."""
    from crvs.quality import GateFailed, require_pass, run_gate

    _parse_quarter(quarter)
    result = run_gate(quarter)
    try:
        require_pass(result)
    except GateFailed:
        # Said once, one check a line: the message is the task's error, its alert and its e-mail
        # (`from None`: the chain would repeat it).
        raise RunBlocked("\n".join(gate_lines(result, "the report is not written"))) from None
    log.info("%s", "\n".join(gate_lines(result)))
    return {"quarter": quarter, "passed": bool(result.passed), "summary": result.summary(), "run_id": result.run_id}


def gate_lines(result: Any, consequence: str = "") -> list[str]:
    """A gate outcome for a log or an error: the verdict once, then one line per failed check."""
    failed, warnings = result.blocking_failures, result.warnings
    if not failed and not warnings:
        return [result.summary()]
    verdict = (
        f"quality gate of {result.quarter} FAILED on {len(failed)} blocking check(s)"
        if failed
        else f"quality gate of {result.quarter} passed"
    )
    verdict += f", {len(warnings)} warning(s)" if warnings else ""
    verdict += f"; {consequence}:" if consequence else ":"
    return [
        verdict,
        *(f"  blocking: {o.describe()}" for o in failed),
        *(f"  warning: {o.describe()}" for o in warnings),
    ]


def freshness(quarter: str | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """The operational freshness check of a quarter (default: the last complete quarter before
    today). Raises RunBlocked naming every agency and dataset whose window closed without a
    delivery that counts; otherwise returns {quarter, lines}."""
    from crvs.quality import freshness as rule

    quarter = quarter or last_complete_quarter(today or dt.date.today())
    _parse_quarter(quarter)
    results = rule.check(quarter, today=today)
    lines = [r.line() for r in results]
    log.info("freshness of %s:\n%s", quarter, "\n".join(lines))
    late = rule.overdue(results)
    if late:
        raise RunBlocked(f"deliveries for {quarter} are OVERDUE: " + "; ".join(r.problem for r in late))
    return {"quarter": quarter, "lines": lines}


def report(quarter: str, out: Path | None = None, gate_run_id: str | None = None) -> str:
    """Write the quarter's report under `out` (default settings.reports_dir()); returns its folder.

    `gate_run_id`: the gate run this report rests on (the result of `gate`), used as recorded when
    it is still the quarter's latest run and nothing was loaded since; otherwise (or without it) the
    writer runs the gate itself, so a report never rests on a stale gate outcome."""
    from crvs.quality import GateFailed
    from crvs.quality.gate import recorded_run
    from crvs.report import PublicationBlocked, write_report

    _parse_quarter(quarter)
    gate_result = recorded_run(quarter, gate_run_id) if gate_run_id else None
    if gate_run_id and gate_result is None:
        log.info(
            "gate run %s of %s is no longer the latest or a delivery came since: the gate runs again",
            gate_run_id,
            quarter,
        )
    try:
        path = write_report(quarter, Path(out or settings.reports_dir()), gate=gate_result)
    except GateFailed as err:
        raise RunBlocked(f"quality gate of {quarter} failed; the report is not written.\n{err}") from None
    except PublicationBlocked as err:  # the agency edition is written; the public one is not
        raise RunBlocked(f"report of {quarter}: {err}") from None
    log.info("report of %s written to %s", quarter, path)
    return str(path)


def run_delivers(run_type: str) -> bool:
    """Whether a report run e-mails its recipients: runs of the quarterly schedule and runs someone
    triggered do; runs triggered by a rebuild of the report models only refresh the files (a quarter's
    data arrive in several deliveries, and recipients should get the quarter once, complete)."""
    return run_type not in ("asset_triggered", "asset_materialization")


def deliver(
    quarter: str, smtp: Any = None, *, force: bool = False, sharing_only: bool = False, out: Path | None = None
) -> list[str]:
    """Deliver the written report of `quarter` to its recipients (crvs.delivery): outbox, SMTP when
    `smtp` is given, a record of each file. Returns one line per recipient (no addresses, no secrets).
    Raises delivery.DeliveryFailed, with the line of each recipient that could not be sent the
    report, once every recipient was tried: the task fails and its retry sends to those only."""
    from crvs import delivery

    _parse_quarter(quarter)
    outcomes = delivery.deliver_quarter(quarter, reports=out, smtp=smtp, force=force, sharing_only=sharing_only)
    failed = [o.line() for o in outcomes if o.status == delivery.FAILED]
    if failed:
        raise delivery.DeliveryFailed(
            f"{len(failed)} of {len(outcomes)} recipient(s) not sent the {quarter} report "
            "(a retry sends to them only):\n" + "\n".join(failed)
        )
    return [o.line() for o in outcomes]
