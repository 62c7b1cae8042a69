"""A hand-made quarter in the real warehouse: report tables and the deliveries behind them, for the
report, PDF and delivery tests (figures worked out by hand in the docstring)."""

from __future__ import annotations

from report_models import DDL

from crvs.feeds.contract import DATASETS
from crvs.feeds.tables import ensure_tables
from crvs.quality.provinces import province_codes

QUARTER = "2025Q3"


def fill_quarter(db):
    """Report tables for 2025Q3 (and a stray 2025Q2 row), and the deliveries behind them.

    T2: every province 100 boys, 90 girls, 0 unknown (ratio 111.1), except 01 (3, 40, 0 → 43, ratio 7.5)
    and 04 (50, 45, 0 → 95, ratio 111.1). VN = 32 × (100, 90) + 01 + 04 = (3253, 2965, 0, 6218),
    ratio 3253 / 2965 × 100 = 109.7.
    T8 (expected events numeric(14,1), as dbt builds them): every province expected 1000.0 / 900 on time
    (90.0 %), expected deaths 500.0 / 400 on time (80.0 %),
    800 facility births of which 760 registered (95.0 %), except 01 (60 deaths on time, 12.0 %: below the warning band, above the blocking one) and 04
    (no facility births, linkage empty). VN: 34000, 30600, 90.0; 17000, 33 × 400 + 60 = 13260, 78.0;
    33 × 800 = 26400, 33 × 760 = 25080, 95.0.
    T3–T7, T9: see fill_births_deaths_marriages.
    """
    db.execute(DDL)
    t1 = [
        ("79", "DEATH", "NEW", "ON_TIME", 2, 1),
        ("01", "BIRTH", "NEW", "ON_TIME", 120, 3),
        ("04", "MARRIAGE", "NEW", "NOT_APPLICABLE", 3, 0),
        ("01", "MARRIAGE", "NEW", "NOT_APPLICABLE", 4, 0),
        ("01", "BIRTH", "NEW", "LATE", 4, 0),
        # the rest of the quarter's NEW births and deaths, so that T1 agrees with T2, T4 and T6 (the
        # gate checks 6218 = 120 + 4 + 6094; T4's VN has 6214 on time and 4 late; T6's VN 1652
        # deaths, 1321 on time = 2 + 1319)
        ("96", "BIRTH", "NEW", "ON_TIME", 6094, 0),
        ("96", "DEATH", "NEW", "ON_TIME", 1319, 0),
        ("96", "DEATH", "NEW", "LATE", 331, 0),
    ]
    for row in t1:
        db.execute("insert into reports.rpt_t1_registrations values (%s, %s, %s, %s, %s, %s, %s)", (QUARTER, *row))
    db.execute("insert into reports.rpt_t1_registrations values ('2025Q2', '01', 'BIRTH', 'NEW', 'ON_TIME', 999, 0)")

    special_t2 = {"01": (3, 40, 0, 43, "7.5"), "04": (50, 45, 0, 95, "111.1")}
    for code in reversed(province_codes()):
        db.execute(
            "insert into reports.rpt_t2_births_by_sex values (%s, %s, %s, %s, %s, %s, %s)",
            (QUARTER, code, *special_t2.get(code, (100, 90, 0, 190, "111.1"))),
        )
        t8 = ["1000.0", 900, "90.0", "500.0", 400, "80.0", 800, 760, "95.0"]
        if code == "01":
            t8[4:6] = [60, "12.0"]
        if code == "04":
            t8[6:9] = [0, 0, None]
        db.execute(
            "insert into reports.rpt_t8_completeness values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (QUARTER, code, *t8),
        )
    db.execute("insert into reports.rpt_t2_births_by_sex values (%s, 'VN', 3253, 2965, 0, 6218, 109.7)", (QUARTER,))
    db.execute(
        "insert into reports.rpt_t8_completeness values "
        "(%s, 'VN', 34000.0, 30600, 90.0, 17000.0, 13260, 78.0, 26400, 25080, 95.0)",
        (QUARTER,),
    )

    fill_births_deaths_marriages(db)
    fill_trend(db)

    ensure_tables(db)
    deliveries = [
        ("moj-2025q3-01", "MOJ", "folder", "2025-10-05T08:00:00+07:00", "2025-07-01", "2025-09-30"),
        ("moh-2025q3", "MOH", "email", "2025-10-03T10:00:00+00:00", "2025-07-01", "2025-09-30"),
        ("gso-2025", "GSO", "platform", "2025-06-30T00:00:00+00:00", "2025-01-01", "2025-12-31"),
        ("moj-2025q2", "MOJ", "folder", "2025-07-04T08:00:00+00:00", "2025-04-01", "2025-06-30"),
        ("gso-2024", "GSO", "platform", "2024-06-30T00:00:00+00:00", "2024-01-01", "2024-12-31"),
    ]
    for d in deliveries:
        db.execute(
            "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, "
            "period_start, period_end, source, manifest) values (%s, %s, %s, '1.0', %s, %s, %s, 'test', '{}')",
            d,
        )
    # The datasets each delivery carried (the gate's freshness check needs every one the agency owes).
    for delivery_id, agency, *_ in deliveries:
        for dataset in [name for name, d in DATASETS.items() if d.agency == agency]:
            db.execute(
                "insert into raw.delivery_files values (%s, %s, %s, null, 0, 0, 0, %s)",
                (delivery_id, dataset, f"{dataset}.csv", agency),
            )
    return db


