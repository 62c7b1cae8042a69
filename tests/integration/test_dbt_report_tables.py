"""T3–T7 and T9 from a small hand-made warehouse: raw rows written with SQL → `dbt build` → the report
models, every expected figure worked out by hand from the rows below (the comment on each row says
what it is and what it tests).

Geography (2025 list): 01 Hà Nội is in the Red River Delta (RRD), 79 Hồ Chí Minh City in the
Southeast (SE). Rows with no residence count in VN only. Quarter 2025Q3 (registration dates
1 July – 30 September 2025).
"""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
import pytest

from crvs import transform
from crvs.feeds.contract import DATASETS
from crvs.feeds.tables import ensure_tables

Q = "2025Q3"
REGIONS = ["NMM", "RRD", "NCC", "CHL", "SE", "MRD"]  # dim_region's order, north to south
MOTHER_BANDS = ["<15", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50+", "UNKNOWN"]
DEATH_BANDS = ["<1", "1-4", *(f"{a}-{a + 4}" for a in range(5, 85, 5)), "85+", "UNKNOWN"]
MARRIAGE_BANDS = ["<18", "18-19", *(f"{a}-{a + 4}" for a in range(20, 60, 5)), "60+", "UNKNOWN"]
PLACES = ["FACILITY", "HOME", "OTHER", "ABROAD"]
TIMELINESS = ["ON_TIME", "LATE", "DELAYED_1_5Y", "DELAYED_5Y_PLUS"]

MOJ, GSO, MOH_Q2 = "MOJ-2025Q3-0001", "GSO-2025-0001", "MOH-2025Q2-0001"
DELIVERIES = [
    # delivery_id, agency, channel, extracted_at, period_start, period_end
    (MOJ, "MOJ", "FILE", "2025-10-05T08:00:00+07:00", "2025-07-01", "2025-09-30"),
    (GSO, "GSO", "API", "2025-03-01T00:00:00+00:00", "2025-01-01", "2025-12-31"),
    (MOH_Q2, "MOH", "EMAIL", "2025-07-03T00:00:00+00:00", "2025-04-01", "2025-06-30"),  # feeds 2025Q2 only
]
DELIVERY_FILES = [
    # delivery_id, dataset, received, loaded, quarantined
    (MOJ, "moj_births", 11, 8, 3),
    (MOJ, "moj_deaths", 6, 6, 0),
    (MOJ, "moj_marriages", 2, 2, 0),
    (GSO, "gso_population", 5, 5, 0),
    (MOH_Q2, "moh_births", 4, 4, 0),
]
QUARANTINED = [  # the three rejected birth rows: two for one rule, one for another
    (MOJ, "moj_births", 3, "reg_province_code", "not_in_code_list"),
    (MOJ, "moj_births", 7, "reg_province_code", "not_in_code_list"),
    (MOJ, "moj_births", 9, "birth_date", "required"),
]


def _birth(record_id, reg, born, residence, mother_born, place="FACILITY", *, kind="NEW", version=1, status="ACTIVE"):
    return dict(
        delivery_id=MOJ,
        record_id=record_id,
        record_version=version,
        record_status=status,
        reg_kind=kind,
        registration_date=reg,
        reg_province_code=residence or "01",
        admin_code_version="2025",
        sex="M",
        birth_date=born,
        place_of_birth=place,
        birth_province_code=residence,
        mother_birth_date=mother_born,
        mother_residence_province_code=residence,
        foreign_element=False,
    )


MOJ_BIRTHS = [
    # mother 14 (15 on 1 Sep 2025) → <15; 19 days → ON_TIME; RRD
    _birth("B1", "2025-07-20", "2025-07-01", "01", "2010-09-01"),
    # mother 15 on the day → 15-19; 60 days → still ON_TIME; at home; RRD
    _birth("B2", "2025-08-30", "2025-07-01", "01", "2010-07-01", "HOME"),
    # mother 49 (50 the next day) → 45-49; 61 days → LATE; SE
    _birth("B3", "2025-08-31", "2025-07-01", "79", "1975-07-02"),
    # mother 50 on the day → 50+; ON_TIME; SE
    _birth("B4", "2025-07-05", "2025-07-01", "79", "1975-07-01"),
    # mother's birth date missing → UNKNOWN; 366 days → DELAYED_1_5Y; other place; SE
    _birth("B5", "2025-07-02", "2024-07-01", "79", None, "OTHER"),
    # residence unknown → VN only; mother 30 → 30-34; ON_TIME
    _birth("B6", "2025-07-10", "2025-07-01", None, "1995-01-01"),
    # a re-registration and a cancelled birth count nowhere
    _birth("B7", "2025-07-10", "2010-07-01", "01", "1990-01-01", kind="RE_REGISTRATION"),
    _birth("B8", "2025-07-10", "2025-07-01", "01", "1990-01-01"),
    _birth("B8", "2025-07-10", "2025-07-01", "01", "1990-01-01", version=2, status="CANCELLED"),
]


def _death(record_id, reg, died, sex, residence, born, cause, certified):
    return dict(
        delivery_id=MOJ,
        record_id=record_id,
        record_version=1,
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date=reg,
        reg_province_code=residence or "01",
        admin_code_version="2025",
        sex=sex,
        birth_date=born,
        death_date=died,
        place_of_death="HOME",
        death_province_code=residence,
        residence_province_code=residence,
        cause_icd10=cause,
        cause_certified=certified,
        foreign_element=False,
    )


MOJ_DEATHS = [
    # 75-79; 15 days: ON_TIME; ill-defined
    _death("D1", "2025-07-16", "2025-07-01", "M", "01", "1950-03-01", "R99", False),
    _death("D2", "2025-07-17", "2025-07-01", "F", "01", "2025-02-01", "R00.1", True),  # <1; 16 days LATE; ill-defined
    # born 29 Feb 1940, died 28 Feb 2025: 84 (not 85) → 80-84; LATE; Q99 is chapter XVII, not ill-defined
    _death("D3", "2025-07-01", "2025-02-28", "M", "79", "1940-02-29", "Q99", True),
    _death("D4", "2025-08-05", "2025-08-01", "U", "79", None, None, None),  # UNKNOWN age, sex U; ON_TIME; no cause
    _death("D5", "2025-09-02", "2025-09-01", "F", "79", "2000-01-01", "S00", True),  # 25-29; ON_TIME
    _death("D6", "2025-07-03", "2025-07-01", "M", None, "1960-01-01", "I21.9", True),  # VN only; 65-69; ON_TIME
]


def _marriage(record_id, reg, province, spouse1, spouse2):
    (sex1, born1, prev1), (sex2, born2, prev2) = spouse1, spouse2
    return dict(
        delivery_id=MOJ,
        record_id=record_id,
        record_version=1,
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date=reg,
        reg_province_code=province,
        admin_code_version="2025",
        spouse1_sex=sex1,
        spouse1_birth_date=born1,
        spouse1_prev_status=prev1,
        spouse2_sex=sex2,
        spouse2_birth_date=born2,
        spouse2_prev_status=prev2,
        foreign_element=False,
    )


MOJ_MARRIAGES = [
    # RRD: a man of 19 (20 the next day: under the legal age) and a woman of 18 on the day (not under)
    _marriage("M1", "2025-08-15", "01", ("M", "2005-08-16", "NEVER"), ("F", "2007-08-15", "NEVER")),
    # SE: a woman of 16 (under 18) and a widower of 61
    _marriage("M2", "2025-09-01", "79", ("F", "2008-09-02", "NEVER"), ("M", "1964-01-01", "WIDOWED")),
]


def _insert(conn, table: str, rows: list[dict]) -> None:
    for i, row in enumerate(rows, start=1):
        columns = ["source_row", *row]
        conn.execute(
            f"insert into raw.{table} ({', '.join(columns)}) values ({', '.join(['%s'] * len(columns))})",
            [i, *row.values()],
        )


@pytest.fixture(scope="module")
def built(module_warehouse):
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        ensure_tables(conn)
        for delivery_id, agency, channel, extracted_at, start, end in DELIVERIES:
            conn.execute(
                "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at,"
                " period_start, period_end, source, manifest) values (%s, %s, %s, '1.0', %s, %s, %s,"
                " 'test fixture', %s)",
                [delivery_id, agency, channel, extracted_at, start, end, json.dumps({})],
            )
        for delivery_id, dataset, received, loaded, quarantined in DELIVERY_FILES:
            conn.execute(
                "insert into raw.delivery_files values (%s, %s, %s, null, %s, %s, %s, %s)",
                [delivery_id, dataset, f"{dataset}.csv", received, loaded, quarantined, DATASETS[dataset].agency],
            )
        for delivery_id, dataset, row, column, rule in QUARANTINED:
            conn.execute(
                "insert into quarantine.rows values (%s, %s, %s, %s, %s, %s, %s, '{}', %s)",
                [
                    delivery_id,
                    dataset,
                    f"{dataset}.csv",
                    row,
                    column,
                    rule,
                    f"row {row}: {rule}",
                    DATASETS[dataset].agency,
                ],
            )
        _insert(conn, "moj_births", MOJ_BIRTHS)
        _insert(conn, "moj_deaths", MOJ_DEATHS)
        _insert(conn, "moj_marriages", MOJ_MARRIAGES)
        transform.build()
        yield conn


def _table(conn, model: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(f"select * from reports.{model}").fetchall()]


def _columns(conn, model: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'reports' and table_name = %s"
            " order by ordinal_position",
            [model],
        ).fetchall()
    ]


