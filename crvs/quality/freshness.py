"""Freshness: did each agency deliver the quarter within its agreed window? One rule, two users.

The rule (windows per agency in expectations/freshness.toml, or the file CRVS_FRESHNESS_CONFIG
names): for each dataset an agency owes, the deliveries that count are those extracted no later than
`window_days` after the quarter's last day (and, for MOJ and MOH, after that last day: a current
extract, not one taken while the quarter was still open); together their periods must cover the
quarter (GSO: the quarter's year). Computed only from raw.deliveries and raw.delivery_files.

- The gate's blocking expectation (`verdict_query`, a GX query asset) judges a quarter from the
  deliveries alone, never from today's date: rebuilding a past quarter next year gives the same
  verdict, because a delivery extracted after the window never counts.
- The operational check (`check`, `crvs freshness`, DAG `crvs_freshness`) adds today's date: an
  agency whose window is still open is WAITING, one whose window has closed without a counted
  delivery is OVERDUE, and that is the alert.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crvs import database, settings
from crvs.feeds.contract import DATASETS
from crvs.quarter import check_quarter, quarter_bounds

FRESH, LATE, STALE, MISSING = "FRESH", "LATE", "STALE", "MISSING"
WAITING, OVERDUE = "WAITING", "OVERDUE"


class FreshnessConfigError(ValueError):
    """The windows file is missing or wrong; the message names the file and the entry."""


@dataclass(frozen=True)
class AgencyWindow:
    agency: str
    covers: str  # "quarter" or "year"
    extracted_after_end: bool
    window_days: int
    datasets: tuple[str, ...]


@dataclass(frozen=True)
class Windows:
    timezone: str
    agencies: tuple[AgencyWindow, ...]


def config_file() -> Path:
    return settings.freshness_config()


def load_windows(path: Path | None = None) -> Windows:
    """The agreed windows, checked: every agency of the contract once, its datasets its own."""
    path = Path(path or config_file())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FreshnessConfigError(f"{path}: the freshness windows file does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise FreshnessConfigError(f"{path}: not valid TOML ({err})") from None
    timezone = raw.get("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FreshnessConfigError(f"{path}: timezone {timezone!r} is not an IANA time zone") from None
    agencies = []
    for agency, entry in (raw.get("agencies") or {}).items():
        where = f"{path}: [agencies.{agency}]"
        owed = sorted(name for name, d in DATASETS.items() if d.agency == agency)
        if not owed:
            raise FreshnessConfigError(f"{where}: {agency} is not an agency of the feed contract")
        covers = entry.get("covers")
        if covers not in ("quarter", "year"):
            raise FreshnessConfigError(f'{where}: covers must be "quarter" or "year", got {covers!r}')
        days = entry.get("window_days")
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise FreshnessConfigError(f"{where}: window_days must be a whole number of days ≥ 0, got {days!r}")
        after_end = entry.get("extracted_after_end", covers == "quarter")
        if not isinstance(after_end, bool):
            raise FreshnessConfigError(f"{where}: extracted_after_end must be true or false")
        datasets = tuple(entry.get("datasets") or owed)
        foreign = sorted(set(datasets) - set(owed))
        if foreign:
            raise FreshnessConfigError(
                f"{where}: {', '.join(foreign)} is not a dataset {agency} delivers ({', '.join(owed)})"
            )
        agencies.append(AgencyWindow(agency, covers, after_end, days, datasets))
    missing = sorted({d.agency for d in DATASETS.values()} - {a.agency for a in agencies})
    if missing:
        raise FreshnessConfigError(f"{path}: no window for {', '.join(missing)}")
    return Windows(timezone, tuple(agencies))


def _expected_rows(quarter: str, windows: Windows) -> str:
    """VALUES rows (agency, dataset, covers_from, covers_to, counted_from, deadline), checked literals."""
    first, last = quarter_bounds(quarter)
    rows = []
    for w in windows.agencies:
        covers = (first, last) if w.covers == "quarter" else (dt.date(first.year, 1, 1), dt.date(first.year, 12, 31))
        counted_from = last + dt.timedelta(days=1) if w.extracted_after_end else dt.date(1900, 1, 1)
        deadline = last + dt.timedelta(days=w.window_days)
        for dataset in w.datasets:  # names come from the contract (checked in load_windows)
            rows.append(
                f"('{w.agency}', '{dataset}', date '{covers[0]}', date '{covers[1]}', "
                f"date '{counted_from}', date '{deadline}')"
            )
    return ",\n        ".join(rows)


def verdict_query(quarter: str, windows: Windows | None = None) -> str:
    """SQL: one row per (agency, dataset) owed for the quarter with its verdict and, when it is not
    FRESH, a `problem` sentence naming the deliveries seen. Depends on the deliveries only."""
    check_quarter(quarter)
    windows = windows or load_windows()
    return f"""
