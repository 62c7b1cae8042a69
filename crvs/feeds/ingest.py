"""The one ingest entry: every channel (the inbox's files, e-mail, the sharing platform) hands its
delivery folders here, from the DAGs and the command line alike. Each delivery is loaded
(crvs.feeds.loader), its feed checks run (crvs/quality/feeds.py), and an inbox folder is moved to
inbox/processed or inbox/rejected; the caller gets one JSON-serialisable summary per delivery
(ids, counts, dataset names, the rejection reason; no personal data, no secret).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

from crvs.errors import RunBlocked
from crvs.feeds import inbox

log = logging.getLogger(__name__)


def ingest(folders: Iterable[str | Path], channel: str = "FILE", *, archive: bool = True) -> list[dict[str, Any]]:
    """Load each delivery folder, then (with `archive`) move it to inbox/processed or inbox/rejected.

    Returns one summary per delivery. A rejected delivery does not stop the others: the caller
    decides what a rejection means (the DAG fails its run after loading the rest)."""
    return [load_folder(folder, channel, archive=archive)[1] for folder in folders]


def load_folder(folder: str | Path, channel: str = "FILE", *, archive: bool = True) -> tuple[Any, dict[str, Any]]:
    """One delivery folder through the entry: the loader's IngestResult and its summary."""
    from crvs.feeds.loader import ingest_path

    folder = Path(folder)
    result = ingest_path(folder)
    summary = summarise_and_check(result, folder.name, channel=inbox.manifest_channel(folder) or channel)
    if archive:
        summary["archived_to"] = str(inbox.archive(folder, rejected=summary["outcome"] == "REJECTED"))
    log.info("%s", describe(summary))
    return result, summary


def summarise_and_check(result: Any, folder: str, *, channel: str) -> dict[str, Any]:
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
    summaries = [summarise_and_check(r, str(r.delivery_id), channel="API") for r in results]
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


def require_loaded(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary of a delivery that loaded (or was loaded before); raises RunBlocked for a
    rejected one (retrying cannot fix it) and RuntimeError for one the platform could not serve
    (a retry later may: the spool resumes)."""
    if summary["outcome"] == "REJECTED":
        raise RunBlocked(describe(summary))
    if summary["outcome"] == "FAILED":
        raise RuntimeError(describe(summary))
    return summary


def require_all_loaded(summaries: Iterable[dict[str, Any]]) -> None:
    """Raises RunBlocked with one line per rejected (or unfetched) delivery of the batch."""
    problems = [describe(s) for s in summaries if s["outcome"] in ("REJECTED", "FAILED")]
    if problems:
        raise RunBlocked("\n".join(problems))
