"""Feed checks: the suites of expectations/feed_suites.py over one delivery, right after its load.

The delivery's rows are read once, set based, into its profile (crvs/quality/profile.py:
quality.delivery_profile, beside the loader's own counts); the suites then check that profile, a
few hundred rows, in GX.

Each expectation's outcome is recorded in quality.feed_checks (delivery_id, dataset, expectation,
severity, passed, observed, checked_at, agency), one row per check (a delivery is (agency, delivery_id)), so the data-quality annex (T9) and the
PDF can show the gate outcome of every delivery.

What a failure does: the delivery stays loaded (its rows passed the loader's own validation or
were quarantined; a failure here means the stored rows contradict the contract, a loader defect or
a hand edit of raw.*), the failure is logged as an error by the ingest step, and every quarter the
delivery feeds is BLOCKED by the gate's expectation "every delivery of the quarter passed its feed
checks" until a corrected delivery replaces it and the checks are re-run (`crvs gate --recheck`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from crvs import database, reference, settings
from crvs.feeds.contract import delivery_folder_name
from crvs.quality.profile import record_profile
from crvs.quality.runner import ExpectationOutcome, run_suites
from crvs.quality.suites import BLOCKING, feed_suites
from crvs.quarter import check_quarter

log = logging.getLogger(__name__)

FEED_CHECKS_DDL = """
create schema if not exists quality;
create table if not exists quality.feed_checks (
    delivery_id  text not null,
    dataset      text not null,
    expectation  text not null,
    severity     text not null,
    passed       boolean not null,
    observed     text not null,
    checked_at   timestamptz not null,
    agency       text not null,
    primary key (agency, delivery_id, dataset, expectation)
);
-- The official code lists (the dbt seeds), for the geography checks; refreshed before each run.
create table if not exists quality.valid_codes (
    level         text not null,
    code_version  text not null,
    code          text not null,
    primary key (level, code_version, code)
);
"""


@dataclass(frozen=True)
class FeedCheckResult:
    agency: str
    delivery_id: str
    outcomes: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == BLOCKING and not o.success]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity != BLOCKING and not o.success]

    def summary(self) -> str:
        if self.passed and self.warnings:
            return (
                f"feed checks of {self.agency} {self.delivery_id}: passed, {len(self.warnings)} warning(s) of"
                f" {len(self.outcomes)}: " + "; ".join(o.describe() for o in self.warnings)
            )
        if self.passed:
            return f"feed checks of {self.agency} {self.delivery_id}: all {len(self.outcomes)} passed"
        return (
            f"feed checks of {self.agency} {self.delivery_id} FAILED {len(self.failures)} of {len(self.outcomes)}: "
            + "; ".join(o.describe() for o in self.failures)
        )


# Recorded before deliveries were (agency, delivery_id): the outcomes are dropped, and the gate
# checks those deliveries again (check_unchecked_deliveries), now under their agency.
OUTDATED_FEED_CHECKS = """
select 1 from information_schema.tables t where t.table_schema = 'quality' and t.table_name = 'feed_checks'
and not exists (select 1 from information_schema.columns c where c.table_schema = 'quality'
                and c.table_name = 'feed_checks' and c.column_name = 'agency')