REGIONS = ["NMM", "RRD", "NCC", "CHL", "SE", "MRD"]

# T3 and T4 by region of residence: each region's births are T2's over its provinces (the regions of
# crvs/report/linkage.py: RRD 01, 22, 31, 33, 37; NMM 04 and 9 more; NCC 9; CHL 2; SE 2; MRD 6).
T3_BANDS = {  # region: {mother's age band: births}
    "NMM": {"<15": 3, "20-24": 700, "25-29": 900, "30-34": 202},  # 1805
    "RRD": {"20-24": 300, "25-29": 400, "30-34": 101, "50+": 2},  # 803
    "NCC": {"20-24": 700, "25-29": 800, "30-34": 210},  # 1710
    "CHL": {"20-24": 150, "25-29": 180, "30-34": 50},  # 380
    "SE": {"20-24": 100, "25-29": 50, "30-34": 17, "UNKNOWN": 213},  # 380
    "MRD": {"20-24": 400, "25-29": 600, "30-34": 140},  # 1140
}
T4_PLACES = {  # region: [(place of birth, timeliness, births)]
    "NMM": [("FACILITY", "ON_TIME", 1600), ("HOME", "ON_TIME", 205)],
    "RRD": [("FACILITY", "ON_TIME", 700), ("HOME", "ON_TIME", 99), ("HOME", "LATE", 4)],
    "NCC": [("FACILITY", "ON_TIME", 1500), ("HOME", "ON_TIME", 210)],
    "CHL": [("FACILITY", "ON_TIME", 340), ("HOME", "ON_TIME", 40)],
    "SE": [("FACILITY", "ON_TIME", 340), ("HOME", "ON_TIME", 40)],
    "MRD": [("FACILITY", "ON_TIME", 1000), ("HOME", "ON_TIME", 140)],
}
T5_BANDS = {  # region: (70-74 male, female), (85+ male, female, unknown); totals = T6's deaths of the region
    "NMM": ((150, 120), (80, 148, 2)),  # 270 + 230 = 500 = 10 × 50
    "RRD": ((50, 40), (42, 70, 0)),  # 90 + 112 = 202 = 4 × 50 + 2
    "NCC": ((130, 100), (90, 130, 0)),  # 230 + 220 = 450 = 9 × 50
    "CHL": ((30, 20), (20, 30, 0)),  # 100
    "SE": ((30, 20), (20, 30, 0)),  # 100
    "MRD": ((110, 100), (48, 42, 0)),  # 210 + 90 = 300 = 6 × 50
}


