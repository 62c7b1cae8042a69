"""T10 (rpt_t10_completeness_by_period) on a small hand-made warehouse: raw rows → `dbt build`.

Report quarter 2025Q3. Its cohorts: LEGAL → the events of 2025Q2 (births ≤ 60 days, deaths ≤ 15),
WITHIN_1Y → 2024Q3 (≤ 365 days), WITHIN_5Y → 2020Q3 (≤ 1825 days). Every figure below is worked out
by hand from the rows (the delays with Python's date arithmetic, next to each row), never by the
model's SQL.

GSO: every 2025 province has 1000 men and 1000 women; 2025 rates 15 ‰ births, 6 ‰ deaths; 2024
rates 12 ‰ and 5 ‰; nothing for 2020. Residences: PRE2025 01 Hà Nội (→ 01, region RRD) and PRE2025
79 Hồ Chí Minh (→ 79, region SE).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest
from test_dbt_models import _birth, _death, _insert, _insert_deliveries

from crvs import transform
from crvs.feeds.tables import ensure_tables
from crvs.quality.provinces import province_codes

MOJ_OLD, MOJ_NEW, GSO = "MOJ-HIST", "MOJ-2025Q3", "GSO-2020-2025"
DELIVERIES = [
    # MOJ periods 2020-07-01 … 2025-06-30 and 2025Q3 touch: one island from 2020-07-01
    (MOJ_OLD, "MOJ", "2025-07-05T08:00:00+07:00", "2020-07-01", "2025-06-30"),
    (MOJ_NEW, "MOJ", "2025-10-05T08:00:00+07:00", "2025-07-01", "2025-09-30"),
    (GSO, "GSO", "2025-06-01T08:00:00+07:00", "2024-01-01", "2025-12-31"),
]


def days(a: str, b: str) -> int:
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


def b(record_id, born, reg, sex, residence, **kw):
    delivery = MOJ_NEW if reg >= "2025-07-01" else MOJ_OLD
    return _birth(delivery, record_id, reg, born, sex, residence, **kw)


MOJ_BIRTHS = [
    # cohort 2025Q2, LEGAL (≤ 60 days)
    b("b1", "2025-05-10", "2025-06-01", "M", "01"),  # 22 days: RRD male
    b("b2", "2025-06-30", "2025-08-29", "F", "79"),  # exactly 60: SE female
    b("b3", "2025-06-30", "2025-08-30", "U", "01"),  # 61: LATE, not within the legal period
    # cohort 2024Q3, WITHIN_1Y (≤ 365 days)
    b("b5", "2024-08-01", "2025-07-31", "F", "01"),  # 364: RRD female
    b("b6", "2024-08-01", "2025-08-01", "M", "01"),  # 365: RRD male
    b("b7", "2024-08-01", "2025-08-02", "M", "79"),  # 366: DELAYED_1_5Y, out
    b("b8", "2024-09-30", "2024-10-05", "M", "79"),  # 5: SE male
    b("b9", "2024-09-30", "2024-10-05", "F", "79", kind="RE_REGISTRATION"),  # not NEW: out
    b("b10", "2024-09-30", "2024-10-06", "F", "79"),  # cancelled below: out
    b("b10", "2024-09-30", "2024-10-06", "F", "79", version=2, status="CANCELLED"),
    # cohort 2020Q3, WITHIN_5Y (≤ 1825 days)
    b("b11", "2020-08-01", "2025-07-20", "F", "01"),  # 1814: RRD female
    b("b12", "2020-07-01", "2025-07-01", "M", "01"),  # 1826 (a leap day between): out
]
MOJ_DEATHS = [
    dict(_death("d1", "2025-07-05", "2025-06-20", "M", "79"), delivery_id=MOJ_NEW),  # 15 days: SE male
    dict(_death("d2", "2025-07-06", "2025-06-20", "F", "79"), delivery_id=MOJ_NEW),  # 16: out
    dict(_death("d3", "2025-03-01", "2024-09-01", "F", "01"), delivery_id=MOJ_OLD),  # 181: 1Y, RRD female
]


def test_the_delays_are_as_the_comments_say():
    assert [days("2025-05-10", "2025-06-01"), days("2025-06-30", "2025-08-29"), days("2025-06-30", "2025-08-30")] == [
        22,
        60,
        61,
    ]
    assert [days("2024-08-01", r) for r in ("2025-07-31", "2025-08-01", "2025-08-02")] == [364, 365, 366]
    assert [days("2020-08-01", "2025-07-20"), days("2020-07-01", "2025-07-01")] == [1814, 1826]
    assert [days("2025-06-20", "2025-07-05"), days("2024-09-01", "2025-03-01")] == [15, 181]


def _write(conn) -> None:
    ensure_tables(conn)
    _insert_deliveries(conn, DELIVERIES)
    _insert(conn, "moj_births", MOJ_BIRTHS)
    _insert(conn, "moj_deaths", MOJ_DEATHS)
    population, rates = [], []
    for year, cbr, cdr in ((2024, "12.0", "5.0"), (2025, "15.0", "6.0")):
        for code in province_codes():
            for sex in ("M", "F"):
                population.append(
                    dict(
                        delivery_id=GSO,
                        year=year,
                        province_code=code,
                        admin_code_version="2025",
                        sex=sex,
                        age_group="0-4",
                        population=1000,
                    )
                )
            rates.append(
                dict(
                    delivery_id=GSO,
                    year=year,
                    province_code=code,
                    admin_code_version="2025",
                    crude_birth_rate=cbr,
                    crude_death_rate=cdr,
                )
            )
    _insert(conn, "gso_population", population)
    _insert(conn, "gso_vital_rates", rates)


@pytest.fixture(scope="module")
def built(module_warehouse):
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        _write(conn)
        transform.build()
        yield conn


def one(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


COLUMNS = (
    "deliveries_cover, expected_total, expected_male, expected_female, registered_male, registered_female,"
    " registered_unknown, registered, completeness_pct, male_completeness_pct, female_completeness_pct"
)


def row(conn, quarter, within, event, region):
    found = conn.execute(
        f"select event_quarter, {COLUMNS} from reports.rpt_t10_completeness_by_period"
        " where quarter = %s and registered_within = %s and event_type = %s and region_code = %s",
        (quarter, within, event, region),
    ).fetchall()
    assert len(found) == 1, (quarter, within, event, region, found)
    return tuple(found[0])


def test_t10_counts_each_cohort_within_its_time_limit(built):
    rrd = built.execute(
        "select count(*) from marts.dim_province where code_version = '2025' and region_code = 'RRD'"
    ).fetchone()[0]
    # LEGAL, births of 2025Q2 (91 days of 365): 30 births a year per province, 15 of each sex
    vn_births = 34 * 30 * 91 / 365  # 254.30
    vn_boys = 34 * 15 * 91 / 365  # 127.15
    assert row(built, "2025Q3", "LEGAL", "BIRTH", "VN") == (
        "2025Q2",
        "COMPLETE",
        one(vn_births),
        one(vn_boys),
        one(vn_boys),
        1,
        1,
        0,
        2,
        one(100 * 2 / vn_births),  # 0.8
        one(100 * 1 / vn_boys),
        one(100 * 1 / vn_boys),
    )
    rrd_births = rrd * 30 * 91 / 365
    assert row(built, "2025Q3", "LEGAL", "BIRTH", "RRD")[1:9] == (
        "COMPLETE",
        one(rrd_births),
        one(rrd_births / 2),
        one(rrd_births / 2),
        1,
        0,
        0,
        1,
    )
    assert row(built, "2025Q3", "LEGAL", "BIRTH", "SE")[5:9] == (0, 1, 0, 1)
    assert row(built, "2025Q3", "LEGAL", "BIRTH", "NMM")[5:9] == (0, 0, 0, 0)
    # WITHIN_1Y, births of 2024Q3 (92 days of 366): 24 a year per province
    vn_1y = 34 * 24 * 92 / 366  # 205.11
    assert row(built, "2025Q3", "WITHIN_1Y", "BIRTH", "VN") == (
        "2024Q3",
        "COMPLETE",
        one(vn_1y),
        one(vn_1y / 2),
        one(vn_1y / 2),
        2,  # b6, b8
        1,  # b5
        0,
        3,
        one(100 * 3 / vn_1y),  # 1.5
        one(100 * 2 / (vn_1y / 2)),
        one(100 * 1 / (vn_1y / 2)),
    )
    assert row(built, "2025Q3", "WITHIN_1Y", "BIRTH", "RRD")[5:9] == (1, 1, 0, 2)
    assert row(built, "2025Q3", "WITHIN_1Y", "BIRTH", "SE")[5:9] == (1, 0, 0, 1)
    # WITHIN_5Y, births of 2020Q3: no GSO figures for 2020 → no expectation, no percentage
    assert row(built, "2025Q3", "WITHIN_5Y", "BIRTH", "VN") == (
        "2020Q3",
        "COMPLETE",
        None,
        None,
        None,
        0,
        1,
        0,
        1,
        None,
        None,
        None,
    )
    # deaths: 12 a year per province in 2025, 10 in 2024
    vn_deaths = 34 * 12 * 91 / 365  # 101.72
    assert row(built, "2025Q3", "LEGAL", "DEATH", "VN")[1:12] == (
        "COMPLETE",
        one(vn_deaths),
        one(vn_deaths / 2),
        one(vn_deaths / 2),
        1,
        0,
        0,
        1,
        one(100 / vn_deaths),
        one(100 / (vn_deaths / 2)),
        Decimal("0.0"),
    )
    assert row(built, "2025Q3", "LEGAL", "DEATH", "SE")[5:9] == (1, 0, 0, 1)
    assert row(built, "2025Q3", "WITHIN_1Y", "DEATH", "RRD")[5:9] == (0, 1, 0, 1)
    assert row(built, "2025Q3", "WITHIN_5Y", "DEATH", "VN")[5:9] == (0, 0, 0, 0)


def test_t10_grid_and_coverage(built):
    # 3 time limits × 2 events × (6 regions + VN) for each report quarter
    counts = dict(
        built.execute(
            "select quarter, count(*) from reports.rpt_t10_completeness_by_period group by quarter"
        ).fetchall()
    )
    # the report quarters: those with a NEW birth or death registration (b1 2025Q2, b8 2024Q4, d3 2025Q1, 2025Q3)
    assert counts == {"2024Q4": 42, "2025Q1": 42, "2025Q2": 42, "2025Q3": 42}
    # 2025Q2's five-year cohort is 2020Q2: the MOJ deliveries start on 2020-07-01, so it is PARTIAL;
    # its legal-period cohort 2025Q1 is covered
    assert row(built, "2025Q2", "WITHIN_5Y", "BIRTH", "VN")[:2] == ("2020Q2", "PARTIAL")
    assert row(built, "2025Q2", "LEGAL", "BIRTH", "VN")[:2] == ("2025Q1", "COMPLETE")
    # 2025Q2 LEGAL: births of 2025Q1, none; WITHIN_1Y: births of 2024Q2, none
    assert row(built, "2025Q2", "WITHIN_1Y", "BIRTH", "VN")[5:9] == (0, 0, 0, 0)