def test_columns_are_the_reports(built):
    assert _columns(built, "rpt_t3_births_by_mother_age") == ["quarter", "region_code", "mother_age_band", "births"]
    assert _columns(built, "rpt_t4_births_by_place") == [
        "quarter",
        "region_code",
        "place_of_birth",
        "timeliness",
        "births",
    ]
    assert _columns(built, "rpt_t5_deaths_by_age_sex") == [
        "quarter",
        "geography_level",
        "geography_code",
        "age_band",
        "male",
        "female",
        "unknown",
        "total",
    ]
    assert _columns(built, "rpt_t6_deaths_quality") == [
        "quarter",
        "province_code",
        "deaths",
        "on_time",
        "on_time_pct",
        "with_cause",
        "certified",
        "certified_pct",
        "ill_defined",
        "ill_defined_pct",
    ]
    assert _columns(built, "rpt_t7_marriages_by_age") == [
        "quarter",
        "region_code",
        "sex",
        "age_band",
        "spouses",
        "first_marriages",
        "under_legal_age",
    ]
    # T9 leads with the quarter it is filtered on; the report writes the other columns
    assert _columns(built, "rpt_t9_data_quality") == [
        "quarter",
        "agency",
        "dataset",
        "delivery_id",
        "channel",
        "extracted_at",
        "rows_received",
        "rows_loaded",
        "rows_rejected",
        "top_rejection_reason",
    ]