def fill_births_deaths_marriages(db):
    """T3–T7 and T9 of 2025Q3, coherent with T1/T2 and with each other as real report models are
    (the gate's reconciliations, and the disclosure audit's intruder: the same births in T2, T3 and
    T4 by region, the same deaths in T5 and T6 by region, T1's NEW rows behind T2, T4, T6 and T7):

    T2 by region (its provinces): NMM 95 + 9 × 190 = 1805, RRD 43 + 4 × 190 = 803, NCC 9 × 190 = 1710,
    CHL and SE 2 × 190 = 380, MRD 6 × 190 = 1140; 6218 in all.
    T3 (T3_BANDS): VN <15 3, 20-24 2350, 25-29 2930, 30-34 720, 50+ 2, UNKNOWN 213 = 6218.
    T4 (T4_PLACES): VN FACILITY ON_TIME 5480, HOME ON_TIME 734, HOME LATE 4 (RRD's) = 6218; on time
    6214 = T1's 120 + 6094, late 4 = T1's 01 LATE.
    T6: every province 50 deaths, 40 on time (80.0), 45 with a cause, 30 certified (60.0), 3 ill-defined
    (6.7), except 01 (RRD): 2, 1 (50.0), 2, 1 (50.0), 0 (0.0). VN: 33 × 50 + 2 = 1652 deaths, 1321 on time
    (80.0), 1487 with a cause, 991 certified (60.0), 99 ill-defined (6.7). By region: NMM 500, RRD 202,
    NCC 450, CHL 100, SE 100, MRD 300.
    T5 (T5_BANDS): VN 70-74 (500 M, 400 F) + 85+ (300 M, 450 F, 2 U) = 900 + 752 = 1652 = T6's VN
    deaths; each region's two bands = T6's deaths of the region (NMM holds the 2 of unknown sex).
    T7: NMM men 30-34 and women 25-29 (3 each) = 2 × T1's 3 NEW marriages in 04, RRD men 25-29 and
    women 20-24 (4 each) = 2 × T1's 4 in 01; all first marriages, none under age; the other regions
    a zero row: VN 14 spouses = 2 × T1's 7 NEW marriages.
    T9: MOJ's three files (births 6300 received, 6297 loaded, 3 rejected), MOH's and GSO's.
    """
    t3_vn: dict[str, int] = {}
    t4_vn: dict[tuple[str, str], int] = {}
    for region in REGIONS:
        for band, births in T3_BANDS[region].items():
            db.execute(
                "insert into reports.rpt_t3_births_by_mother_age values (%s, %s, %s, %s)",
                (QUARTER, region, band, births),
            )
            t3_vn[band] = t3_vn.get(band, 0) + births
        for place, timeliness, births in T4_PLACES[region]:
            db.execute(
                "insert into reports.rpt_t4_births_by_place values (%s, %s, %s, %s, %s)",
                (QUARTER, region, place, timeliness, births),
            )
            t4_vn[place, timeliness] = t4_vn.get((place, timeliness), 0) + births
    assert t3_vn == {"<15": 3, "20-24": 2350, "25-29": 2930, "30-34": 720, "50+": 2, "UNKNOWN": 213}
    assert t4_vn == {("FACILITY", "ON_TIME"): 5480, ("HOME", "ON_TIME"): 734, ("HOME", "LATE"): 4}
    for band, births in t3_vn.items():
        db.execute("insert into reports.rpt_t3_births_by_mother_age values (%s, 'VN', %s, %s)", (QUARTER, band, births))
    for (place, timeliness), births in t4_vn.items():
        db.execute(
            "insert into reports.rpt_t4_births_by_place values (%s, 'VN', %s, %s, %s)",
            (QUARTER, place, timeliness, births),
        )

    t5 = [("NATIONAL", "VN", "70-74", 500, 400, 0), ("NATIONAL", "VN", "85+", 300, 450, 2)]
    for region in REGIONS:
        (male, female), old = T5_BANDS[region]
        t5 += [("REGION", region, "70-74", male, female, 0), ("REGION", region, "85+", *old)]
    for level, code, band, male, female, unknown in t5:
        db.execute(
            "insert into reports.rpt_t5_deaths_by_age_sex values (%s, %s, %s, %s, %s, %s, %s, %s)",
            (QUARTER, level, code, band, male, female, unknown, male + female + unknown),
        )

    for code in province_codes():
        t6 = (2, 1, "50.0", 2, 1, "50.0", 0, "0.0") if code == "01" else (50, 40, "80.0", 45, 30, "60.0", 3, "6.7")
        db.execute(
            "insert into reports.rpt_t6_deaths_quality values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (QUARTER, code, *t6),
        )
    db.execute(
        "insert into reports.rpt_t6_deaths_quality values (%s, 'VN', 1652, 1321, 80.0, 1487, 991, 60.0, 99, 6.7)",
        (QUARTER,),
    )

    t7 = [
        ("NMM", "male", "30-34", 3),
        ("NMM", "female", "25-29", 3),
        ("RRD", "male", "25-29", 4),
        ("RRD", "female", "20-24", 4),
    ]
    t7 += [("VN", sex, band, n) for _, sex, band, n in t7]
    t7 += [(region, "male", "25-29", 0) for region in ("NCC", "CHL", "SE", "MRD")]  # every region has a row
    for region, sex, band, spouses in t7:
        db.execute(
            "insert into reports.rpt_t7_marriages_by_age values (%s, %s, %s, %s, %s, %s, 0)",
            (QUARTER, region, sex, band, spouses, spouses),
        )

    t9 = [
        ("GSO", "gso_population", "gso-2025", "API", "2025-06-30T00:00:00Z", 68, 68, 0, None),
        ("MOH", "moh_births", "moh-2025q3", "EMAIL", "2025-10-03T10:00:00Z", 800, 800, 0, None),
        (
            "MOJ",
            "moj_births",
            "moj-2025q3-01",
            "FILE",
            "2025-10-05T01:00:00Z",
            6300,
            6297,
            3,
            "reg_province_code: not_in_code_list (3 rows)",
        ),
        ("MOJ", "moj_deaths", "moj-2025q3-01", "FILE", "2025-10-05T01:00:00Z", 1652, 1652, 0, None),
        ("MOJ", "moj_marriages", "moj-2025q3-01", "FILE", "2025-10-05T01:00:00Z", 7, 7, 0, None),
    ]
    for row in t9:
        db.execute(
            "insert into reports.rpt_t9_data_quality values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", (QUARTER, *row)
        )
    # The deliveries behind T9 (rpt_quarter_deliveries, which T9 selects from): each fed the quarter
    # by its period, every row of it bearing on the quarter.
    periods = {
        "GSO": ("2025-01-01", "2025-12-31"),
        "MOH": ("2025-07-01", "2025-09-30"),
        "MOJ": ("2025-07-01", "2025-09-30"),
    }
    for agency, dataset, delivery_id, channel, extracted_at, received, loaded, rejected, reason in t9:
        db.execute(
            "insert into reports.rpt_quarter_deliveries values "
            "(%s, %s, %s, %s, 'PERIOD', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                QUARTER,
                agency,
                delivery_id,
                dataset,
                channel,
                extracted_at,
                *periods[agency],
                received,
                loaded,
                rejected,
                loaded,
                reason,
            ),
        )


