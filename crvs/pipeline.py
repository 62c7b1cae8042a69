"""The task wrappers: one function per DAG task that is not ingest (transform, gate, freshness,
report, deliver), each a thin call into the package that DAG tasks, the command line and tests call
alike, without Airflow. Each imports the heavy parts (dbt, GX, report writers) only inside itself,
so parsing a DAG file stays cheap. A failure that retrying cannot fix raises RunBlocked.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from crvs import settings
from crvs.errors import RunBlocked
from crvs.schedule import last_complete_quarter, parse_quarter

log = logging.getLogger(__name__)

__all__ = ["RunBlocked", "deliver", "freshness", "gate", "gate_lines", "report", "transform"]


def transform() -> None:
    """Build the dbt project (seeds, models, dbt tests)."""
    from crvs.transform import build

    build()


def gate(quarter: str) -> dict[str, Any]:
    """Run the quality gate of a quarter. Raises RunBlocked with the gate's summary when a blocking
    expectation fails; otherwise returns {quarter, passed, summary}."""
    from crvs.quality import GateFailed, require_pass, run_gate

    parse_quarter(quarter)
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
    parse_quarter(quarter)
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

    parse_quarter(quarter)
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


def deliver(
    quarter: str, smtp: Any = None, *, force: bool = False, sharing_only: bool = False, out: Path | None = None
) -> list[str]:
    """Deliver the written report of `quarter` to its recipients (crvs.delivery): outbox, SMTP when
    `smtp` is given, a record of each file. Returns one line per recipient (no addresses, no secrets).
    Raises delivery.DeliveryFailed, with the line of each recipient that could not be sent the
    report, once every recipient was tried: the task fails and its retry sends to those only."""
    from crvs import delivery

    parse_quarter(quarter)
    outcomes = delivery.deliver_quarter(quarter, reports=out, smtp=smtp, force=force, sharing_only=sharing_only)
    failed = [o.line() for o in outcomes if o.status == delivery.FAILED]
    if failed:
        raise delivery.DeliveryFailed(
            f"{len(failed)} of {len(outcomes)} recipient(s) not sent the {quarter} report "
            "(a retry sends to them only):\n" + "\n".join(failed)
        )
    return [o.line() for o in outcomes]