with expected (agency, dataset, covers_from, covers_to, counted_from, deadline) as (
    values
        {_expected_rows(quarter, windows)}
),
received as (
    select e.agency, e.dataset, d.delivery_id, d.period_start, d.period_end,
           (d.extracted_at at time zone '{windows.timezone}')::date as extracted_on,
           e.covers_from, e.covers_to, e.counted_from, e.deadline
    from expected e
    join raw.delivery_files f on f.dataset = e.dataset
    join raw.deliveries d on d.delivery_id = f.delivery_id and d.agency = e.agency
    where d.period_start <= e.covers_to and d.period_end >= e.covers_from
),
judged as (
    select e.agency, e.dataset, e.covers_from, e.covers_to, e.counted_from, e.deadline,
        coalesce(range_agg(daterange(r.period_start, r.period_end, '[]'))
                 filter (where r.extracted_on between e.counted_from and e.deadline), '{{}}'::datemultirange)
            @> daterange(e.covers_from, e.covers_to, '[]') as covered,
        string_agg(r.delivery_id || ' (extracted ' || r.extracted_on || ')', ', '
                   order by r.extracted_on, r.delivery_id)
            filter (where r.extracted_on between e.counted_from and e.deadline) as counted,
        string_agg(r.delivery_id || ' (extracted ' || r.extracted_on || ')', ', '
                   order by r.extracted_on, r.delivery_id)
            filter (where r.extracted_on > e.deadline) as too_late,
        string_agg(r.delivery_id || ' (extracted ' || r.extracted_on || ')', ', '
                   order by r.extracted_on, r.delivery_id)
            filter (where r.extracted_on < e.counted_from) as too_early
    from expected e
    left join received r on r.agency = e.agency and r.dataset = e.dataset
    group by e.agency, e.dataset, e.covers_from, e.covers_to, e.counted_from, e.deadline
),
verdicts as (
    select *,
        case
            when covered then '{FRESH}'
            when too_late is not null then '{LATE}'
            when too_early is not null then '{STALE}'
            else '{MISSING}'
        end as verdict
    from judged
)
select agency, dataset, verdict,
    covers_from || '..' || covers_to as must_cover,
    case when counted_from > date '1900-01-01' then counted_from || '..' || deadline
         else 'by ' || deadline end as extracted_within,
    deadline,
    case verdict
        when '{FRESH}' then null
        else agency || ' ' || dataset || ' ' || lower(verdict) || ': no deliveries extracted '
            || case when counted_from > date '1900-01-01' then counted_from || '..' else 'by ' end || deadline
            || ' cover ' || covers_from || '..' || covers_to
            || coalesce('; counted: ' || counted, '')
            || coalesce('; extracted after the window: ' || too_late, '')
            || coalesce('; extracted before the quarter ended: ' || too_early, '')
    end as problem
from verdicts
order by agency, dataset
"""


@dataclass(frozen=True)
class DatasetFreshness:
    agency: str
    dataset: str
    verdict: str  # FRESH, LATE, STALE or MISSING: from the deliveries alone (the gate's verdict)
    status: str  # the operational status on `today`: FRESH, WAITING or OVERDUE
    must_cover: str
    extracted_within: str
    deadline: dt.date
    problem: str | None

    def line(self) -> str:
        text = (
            f"{self.status:8} {self.agency} {self.dataset:16} cover {self.must_cover}, "
            f"extracted {self.extracted_within}"
        )
        if self.status == WAITING:
            return text + f" — window open until {self.deadline}"
        return text + (f" — {self.problem}" if self.problem else "")


def check(quarter: str, today: dt.date | None = None, windows: Windows | None = None) -> list[DatasetFreshness]:
    """Each owed dataset's verdict for the quarter and its status on `today` (default: today in the
    windows' time zone). OVERDUE: the window has closed and the deliveries do not make it FRESH."""
    windows = windows or load_windows()
    today = today or dt.datetime.now(ZoneInfo(windows.timezone)).date()
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        if conn.execute("select to_regclass('raw.delivery_files') is null").fetchone()[0]:
            from crvs.feeds.tables import ensure_tables  # an empty warehouse: nothing delivered yet

            ensure_tables(conn)
        rows = conn.execute(verdict_query(quarter, windows)).fetchall()
    result = []
    for agency, dataset, verdict, must_cover, within, deadline, problem in rows:
        status = FRESH if verdict == FRESH else (WAITING if today <= deadline else OVERDUE)
        result.append(DatasetFreshness(agency, dataset, verdict, status, must_cover, within, deadline, problem))
    return result


def overdue(results: list[DatasetFreshness]) -> list[DatasetFreshness]:
    return [r for r in results if r.status == OVERDUE]
