"""T11, the trends (issue 17 item 2), built by dbt over three sample quarters loaded by the real loader,
against figures worked out here from the raw rows by hand-written SQL (report.md's common rules):

- current MOJ record: the highest record_version of a record_id (the latest delivery on a tie), not
  CANCELLED; counted: reg_kind NEW;
- births, deaths, marriages of a quarter: registration_date in it; on time: registration_date −
  event date ≤ 60 days (births), ≤ 15 (deaths);
- completeness (event quarter): NEW births with birth_date in the quarter registered within 60 days,
  over Σ crude_birth_rate / 1000 × population × days_in_quarter / days_in_year over every GSO area
  of the quarter's year (the nation: no crosswalk needed); deaths likewise.

Each report quarter has a row for each held quarter among the eight ending with it: 2024Q4 one,
2025Q1 two, 2025Q2 three (fewer than eight: the PDF says so, tested with the PDF).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from crvs import transform
from crvs.devtools.sample import generate_quarter
from crvs.feeds import loader

SCALE = 0.002
QUARTERS = ("2024Q4", "2025Q1", "2025Q2")

CURRENT = """
select * from (
    select distinct on (r.record_id) r.*
    from raw.{table} as r
    inner join raw.deliveries as d on d.agency = 'MOJ' and d.delivery_id = r.delivery_id
    order by r.record_id, r.record_version desc, d.extracted_at desc
) as latest
where record_status <> 'CANCELLED' and reg_kind = 'NEW'
"""


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_days(quarter: str) -> tuple[int, int]:
    year, q = int(quarter[:4]), int(quarter[-1])
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return (end - start).days, (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def one_decimal(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def by_hand(conn) -> dict[str, dict]:
    """Every figure of T11 for each held quarter, from raw.* alone."""
    figures = {
        q: {"births": 0, "births_on_time": 0, "deaths": 0, "deaths_on_time": 0, "marriages": 0} for q in QUARTERS
    }
    events = {"births": {}, "deaths": {}}  # event quarter → on-time NEW registrations
    for table, event, limit in (("moj_births", "birth_date", 60), ("moj_deaths", "death_date", 15)):
        kind = table.removeprefix("moj_")
        for registered, happened in conn.execute(
            CURRENT.format(table=table).replace("select * from (", f"select registration_date, {event} from (", 1)
        ):
            on_time = (registered - happened).days <= limit
            quarter = quarter_of(registered)
            if quarter in figures:
                figures[quarter][kind] += 1
                figures[quarter][f"{kind}_on_time"] += on_time
            if on_time:
                events[kind][quarter_of(happened)] = events[kind].get(quarter_of(happened), 0) + 1
    for (registered,) in conn.execute(
        CURRENT.format(table="moj_marriages").replace("select * from (", "select registration_date from (", 1)
    ):
        if quarter_of(registered) in figures:
            figures[quarter_of(registered)]["marriages"] += 1
    # GSO: the latest delivery's figure of each area (one delivery a year here, loaded once)
    yearly = {}
    for year, births, deaths in conn.execute(
        """
        with population as (
            select year, province_code, admin_code_version, sum(population) as population
            from raw.gso_population group by year, province_code, admin_code_version
        )
        select r.year, sum(r.crude_birth_rate / 1000 * p.population), sum(r.crude_death_rate / 1000 * p.population)
        from raw.gso_vital_rates as r
        inner join population as p using (year, province_code, admin_code_version)
        group by r.year
        """
    ):
        yearly[year] = (Decimal(births), Decimal(deaths))
    for quarter, f in figures.items():
        days, year_days = quarter_days(quarter)
        expected_births, expected_deaths = (e * days / year_days for e in yearly[int(quarter[:4])])
        f["births_on_time_pct"] = one_decimal(Decimal(100 * f["births_on_time"]) / f["births"])
        f["deaths_on_time_pct"] = one_decimal(Decimal(100 * f["deaths_on_time"]) / f["deaths"])
        f["expected_births"] = one_decimal(expected_births)
        f["expected_deaths"] = one_decimal(expected_deaths)
        f["birth_events_on_time"] = events["births"].get(quarter, 0)
        f["death_events_on_time"] = events["deaths"].get(quarter, 0)
        f["birth_completeness_pct"] = one_decimal(100 * f["birth_events_on_time"] / expected_births)
        f["death_completeness_pct"] = one_decimal(100 * f["death_events_on_time"] / expected_deaths)
    return figures


@pytest.fixture(scope="module")
def built(module_warehouse, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    for quarter in QUARTERS:
        for folder in generate_quarter(quarter, SCALE, inbox / quarter):
            outcome = loader.ingest_path(folder).outcome
            assert outcome == loader.LOADED or (folder.name.startswith("GSO-") and outcome == loader.ALREADY_LOADED)
    transform.build()
    return module_warehouse


def test_t11_holds_the_hand_worked_figures_of_each_window(built):
    with psycopg.connect(built, autocommit=True) as conn:
        expected = by_hand(conn)
        cur = conn.execute("select * from reports.rpt_t11_trends order by quarter, period")
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    assert [(r["quarter"], r["period"]) for r in rows] == [
        ("2024Q4", "2024Q4"),
        ("2025Q1", "2024Q4"),
        ("2025Q1", "2025Q1"),
        ("2025Q2", "2024Q4"),
        ("2025Q2", "2025Q1"),
        ("2025Q2", "2025Q2"),
    ]
    for row in rows:
        figures = {k: v for k, v in row.items() if k not in ("quarter", "period")}
        assert figures == expected[row["period"]], row["period"]
    # each earlier quarter's figures are the same in every report quarter's window (as held today)
    assert all(f["births"] > 20 and f["deaths"] > 20 for f in expected.values())