def test_t3_births_by_mother_age(built):
    rows = _table(built, "rpt_t3_births_by_mother_age")
    # a full grid: six regions and VN × ten bands, in region then band order
    assert [(r[1], r[2]) for r in rows] == [(g, b) for g in [*REGIONS, "VN"] for b in MOTHER_BANDS]
    nonzero = {(r[1], r[2]): r[3] for r in rows if r[3]}
    assert nonzero == {
        ("RRD", "<15"): 1,  # B1: 14, a day-counted birthday away from 15
        ("RRD", "15-19"): 1,  # B2: 15 on the day
        ("SE", "45-49"): 1,
        ("SE", "50+"): 1,
        ("SE", "UNKNOWN"): 1,  # B3, B4, B5
        # VN: the five above and B6 (residence unknown); not B7 (re-registration), not B8 (cancelled)
        ("VN", "<15"): 1,
        ("VN", "15-19"): 1,
        ("VN", "30-34"): 1,
        ("VN", "45-49"): 1,
        ("VN", "50+"): 1,
        ("VN", "UNKNOWN"): 1,
    }
    assert {r[0] for r in rows} == {Q}


def test_t4_births_by_place(built):
    rows = _table(built, "rpt_t4_births_by_place")
    assert len(rows) == 7 * len(PLACES) * len(TIMELINESS)
    nonzero = {(r[1], r[2], r[3]): r[4] for r in rows if r[4]}
    assert nonzero == {
        ("RRD", "FACILITY", "ON_TIME"): 1,  # B1
        ("RRD", "HOME", "ON_TIME"): 1,  # B2 (60 days)
        ("SE", "FACILITY", "LATE"): 1,  # B3 (61 days)
        ("SE", "FACILITY", "ON_TIME"): 1,  # B4
        ("SE", "OTHER", "DELAYED_1_5Y"): 1,  # B5 (366 days)
        ("VN", "FACILITY", "ON_TIME"): 3,  # B1, B4, B6
        ("VN", "HOME", "ON_TIME"): 1,
        ("VN", "FACILITY", "LATE"): 1,
        ("VN", "OTHER", "DELAYED_1_5Y"): 1,
    }


