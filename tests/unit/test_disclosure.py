"""Disclosure control over hand-made rows: primary, complementary and rate suppression, and an
attacker that tries to recover hidden cells by subtraction along every row and column total."""

from __future__ import annotations

import random
from decimal import Decimal

from crvs.report.disclosure import SUPPRESSED, protect, suppressed_cells
from crvs.report.tables import T1, T2, T8

X = SUPPRESSED


def t2_row(province, male, female, unknown, total, ratio=None):
    return {"quarter": "2025Q3", "province_code": province, "male": male, "female": female,
            "unknown": unknown, "total": total,
            "sex_ratio_at_birth": Decimal(ratio) if ratio is not None else None}


def t8_row(province, births_on_time=900, birth_pct="90.0", deaths_on_time=400, death_pct="80.0",
           live=800, registered=760, linkage="95.0"):
    return {"quarter": "2025Q3", "province_code": province, "expected_births": 1000,
            "births_on_time": births_on_time, "birth_completeness_pct": Decimal(birth_pct),
            "expected_deaths": 500, "deaths_on_time": deaths_on_time, "death_completeness_pct": Decimal(death_pct),
            "facility_live_births": live, "facility_births_registered": registered,
            "facility_linkage_pct": Decimal(linkage) if linkage is not None else None}


def test_primary_suppression_hides_counts_1_to_4_and_publishes_zero():
    rows = [
        {"quarter": "2025Q3", "province_code": "01", "event_type": "BIRTH", "reg_kind": "NEW",
         "timeliness": "ON_TIME", "registrations": 120, "foreign_element": 4},
        {"quarter": "2025Q3", "province_code": "01", "event_type": "BIRTH", "reg_kind": "NEW",
         "timeliness": "LATE", "registrations": 5, "foreign_element": 0},
        {"quarter": "2025Q3", "province_code": "04", "event_type": "DEATH", "reg_kind": "NEW",
         "timeliness": "ON_TIME", "registrations": 1, "foreign_element": 1},
    ]
    published = protect(T1, rows)
    assert [(r["registrations"], r["foreign_element"]) for r in published] == [(120, X), (5, 0), (X, X)]
    assert [r["timeliness"] for r in published] == ["ON_TIME", "LATE", "ON_TIME"]  # keys untouched


def test_rates_need_a_numerator_of_20_and_published_inputs():
    rows = [
        t8_row("01", deaths_on_time=19, death_pct="3.8"),      # numerator 19 → x; the count 19 is published
        t8_row("04", deaths_on_time=20, death_pct="4.0"),      # numerator 20 → published
        t8_row("08", live=0, registered=0, linkage=None),      # zero events: counts published, rate x
        t8_row("VN", deaths_on_time=439, death_pct="29.3", live=1600, registered=1520),
    ]
    published = protect(T8, rows)
    assert [r["deaths_on_time"] for r in published] == [19, 20, 400, 439]
    assert [r["death_completeness_pct"] for r in published] == [X, Decimal("4.0"), Decimal("80.0"), Decimal("29.3")]
    assert [(r["facility_live_births"], r["facility_births_registered"], r["facility_linkage_pct"])
            for r in published][2] == (0, 0, X)
    assert all(r["expected_births"] == 1000 for r in published)  # estimates are never suppressed


def test_sex_ratio_numerator_is_the_smaller_of_male_and_female():
    rows = [
        t2_row("01", 25, 19, 0, 44, "131.6"),   # female 19 < 20 → x
        t2_row("04", 20, 22, 0, 42, "90.9"),    # min 20 → published
        t2_row("VN", 45, 41, 0, 86, "109.8"),
    ]
    assert [r["sex_ratio_at_birth"] for r in protect(T2, rows)] == [X, Decimal("90.9"), Decimal("109.8")]