def fill_trend(db):
    """T11 of 2025Q3: the two quarters held (T1 has 2025Q2's stray row and 2025Q3).

    2025Q3 is the quarter's own figures: T1's NEW births 120 + 4 + 6094 = 6218 (T2's VN), on time
    120 + 6094 = 6214 (99.9 %), deaths 2 + 1319 + 331 = 1652 (T6's VN), on time 2 + 1319 = 1321 (80.0 %),
    marriages 3 + 4 = 7; T8's VN 34000.0 expected, 30600 on time (90.0 %), 17000.0, 13260 (78.0 %).
    2025Q2: T1's 999 births, all on time (100.0 %), no death, no marriage; no T8 row (no completeness).
    """
    rows = [
        ("2025Q2", 999, 999, "100.0", 0, 0, None, 0, None, 0, None, None, 0, None),
        (QUARTER, 6218, 6214, "99.9", 1652, 1321, "80.0", 7, "34000.0", 30600, "90.0", "17000.0", 13260, "78.0"),
    ]
    for row in rows:
        db.execute(
            "insert into reports.rpt_t11_trends values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (QUARTER, *row),
        )


def skew_the_sex_ratio(db):
    """A national sex ratio at birth outside the warning band 100-120 (but inside the blocking 90-130),
    coherent across the tables (a gate warning the public edition may carry): every province but 01
    and 04 105 boys, 85 girls (123.5; totals unchanged, so T3/T4 still agree); VN 32 × 105 + 3 + 50 =
    3413 boys, 32 × 85 + 40 + 45 = 2805 girls, 3413 / 2805 × 100 = 121.7."""
    db.execute(
        "update reports.rpt_t2_births_by_sex set male = 105, female = 85, sex_ratio_at_birth = 123.5 "
        "where quarter = %s and province_code not in ('01', '04', 'VN')",
        (QUARTER,),
    )
    db.execute(
        "update reports.rpt_t2_births_by_sex set male = 3413, female = 2805, sex_ratio_at_birth = 121.7 "
        "where quarter = %s and province_code = 'VN'",
        (QUARTER,),
    )