def test_t5_deaths_by_age_sex(built):
    rows = _table(built, "rpt_t5_deaths_by_age_sex")
    geographies = [("NATIONAL", "VN"), *(("REGION", r) for r in REGIONS)]
    assert [(r[1], r[2], r[3]) for r in rows] == [(lvl, g, b) for lvl, g in geographies for b in DEATH_BANDS]
    nonzero = {(r[2], r[3]): r[4:] for r in rows if r[7]}
    assert nonzero == {
        ("VN", "<1"): (0, 1, 0, 1),  # D2
        ("VN", "25-29"): (0, 1, 0, 1),  # D5
        ("VN", "65-69"): (1, 0, 0, 1),  # D6 (residence unknown: VN only)
        ("VN", "75-79"): (1, 0, 0, 1),  # D1
        ("VN", "80-84"): (1, 0, 0, 1),  # D3: 84 on 28 February, not 85
        ("VN", "UNKNOWN"): (0, 0, 1, 1),  # D4
        ("RRD", "<1"): (0, 1, 0, 1),
        ("RRD", "75-79"): (1, 0, 0, 1),
        ("SE", "25-29"): (0, 1, 0, 1),
        ("SE", "80-84"): (1, 0, 0, 1),
        ("SE", "UNKNOWN"): (0, 0, 1, 1),
    }
    assert sum(r[7] for r in rows if r[1] == "NATIONAL") == len(MOJ_DEATHS)


def test_t6_deaths_quality(built):
    rows = _table(built, "rpt_t6_deaths_quality")
    assert len(rows) == 34 + 1 and rows[-1][1] == "VN"
    t6 = {r[1]: r[2:] for r in rows}
    # 01: D1 (15 days, R99, not certified), D2 (16 days, R00.1, certified)
    assert t6["01"] == (2, 1, Decimal("50.0"), 2, 1, Decimal("50.0"), 2, Decimal("100.0"))
    # 79: D3 (late, Q99, certified), D4 (on time, no cause), D5 (on time, S00, certified)
    assert t6["79"] == (
        3,
        2,
        Decimal(str(round(2 / 3 * 100, 1))),
        2,
        2,
        Decimal(str(round(2 / 3 * 100, 1))),
        0,
        Decimal("0.0"),
    )
    # VN: 6 deaths; on time D1, D4, D5, D6 = 4 → 66.7; causes on all but D4 = 5; certified D2, D3, D5, D6 = 4;
    # ill-defined R99, R00.1 = 2 of 5 with a cause → 40.0
    assert t6["VN"] == (6, 4, Decimal("66.7"), 5, 4, Decimal("66.7"), 2, Decimal("40.0"))
    assert t6["04"] == (0, 0, None, 0, 0, None, 0, None)