def test_complementary_suppression_worked_by_hand():
    rows = [
        t2_row("A", 2, 30, 0, 32, "6.7"),
        t2_row("B", 40, 35, 1, 76, "114.3"),
        t2_row("C", 60, 50, 0, 110, "120.0"),
        t2_row("VN", 102, 115, 1, 218, "88.7"),
    ]
    # Primary: A.male=2, B.unknown=1, VN.unknown=1. Row A then hides its smallest non-zero part
    # (female 30; unknown is 0), row B its smallest (female 35), row VN its smallest (male 102).
    # Columns: male A,VN; female A,B; unknown B,VN — two each, so nothing more.
    assert suppressed_cells(T2, rows) == {
        (0, "male"), (0, "female"), (0, "sex_ratio_at_birth"),
        (1, "female"), (1, "unknown"), (1, "sex_ratio_at_birth"),
        (3, "male"), (3, "unknown"), (3, "sex_ratio_at_birth"),
    }
    published = protect(T2, rows)
    assert published[2] == rows[2]  # C untouched, its ratio included (min(60, 50) ≥ 20)
    assert recovered_by_subtraction(published) == {}


def recovered_by_subtraction(published: list[dict]) -> dict:
    """The attacker: along every row (male + female + unknown = total) and every column (provinces =
    VN), solve any line with a single unknown, repeat until stuck. Returns the cells it recovered."""
    counts = ["male", "female", "unknown", "total"]
    known = {(i, c): r[c] for i, r in enumerate(published) for c in counts if r[c] != X}
    national = next(i for i, r in enumerate(published) if r["province_code"] == "VN")
    provinces = [i for i in range(len(published)) if i != national]
    lines = [([(i, "male"), (i, "female"), (i, "unknown")], (i, "total")) for i in range(len(published))]
    lines += [([(i, c) for i in provinces], (national, c)) for c in counts]
    recovered = {}
    progress = True
    while progress:
        progress = False
        for parts, total in lines:
            unknown = [cell for cell in [*parts, total] if cell not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            value = (sum(known[p] for p in parts) if cell == total
                     else known[total] - sum(known[p] for p in parts if p != cell))
            known[cell] = recovered[cell] = value
            progress = True
    return recovered


def test_the_attacker_recovers_cells_when_only_primary_suppression_is_applied():
    rows = [t2_row("A", 2, 30, 0, 32), t2_row("B", 40, 35, 0, 75), t2_row("VN", 42, 65, 0, 107)]
    only_primary = [dict(r, male=X) if r["province_code"] == "A" else r for r in rows]
    assert recovered_by_subtraction(only_primary) == {(0, "male"): 2}


def test_no_suppressed_cell_is_recoverable_in_random_tables():
    for seed in range(200):
        rng = random.Random(seed)
        rows = []
        for n in range(rng.randint(2, 12)):
            male, female, unknown = (rng.choice([0, 0, 1, 2, 3, 4, 5, 7, 12, 30, 80]) for _ in range(3))
            rows.append(t2_row(f"{n:02d}", male, female, unknown, male + female + unknown))
        rows.append(t2_row("VN", *(sum(r[c] for r in rows) for c in ("male", "female", "unknown", "total"))))
        published = protect(T2, rows)
        for original, shown in zip(rows, published):
            for c in ("male", "female", "unknown", "total"):
                if 1 <= original[c] <= 4:
                    assert shown[c] == X, (seed, original)
                if original[c] == 0 and shown[c] != X:
                    assert shown[c] == 0
        assert recovered_by_subtraction(published) == {}, seed


# --- the checker: a linear-programming attacker over every declared total, for every table -------

from disclosure_checker import recoverable  # noqa: E402

from crvs.report.chart_tables import CHART_TABLES  # noqa: E402
from crvs.report.tables import COUNT, ESTIMATE, KEY, REPORT_TABLES  # noqa: E402


SMALL_VALUES = [0, 0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 19, 20, 25, 60, 300]


def random_rows(table, rng):
    """A table's rows with random counts, its declared totals made to add up."""
    ct = table.column_total
    units = [f"{n:02d}" for n in range(rng.randint(1, 7))] if ct else [None]
    groups = ["a", "b"] if ct and len([k for k in table.key_names if k != ct.key]) > 1 else ["a"]
    rows = []
    for group in groups:
        block = []
        for unit in units + ([ct.total_code] if ct else []):
            row = {}
            for column in table.columns:
                if column.kind == KEY:
                    row[column.name] = unit if ct and column.name == ct.key else f"{column.name}-{group}"
                elif column.kind == COUNT:
                    row[column.name] = rng.choice(SMALL_VALUES)
                elif column.kind == ESTIMATE:
                    row[column.name] = Decimal("1000.0")
                else:
                    row[column.name] = Decimal("50.0")
            block.append(row)
        for rt in table.row_totals:
            for row in block:
                row[rt.total] = sum(row[p] for p in rt.parts)
        if ct:
            for column in ct.columns:
                block[-1][column] = sum(row[column] for row in block[:-1])
            for rt in table.row_totals:  # the national row's totals again, from its summed parts
                block[-1][rt.total] = sum(block[-1][p] for p in rt.parts)
        rows += block
    return rows


def test_the_checker_catches_a_cell_left_alone_in_a_row():
    rows = [t2_row("A", 2, 30, 0, 32), t2_row("B", 40, 35, 0, 75), t2_row("VN", 42, 65, 0, 107)]
    only_primary = [dict(r, male=X, sex_ratio_at_birth=X) if r["province_code"] == "A" else r for r in rows]
    assert recoverable(T2, only_primary) == {(0, "male"): 2}
    with_ratio = [dict(r, male=X, sex_ratio_at_birth=Decimal("6.7")) if r["province_code"] == "A" else r
                  for r in rows]
    assert recoverable(T2, with_ratio)[(0, "sex_ratio_at_birth")] == "rate published with a hidden input"


def test_the_checker_catches_what_one_line_at_a_time_cannot():
    # Row A and column female each hold two hidden cells; only solving the lines together (or in
    # turn) gives the values back.
    rows = [t2_row("A", 2, 10, 0, 12), t2_row("B", 20, 3, 0, 23), t2_row("VN", 22, 13, 0, 35)]
    shown = [dict(rows[0], male=X, female=X, sex_ratio_at_birth=X), dict(rows[1], female=X, sex_ratio_at_birth=X),
             dict(rows[2])]
    # Row B alone gives B.female = 3; then column female gives A.female = 10; then row A gives A.male.
    assert recoverable(T2, shown) == {(0, "male"): 2, (0, "female"): 10, (1, "female"): 3}
    # A hidden zero-sum pair is recovered too: both must be 0 when the line leaves nothing for them.
    zeros = [t2_row("A", 0, 5, 0, 5), t2_row("VN", 0, 5, 0, 5)]
    hidden = [dict(zeros[0], male=X, unknown=X, sex_ratio_at_birth=X), dict(zeros[1])]
    assert recoverable(T2, hidden) == {(0, "male"): 0, (0, "unknown"): 0}


def test_no_suppressed_cell_can_be_recovered_in_any_table():
    """The public rules against the checker: every table of the report and every chart model, many
    random tables each, small counts frequent."""
    for table in (*REPORT_TABLES, *CHART_TABLES):
        for seed in range(120):
            rows = random_rows(table, random.Random(f"{table.code}-{seed}"))
            published = protect(table, rows)
            for original, shown in zip(rows, published):
                for column in table.of_kind(COUNT):
                    if 1 <= original[column.name] <= 4:
                        assert shown[column.name] == X, (table.code, seed, column.name)
                    elif shown[column.name] != X:
                        assert shown[column.name] == original[column.name]
            assert recoverable(table, published) == {}, (table.code, seed)