"""


def ensure_tables() -> None:
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        if conn.execute(OUTDATED_FEED_CHECKS).fetchone():
            conn.execute("drop table if exists quality.feed_checks")
        conn.execute(FEED_CHECKS_DDL)


def _refresh_valid_codes() -> None:
    rows = [("province", r["code_version"], r["province_code"]) for r in reference.read_seed("admin_provinces.csv")]
    rows += [("commune", r["code_version"], r["commune_code"]) for r in reference.read_seed("admin_communes.csv")]
    with database.connect(role=settings.GATE_ROLE) as conn, conn.cursor() as cur:
        cur.execute(FEED_CHECKS_DDL)
        cur.execute("lock table quality.valid_codes in exclusive mode")
        cur.execute("delete from quality.valid_codes")
        with cur.copy("copy quality.valid_codes (level, code_version, code) from stdin") as copy:
            for row in rows:
                copy.write_row(row)


def check_delivery(agency: str, delivery_id: str) -> FeedCheckResult | None:
    """Profile the delivery's loaded rows, run the feed suites over the profile and record every
    outcome (None: the delivery has no loaded files, so nothing to check). Every dataset belongs to
    one agency, so its rows are selected by delivery_id."""
    ensure_tables()
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        datasets = [
            r[0]
            for r in conn.execute(
                "select dataset from raw.delivery_files where agency = %s and delivery_id = %s and rows_loaded > 0"
                " order by dataset",
                (agency, delivery_id),
            )
        ]
    if not datasets:
        return None
    _refresh_valid_codes()
    with database.connect(role=settings.GATE_ROLE) as conn:
        record_profile(conn, agency, delivery_id, datasets)
    outcomes = run_suites(
        delivery_id,
        feed_suites(datasets),
        checkpoint=f"feed_{delivery_folder_name(agency, delivery_id)}",
        index_column=None,
    )
    result = FeedCheckResult(agency, delivery_id, outcomes)
    _record(result)
    (log.info if result.passed else log.error)("%s", result.summary())
    return result


def _record(result: FeedCheckResult) -> None:
    checked_at = datetime.now(timezone.utc)
    with database.connect(role=settings.GATE_ROLE) as conn, conn.cursor() as cur:
        cur.execute(FEED_CHECKS_DDL)
        cur.execute(
            "delete from quality.feed_checks where agency = %s and delivery_id = %s",
            (result.agency, result.delivery_id),
        )
        cur.executemany(
            "insert into quality.feed_checks (delivery_id, dataset, expectation, severity, passed, observed,"
            " checked_at, agency) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (result.delivery_id, o.table, o.name, o.severity, o.success, o.observed, checked_at, result.agency)
                for o in result.outcomes
            ],
        )


# The deliveries that fed a quarter: the one rule is the dbt model reports.rpt_quarter_deliveries
# (period overlap, or rows that change the quarter's figures), which T9 and the report's manifest
# read too. A delivery loaded since the last build is not in it yet: until then it counts for every
# quarter (it may feed any), so the gate checks it and a failed check of it blocks.
QUARTER_DELIVERIES = "reports.rpt_quarter_deliveries"


def _quarter_deliveries(quarter: str) -> str:
    """SQL: the (agency, delivery_id) that fed the quarter, and those loaded since the last build.
    The quarter is validated before it is quoted."""
    return (
        f"select agency, delivery_id from {QUARTER_DELIVERIES} where quarter = '{check_quarter(quarter)}' "
        f"union select d.agency, d.delivery_id from raw.deliveries d where not exists (select 1 from "
        f"{QUARTER_DELIVERIES} b where b.agency = d.agency and b.delivery_id = d.delivery_id)"
    )


def check_unchecked_deliveries(quarter: str, recheck: bool = False) -> list[FeedCheckResult]:
    """Feed-check the quarter's deliveries that have no recorded checks (loaded before the checks
    existed, or whose check was interrupted, or loaded without them); every one of them with
    `recheck`. Before the first dbt build every loaded delivery is the quarter's."""
    ensure_tables()
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        if conn.execute("select to_regclass('raw.deliveries') is null").fetchone()[0]:
            return []
        built = conn.execute("select to_regclass(%s) is not null", (QUARTER_DELIVERIES,)).fetchone()[0]
        fed = _quarter_deliveries(quarter) if built else "select agency, delivery_id from raw.deliveries"
        todo = conn.execute(
            f"select q.agency, q.delivery_id from ({fed}) q "
            "join raw.deliveries d on d.agency = q.agency and d.delivery_id = q.delivery_id "
            + (
                ""
                if recheck
                else "where not exists (select 1 from quality.feed_checks c"
                " where c.agency = d.agency and c.delivery_id = d.delivery_id) "
            )
            + "order by d.extracted_at, d.agency, d.delivery_id"
        ).fetchall()
    return [r for r in (check_delivery(agency, delivery_id) for agency, delivery_id in todo) if r is not None]


def failed_checks_query(quarter: str) -> str:
    """The quarter's deliveries' failed blocking feed checks (the gate's suite reads this)."""
    return (
        f"select c.delivery_id, c.dataset, c.expectation, c.observed from ({_quarter_deliveries(quarter)}) q "
        f"join quality.feed_checks c on c.agency = q.agency and c.delivery_id = q.delivery_id "
        f"where c.severity = '{BLOCKING}' and not c.passed"
    )


PASSED, FAILED, NOT_CHECKED = "PASSED", "FAILED", "NOT CHECKED"


def delivery_outcomes(deliveries: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The feed-check outcome of each (agency, delivery_id), for the data-quality annex (T9) and the
    PDF to show beside the load counts: PASSED, FAILED (with the failed checks) or NOT CHECKED."""
    ensure_tables()
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        rows = conn.execute(
            "select agency, delivery_id, bool_and(passed), "
            "string_agg(dataset || ': ' || expectation, '; ' order by dataset, expectation) filter (where not passed) "
            "from quality.feed_checks where (agency, delivery_id) in (select * from unnest(%s::text[], %s::text[]))"
            " and severity = %s group by agency, delivery_id",
            ([a for a, _ in deliveries], [d for _, d in deliveries], BLOCKING),
        ).fetchall()
    found = {(a, d): PASSED if ok else f"{FAILED}: {failed}" for a, d, ok, failed in rows}
    return {key: found.get(key, NOT_CHECKED) for key in deliveries}