def test_t5_national_total_equals_t6_vn(built):
    t5 = built.execute(
        "select sum(total) from reports.rpt_t5_deaths_by_age_sex where geography_level = 'NATIONAL' and quarter = %s",
        [Q],
    ).fetchone()[0]
    t6 = built.execute(
        "select deaths from reports.rpt_t6_deaths_quality where province_code = 'VN' and quarter = %s", [Q]
    ).fetchone()[0]
    assert t5 == t6 == 6


def test_t7_marriages_by_age(built):
    rows = _table(built, "rpt_t7_marriages_by_age")
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (g, s, b) for g in [*REGIONS, "VN"] for s in ("male", "female") for b in MARRIAGE_BANDS
    ]
    nonzero = {(r[1], r[2], r[3]): r[4:] for r in rows if r[4]}
    assert nonzero == {
        ("RRD", "male", "18-19"): (1, 1, 1),  # 19, under 20
        ("RRD", "female", "18-19"): (1, 1, 0),  # 18 on the day: of legal age
        ("SE", "female", "<18"): (1, 1, 1),  # 16
        ("SE", "male", "60+"): (1, 0, 0),  # 61, widowed
        ("VN", "male", "18-19"): (1, 1, 1),
        ("VN", "female", "18-19"): (1, 1, 0),
        ("VN", "female", "<18"): (1, 1, 1),
        ("VN", "male", "60+"): (1, 0, 0),
    }


def test_t9_data_quality(built):
    rows = [r[1:] for r in _table(built, "rpt_t9_data_quality") if r[0] == Q]
    assert rows == [
        # GSO's yearly figures feed every quarter of 2025; extracted_at in UTC
        ("GSO", "gso_population", GSO, "API", "2025-03-01T00:00:00Z", 5, 5, 0, None),
        # 08:00 at +07:00 is 01:00 UTC; two of the three rejected rows broke the same rule
        (
            "MOJ",
            "moj_births",
            MOJ,
            "FILE",
            "2025-10-05T01:00:00Z",
            11,
            8,
            3,
            "reg_province_code: not_in_code_list (2 rows)",
        ),
        ("MOJ", "moj_deaths", MOJ, "FILE", "2025-10-05T01:00:00Z", 6, 6, 0, None),
        ("MOJ", "moj_marriages", MOJ, "FILE", "2025-10-05T01:00:00Z", 2, 2, 0, None),
    ]  # MOH's 2025Q2 delivery did not feed 2025Q3
    quarters = built.execute(
        "select delivery_id, string_agg(distinct quarter, ',' order by quarter)"
        " from reports.rpt_t9_data_quality group by delivery_id order by 1"
    ).fetchall()
    assert quarters == [(GSO, "2025Q1,2025Q2,2025Q3,2025Q4"), (MOH_Q2, "2025Q2"), (MOJ, "2025Q3")]


def test_the_writer_reads_rows_in_the_models_order(built):
    """tables.py orders regions and bands by constants; they must agree with dim_region and
    dim_age_band, which order the models' stored rows."""
    from crvs.report.tables import T3, T4, T5, T6, T7, T9
    from crvs.report.writer import read_model

    for table in (T3, T4, T5, T6, T7, T9):
        stored = [
            tuple(r)
            for r in built.execute(
                f"select {', '.join(table.key_names)} from reports.{table.model} where quarter = %s", [Q]
            ).fetchall()
        ]
        written = [tuple(row[k] for k in table.key_names) for row in read_model(built, table, Q)]
        assert written == stored, table.code
