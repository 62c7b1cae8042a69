"""When things run and which quarter a run is for: the agencies' ingest schedules, the quarter a
report run reports (the `quarter` Param, the quarterly schedule's data interval, or the last
complete quarter before the run's date) and whether a report run e-mails its recipients.

The figures depend only on the quarter chosen, never on when the run happens.
"""

from __future__ import annotations

import datetime as dt

from crvs import quarter as quarters
from crvs import settings
from crvs.quarter import quarter_of

QUARTER_PATTERN = quarters.PATTERN


def ingest_schedule(agency: str) -> str:
    return settings.agency_schedule(agency)


def last_complete_quarter(before: dt.date | dt.datetime) -> str:
    """The last quarter that ended before the quarter containing `before`
    (2025-10-05 → 2025Q3; 2025-01-01 → 2024Q4)."""
    return quarters.previous_quarter(quarter_of(before))


def resolve_quarter(requested: str | None, run_date: dt.date | dt.datetime | None) -> str:
    """The quarter a report run is for: the `quarter` Param when given, else the last complete
    quarter before the run's date (logical date, or run_after for asset-triggered runs).

    The figures depend only on the quarter chosen, never on when the run happens."""
    if requested not in (None, ""):
        parse_quarter(requested)
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


def parse_quarter(quarter: str) -> tuple[int, int]:
    """(year, number) of a run's quarter; the rule is crvs.quarter's, the message the run's."""
    if not quarters.is_quarter(quarter):
        raise ValueError(f"invalid quarter {quarter!r}: expected a label like 2025Q3")
    return quarters.year_and_number(quarter)


def run_delivers(run_type: str) -> bool:
    """Whether a report run e-mails its recipients: runs of the quarterly schedule and runs someone
    triggered do; runs triggered by a rebuild of the report models only refresh the files (a quarter's
    data arrive in several deliveries, and recipients should get the quarter once, complete)."""
    return run_type not in ("asset_triggered", "asset_materialization")
