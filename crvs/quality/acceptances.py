"""Acceptances: a statistician's decision that a BLOCKING plausibility finding of one quarter is
true after all (a real event, an explained jump), so the report may go out with the finding named.

`crvs gate accept --quarter Q --check NAME --reason "..."` records the quarter, the check, the
reason, who (CRVS_USER, else the operating-system user) and when in quality.acceptances, with the
findings the latest gate run of the quarter showed for that check. The gate reads the quarter's
acceptances: a failed band whose check is accepted for that quarter no longer blocks, and the gate's
output, its summary, the report's manifest and the agency edition's notes name the acceptance.

Only the BLOCKING plausibility bands (suites.band_check) can be accepted — never a check that the
models' construction guarantees (totals, reconciliations, identifiers, freshness) — and an
acceptance applies to its quarter and check only. The latest acceptance of a check counts; earlier
ones stay in the table as its history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from psycopg.types.json import Jsonb

from crvs import database, settings
from crvs.quarter import check_quarter

REASON_MAX = 500

ACCEPTANCES_DDL = """
create schema if not exists quality;
create table if not exists quality.acceptances (
    acceptance_id  bigserial primary key,
    quarter        text not null,
    check_name     text not null,
    reason         text not null,
    accepted_by    text not null,
    accepted_at    timestamptz not null,
    findings       jsonb not null    -- what the latest gate run of the quarter showed for the check
);
"""


class AcceptanceRefused(ValueError):
    """The acceptance cannot be recorded; the message says why in one line."""


@dataclass(frozen=True)
class Acceptance:
    quarter: str
    check: str
    reason: str
    accepted_by: str
    accepted_at: datetime
    findings: list

    def line(self) -> str:
        return (
            f"{self.check} accepted for {self.quarter} by {self.accepted_by} "
            f"on {self.accepted_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC: {self.reason}"
        )

    def to_json(self) -> dict:
        return {**asdict(self), "accepted_at": self.accepted_at.isoformat()}


def who() -> str:
    """Who is accepting: settings.acting_user (CRVS_USER, else the OS user)."""
    return settings.acting_user()


def acceptable_checks() -> dict[str, str]:
    """The checks that may be accepted — {short name: the check as the gate names it} — read from
    the gate's suites (expectations/report_suites.py), so a band added there can be accepted at once."""
    from crvs.quality.suites import report_suites

    found = {}
    for suite in report_suites():
        for expectation in suite.expectations:
            meta = expectation.meta or {}
            if meta.get("acceptable"):
                found[meta["check"]] = f"{suite.model}: {expectation.description}"
    return found


def accept(quarter: str, check: str, reason: str, *, by: str | None = None) -> Acceptance:
    """Record the acceptance of `check` for `quarter`; raises AcceptanceRefused for a check that
    cannot be accepted or an empty or overlong reason."""
    check_quarter(quarter)
    reason = " ".join((reason or "").split())
    if not reason:
        raise AcceptanceRefused(
            'give the reason the finding is accepted (--reason "..."): it is shown in the agency edition\'s notes'
        )
    if len(reason) > REASON_MAX:
        raise AcceptanceRefused(f"the reason has {len(reason)} characters; at most {REASON_MAX}")
    checks = acceptable_checks()
    if check not in checks:
        raise AcceptanceRefused(
            f"{check!r} is not a check that can be accepted; these can: {', '.join(sorted(checks))}"
        )
    acceptance = Acceptance(
        quarter, check, reason, by or who(), datetime.now(timezone.utc), latest_findings(quarter, check)
    )
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        conn.execute(ACCEPTANCES_DDL)
        conn.execute(
            "insert into quality.acceptances (quarter, check_name, reason, accepted_by, accepted_at, findings) "
            "values (%s, %s, %s, %s, %s, %s)",
            (
                acceptance.quarter,
                acceptance.check,
                acceptance.reason,
                acceptance.accepted_by,
                acceptance.accepted_at,
                Jsonb(acceptance.findings),
            ),
        )
    return acceptance


def latest_findings(quarter: str, check: str) -> list:
    """The findings of `check` in the latest recorded gate run of the quarter ([] when it passed or
    the quarter has not been gated yet)."""
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        if conn.execute("select to_regclass('quality.gate_runs') is null").fetchone()[0]:
            return []
        row = conn.execute(
            "select coalesce(jsonb_agg(f), '[]'::jsonb) from ("
            "  select results from quality.gate_runs where quarter = %s order by run_at desc limit 1) run, "
            "  jsonb_array_elements(run.results -> 'outcomes') o, "
            "  jsonb_array_elements(coalesce(o -> 'findings', '[]'::jsonb)) f "
            "where o ->> 'check' = %s",
            (quarter, check),
        ).fetchone()
    return row[0] if row else []


def for_quarter(quarter: str) -> dict[str, Acceptance]:
    """The quarter's acceptances that count: the latest of each check."""
    check_quarter(quarter)
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        if conn.execute("select to_regclass('quality.acceptances') is null").fetchone()[0]:
            return {}
        rows = conn.execute(
            "select distinct on (check_name) quarter, check_name, reason, accepted_by, accepted_at, findings "
            "from quality.acceptances where quarter = %s order by check_name, accepted_at desc, acceptance_id desc",
            (quarter,),
        ).fetchall()
    return {r[1]: Acceptance(*r) for r in rows}
