"""Disclosure control over hand-made tables: primary and rate suppression, then complementary
suppression over linked tables, judged by the black-box audit (crvs.audit) on the CSV files as the
report writes them. Each leak is worked out by hand first, shown to be caught by the audit, then
fixed by the suppression."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from crvs.audit import audit_public_edition
from crvs.model_contracts import COUNT
from crvs.reference import province_codes
from crvs.report.disclosure import SUPPRESSED, protect_quarter
from crvs.report.formats import typed_rows, write_csv
from crvs.report.linkage import region_provinces
from crvs.report.tables import MOTHER_AGE_BANDS, REGION_ORDER, T1, T2, T3, T5, T8

X = SUPPRESSED
Q = "2025Q3"
REGIONS = list(REGION_ORDER[:-1])


def protect(table, rows):
    """One table on its own, by the quarter's suppression (its own relations only)."""
    return protect_quarter([(table, rows)]).published[table.code]


def publish(folder: Path, tables: list[tuple]) -> Path:
    """Write each (table, published rows) as the report writes its public CSVs."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables:
        write_csv(folder / table.csv_name, table, typed_rows(table, rows))
    return folder


def range_of(result, cell: str) -> tuple[float, float]:
    found = [r for r in result.ranges if str(r.cell) == cell]
    assert found, (cell, [str(r.cell) for r in result.ranges])
    return found[0].low, found[0].high


def assert_sound(table, rows, published):
    """Primary cells hidden, zeros and keys published, every other shown value the true one."""
    for original, shown in zip(rows, published):
        for column in table.columns:
            value, seen = original[column.name], shown[column.name]
            if column.kind == COUNT and value is not None and 1 <= value <= 4:
                assert seen == X, (table.code, column.name, original)
            elif column.kind == COUNT and value == 0:
                assert seen == 0, (table.code, column.name, original)  # an x is at least 1: never hide a zero
            elif seen != X:
                assert seen == value


# --- primary and rate suppression -----------------------------------------------------------------


def t2_row(province, male, female, unknown, ratio=None):
    total = male + female + unknown
    if ratio is None and female:
        ratio = f"{100 * male / female:.1f}"
    return {
        "quarter": Q,
        "province_code": province,
        "male": male,
        "female": female,
        "unknown": unknown,
        "total": total,
        "sex_ratio_at_birth": Decimal(ratio) if ratio is not None else None,
    }


def t8_row(
    province,
    births_on_time=900,
    birth_pct="90.0",
    deaths_on_time=400,
    expected_deaths="500.0",
    death_pct="80.0",
    live=800,
    registered=760,
    linkage="95.0",
    expected_births="1000.0",
):
    return {
        "quarter": Q,
        "province_code": province,
        "expected_births": Decimal(expected_births),
        "births_on_time": births_on_time,
        "birth_completeness_pct": Decimal(birth_pct),
        "expected_deaths": Decimal(expected_deaths),
        "deaths_on_time": deaths_on_time,
        "death_completeness_pct": Decimal(death_pct),
        "facility_live_births": live,
        "facility_births_registered": registered,
        "facility_linkage_pct": Decimal(linkage) if linkage else None,
    }


def test_primary_suppression_hides_counts_1_to_4_and_publishes_zero():
    rows = [
        {
            "quarter": Q,
            "province_code": "01",
            "event_type": "BIRTH",
            "reg_kind": "NEW",
            "timeliness": "ON_TIME",
            "registrations": 120,
            "foreign_element": 4,
        },
        {
            "quarter": Q,
            "province_code": "01",
            "event_type": "BIRTH",
            "reg_kind": "NEW",
            "timeliness": "LATE",
            "registrations": 5,
            "foreign_element": 0,
        },
        {
            "quarter": Q,
            "province_code": "04",
            "event_type": "DEATH",
            "reg_kind": "NEW",
            "timeliness": "ON_TIME",
            "registrations": 1,
            "foreign_element": 1,
        },
    ]
    published = protect(T1, rows)
    # T1 has no totals: a hidden cell is bounded only by foreign_element ≤ registrations (01's 4 of
    # 120 lie anywhere in [1, 120]; 04's 1 and 1 are unbounded above), so nothing more is hidden.
    assert [(r["registrations"], r["foreign_element"]) for r in published] == [(120, X), (5, 0), (X, X)]
    assert [r["timeliness"] for r in published] == ["ON_TIME", "LATE", "ON_TIME"]  # keys untouched


def test_rates_need_a_numerator_of_20_and_published_inputs():
    rows = [
        t8_row("01", deaths_on_time=19, death_pct="3.8"),  # numerator 19 → x; the count 19 is published
        t8_row("04", deaths_on_time=20, death_pct="4.0"),  # numerator 20 → published
        t8_row("08", live=0, registered=0, linkage=None),  # zero events: counts published, rate x
        t8_row(
            "VN",
            deaths_on_time=439,
            expected_deaths="1500.0",
            death_pct="29.3",
            live=1600,
            registered=1520,
            birth_pct="90.0",
            births_on_time=2700,
            expected_births="3000.0",
        ),
    ]
    published = protect(T8, rows)
    assert [r["deaths_on_time"] for r in published] == [19, 20, 400, 439]
    assert [r["death_completeness_pct"] for r in published] == [X, Decimal("4.0"), Decimal("80.0"), Decimal("29.3")]
    assert [(r["facility_live_births"], r["facility_births_registered"], r["facility_linkage_pct"]) for r in published][
        2
    ] == (0, 0, X)
    assert all(r["expected_births"] == row["expected_births"] for r, row in zip(published, rows))  # estimates


def test_sex_ratio_numerator_is_the_smaller_of_male_and_female():
    rows = [t2_row("01", 25, 19, 0, "131.6"), t2_row("04", 20, 22, 0, "90.9"), t2_row("VN", 45, 41, 0, "109.8")]
    assert [r["sex_ratio_at_birth"] for r in protect(T2, rows)] == [X, Decimal("90.9"), Decimal("109.8")]


# --- the T5 unknown column (the case) ---------------------------------------------------------

T5_REGIONS = {  # band 65-69: male, female, unknown. Published unknowns RRD 5 + NCC 6 + CHL 0 + SE 8 = 19.
    "NMM": (40, 19, 1),
    "RRD": (50, 45, 5),
    "NCC": (30, 28, 6),
    "CHL": (10, 12, 0),
    "SE": (70, 66, 8),
    "MRD": (35, 24, 1),
}


def t5_rows() -> list[dict]:
    """VN = the regions: male 235, female 194, unknown 21 (= 19 + NMM's 1 + MRD's 1), total 450."""

    def row(level, code, male, female, unknown):
        return {
            "quarter": Q,
            "geography_level": level,
            "geography_code": code,
            "age_band": "65-69",
            "male": male,
            "female": female,
            "unknown": unknown,
            "total": male + female + unknown,
        }

    sums = [sum(v[k] for v in T5_REGIONS.values()) for k in range(3)]
    assert sums == [235, 194, 21]
    return [row("NATIONAL", "VN", *sums)] + [row("REGION", r, *T5_REGIONS[r]) for r in REGIONS]


def test_t5_the_old_pattern_is_recovered_by_the_audit(tmp_path):
    """Yesterday's suppression hid each row's unknown and, as its complement, its female. The intruder:
    NMM + MRD unknown = 21 − 19 = 2 and each x ≥ 1, so both are 1; then NMM female = 60 − 40 − 1 = 19
    and MRD female = 60 − 35 − 1 = 24."""
    rows = t5_rows()
    old = [dict(r, female=X, unknown=X) if r["geography_code"] in ("NMM", "MRD") else r for r in rows]
    result = audit_public_edition(publish(tmp_path / "public", [(T5, old)]))
    assert not result.passed
    assert range_of(result, "T5 REGION/NMM/65-69 unknown") == (1, 1)
    assert range_of(result, "T5 REGION/NMM/65-69 female") == (19, 19)
    assert range_of(result, "T5 REGION/MRD/65-69 female") == (24, 24)


def test_t5_the_suppression_protects_the_unknown_column(tmp_path):
    rows = t5_rows()
    published = protect(T5, rows)
    assert_sound(T5, rows, published)
    result = audit_public_edition(publish(tmp_path / "public", [(T5, published)]))
    assert result.passed, result.lines()
    # Two unknowns of 1 in a column whose other cells are 0, 5, 6, 8: to let each reach 6, 5 more
    # must be able to leave other cells of the column — VN's unknown or a published one is hidden too.
    hidden_unknowns = [r["geography_code"] for r in published if r["unknown"] == X]
    assert len(hidden_unknowns) >= 3 and {"NMM", "MRD"} <= set(hidden_unknowns)


# --- a published ratio bounds its numerator -----------------------------------------------------------


def t8_rows() -> list[dict]:
    """Province 01: 1 death on time of 8.4 expected, 100 × 1 / 8.4 = 11.9 %; 04: 40 of 50.0 (80.0 %);
    08: 60 of 75.0 (80.0 %). VN: 101 of 133.4, 75.7 %. Births and facility births are large."""
    return [
        t8_row("01", deaths_on_time=1, expected_deaths="8.4", death_pct="11.9"),
        t8_row("04", deaths_on_time=40, expected_deaths="50.0", death_pct="80.0"),
        t8_row("08", deaths_on_time=60, expected_deaths="75.0", death_pct="80.0"),
        t8_row(
            "VN",
            births_on_time=2700,
            expected_births="3000.0",
            birth_pct="90.0",
            deaths_on_time=101,
            expected_deaths="133.4",
            death_pct="75.7",
            live=2400,
            registered=2280,
            linkage="95.0",
        ),
    ]


def test_a_published_rate_gives_its_hidden_numerator_back(tmp_path):
    """01's deaths on time hidden (and 04's beside it in the column), its rate left published:
    11.85 ≤ 100 · d / 8.4 < 11.95 gives 0.995 ≤ d ≤ 1.004, so d = 1."""
    rows = t8_rows()
    leaked = [dict(r, deaths_on_time=X) if r["province_code"] in ("01", "04") else r for r in rows]
    leaked[1]["death_completeness_pct"] = X
    result = audit_public_edition(publish(tmp_path / "public", [(T8, leaked)]))
    assert not result.passed
    assert range_of(result, "T8 01 deaths_on_time") == (1, 1)


def test_the_suppression_hides_the_rate_with_its_numerator(tmp_path):
    rows = t8_rows()
    published = protect(T8, rows)
    assert_sound(T8, rows, published)
    assert published[0]["death_completeness_pct"] == X and published[0]["deaths_on_time"] == X
    result = audit_public_edition(publish(tmp_path / "public", [(T8, published)]))
    assert result.passed, result.lines()


# --- T2 and T3 count the same births -----------------------------------------------------------------


def t2_t3_rows() -> tuple[list[dict], list[dict]]:
    """T2: every province 50 boys, 50 girls; T3: each region's births at 20-24 and 25-29 (half and
    half), except SE (75 and 79): 3 at 45-49 taken from 25-29. VN = the sums."""
    regions = region_provinces()
    t2 = [t2_row(p, 50, 50, 0) for p in province_codes("2025")]
    t2.append(t2_row("VN", 50 * len(t2), 50 * len(t2), 0))
    t3 = []
    for region in REGIONS:
        births = 100 * len(regions[region])
        bands = {"20-24": births // 2, "25-29": births - births // 2}
        if region == "SE":
            bands["25-29"] -= 3
            bands["45-49"] = 3
        t3 += [
            {"quarter": Q, "region_code": region, "mother_age_band": band, "births": bands.get(band, 0)}
            for band in MOTHER_AGE_BANDS
        ]
    t3 += [
        {
            "quarter": Q,
            "region_code": "VN",
            "mother_age_band": band,
            "births": sum(r["births"] for r in t3 if r["mother_age_band"] == band),
        }
        for band in MOTHER_AGE_BANDS
    ]
    assert sum(r["births"] for r in t3 if r["region_code"] == "VN") == t2[-1]["total"]
    return t2, t3


def test_t2_region_totals_give_a_t3_cell_back(tmp_path):
    """Protected as a table of its own, T3 hides SE's 3 at 45-49 and VN's 3 beside it in the 45-49
    column (together they can move by 5: no other cell of T3 adds up with them). But SE's births are
    T2's 75 and 79, 100 + 100 = 200, published, and SE's other bands publish 100 + 97: SE 45-49 = 3."""
    t2, t3 = t2_t3_rows()
    alone = protect(T3, t3)
    result = audit_public_edition(publish(tmp_path / "alone" / "public", [(T2, t2), (T3, alone)]))
    assert not result.passed
    low, high = range_of(result, "T3 SE/45-49 births")
    assert high - low < 5 and low <= 3 <= high


def test_the_suppression_over_t2_and_t3_together_holds(tmp_path):
    t2, t3 = t2_t3_rows()
    published = protect_quarter([(T2, t2), (T3, t3)]).published
    assert_sound(T3, t3, published["T3"])
    assert_sound(T2, t2, published["T2"])
    result = audit_public_edition(publish(tmp_path / "public", [(T2, published["T2"]), (T3, published["T3"])]))
    assert result.passed, result.lines()


# --- random tables -----------------------------------------------------------------------------------


def test_random_t2_tables_pass_the_audit(tmp_path):
    """Small counts frequent, in a full T2 (all provinces, VN with a few births of unknown residence)."""
    provinces = province_codes("2025")
    for seed in range(6):
        rng = random.Random(seed)
        rows = [t2_row(p, *(rng.choice([0, 0, 1, 2, 3, 4, 5, 7, 12, 30, 80]) for _ in range(3))) for p in provinces]
        unknown_residence = rng.choice([0, 3])
        rows.append(
            t2_row(
                "VN",
                sum(r["male"] for r in rows) + unknown_residence,
                sum(r["female"] for r in rows),
                sum(r["unknown"] for r in rows),
            )
        )
        published = protect(T2, rows)
        assert_sound(T2, rows, published)
        result = audit_public_edition(publish(tmp_path / str(seed) / "public", [(T2, published)]))
        assert result.passed, (seed, result.lines())
