"""T10 (completeness within the legal period, 1 and 5 years, by sex and region) through the
black-box disclosure audit and through the suppression, on hand-made public files. Every figure is
worked out by hand in the docstrings, from report.md's intruder; none is copied from the code."""

from __future__ import annotations

import csv
from pathlib import Path

from crvs.audit import audit_public_edition
from crvs.audit.text import Published, unexplained_numbers
from crvs.report.disclosure import SUPPRESSED, protect_quarter
from crvs.report.tables import T10

Q = "2025Q3"
REGIONS = ("NMM", "RRD", "NCC", "CHL", "SE", "MRD")
HEADER = list(c.name for c in T10.columns)
KEY = ("LEGAL", "2025Q2", "BIRTH")


def t10_rows(cells: dict[str, tuple]) -> list[list]:
    """One (time limit, event): each region's and VN's male, female, unknown, total; no expectation
    (so no percentage): the counts alone are what the intruder works with."""
    return [
        [Q, *KEY, region, "COMPLETE", "", "", "", *map(str, cells[region]), "", "", ""] for region in (*REGIONS, "VN")
    ]


def write(folder: Path, rows: list[list]) -> Path:
    folder.mkdir(parents=True)
    with (folder / "T10_completeness_by_period.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return folder


def cell(region: str, column: str) -> str:
    return f"T10 {'/'.join(KEY)}/{region}/COMPLETE {column}"


def range_of(result, name: str) -> tuple[float, float]:
    found = [r for r in result.ranges if str(r.cell) == name]
    assert found, f"{name} is not among {[str(r.cell) for r in result.ranges]}"
    return found[0].low, found[0].high


PUBLISHED = {
    "NMM": (40, 38, 0, 78),
    "NCC": (30, 31, 0, 61),
    "CHL": (12, 10, 0, 22),
    "SE": (70, 66, 0, 136),
    "MRD": (35, 33, 0, 68),
}


def test_a_sex_cell_given_by_the_total_minus_the_other_sexes_is_found(tmp_path):
    """RRD: male x, female 30, unknown 0, total 55 ⇒ male = 55 − 30 − 0 = 25, range 0: a leak."""
    cells = PUBLISHED | {"RRD": ("x", 30, 0, 55), "VN": (212, 208, 0, 420)}
    result = audit_public_edition(write(tmp_path / "public", t10_rows(cells)))

    assert range_of(result, cell("RRD", "registered_male")) == (25, 25)
    assert ("range", cell("RRD", "registered_male")) in {(f.kind, f.where) for f in result.findings}
    assert not result.passed


def test_both_sexes_hidden_in_a_row_still_leak_through_vn_minus_the_other_regions(tmp_path):
    """RRD: male x, female x, unknown 0, total 55; VN 212 males = 187 published + RRD's, so RRD male ≥ … and
    VN total 420 = Σ regions' totals (78 + 55 + 61 + 22 + 136 + 68 = 420): no event of unknown residence, so
    every remainder is 0 ⇒ RRD male = 212 − (40 + 30 + 12 + 70 + 35) = 25, female = 208 − 178 = 30."""
    cells = PUBLISHED | {"RRD": ("x", "x", 0, 55), "VN": (212, 208, 0, 420)}
    result = audit_public_edition(write(tmp_path / "public", t10_rows(cells)))

    assert range_of(result, cell("RRD", "registered_male")) == (25, 25)
    assert range_of(result, cell("RRD", "registered_female")) == (30, 30)
    assert not result.passed


def test_four_hidden_cells_in_two_rows_and_two_columns_are_safe(tmp_path):
    """RRD (25, 30, 0, 55) and SE (70, 66, 0, 136) each with male and female hidden. RRD male = t:
    SE male = 95 − t, RRD female = 55 − t, SE female = 136 − (95 − t) = 41 + t; all ≥ 1 ⇒ t ∈ [1, 54]."""
    cells = PUBLISHED | {"RRD": ("x", "x", 0, 55), "SE": ("x", "x", 0, 136), "VN": (212, 208, 0, 420)}
    result = audit_public_edition(write(tmp_path / "public", t10_rows(cells)))

    assert range_of(result, cell("RRD", "registered_male")) == (1, 54)
    assert range_of(result, cell("SE", "registered_female")) == (42, 95)
    assert result.findings == []
    assert result.passed


def test_the_suppression_protects_t10_against_that_intruder(tmp_path):
    """The agency rows: RRD's 3 girls (1–4) must go, and with them enough that neither the row nor the
    column gives them back; the audit of the written file then finds every range at least 5 wide."""
    agency = {
        "NMM": (40, 38, 0, 78),
        "RRD": (52, 3, 0, 55),
        "NCC": (30, 31, 0, 61),
        "CHL": (12, 10, 0, 22),
        "SE": (70, 66, 0, 136),
        "MRD": (35, 33, 0, 68),
        "VN": (239, 181, 0, 420),
    }
    names = ("registered_male", "registered_female", "registered_unknown", "registered")
    rows = [
        dict(zip(HEADER, [Q, *KEY, region, "COMPLETE", None, None, None, *agency[region], None, None, None]))
        for region in (*REGIONS, "VN")
    ]
    protected = protect_quarter([(T10, rows)])
    published = protected.published["T10"]
    rrd = next(r for r in published if r["region_code"] == "RRD")
    assert rrd["registered_female"] == SUPPRESSED
    hidden_in_rrd = [n for n in names if rrd[n] == SUPPRESSED]
    assert len(hidden_in_rrd) >= 2, rrd
    out = [[("" if r[c] is None else str(r[c])) for c in HEADER] for r in published]
    result = audit_public_edition(write(tmp_path / "public", out))
    assert result.passed, [str(f) for f in result.findings]


def test_the_time_limits_are_words_of_the_definition_but_an_unpublished_figure_is_not():
    """'trong vòng 1 năm', '5 năm', '365 ngày', '1825 ngày' and '60 ngày' are T10's definition; 37 is no
    figure of the (empty) tables, nor is '7 năm' a time limit of the report, nor '5' without its years."""
    known = Published(frozenset())
    definition = (
        "Thời hạn luật định (trong vòng 60 ngày), trong vòng 1 năm (365 ngày), trong vòng\n5 năm (1825 ngày). "
        "Đã đăng ký 1 năm Quý 3/2024 Toàn quốc; 5 năm Quý 3/2020"
    )
    assert unexplained_numbers(definition, known) == []
    assert unexplained_numbers(definition + " Trong vòng 5 năm: 37 khai sinh.", known) == ["37"]
    assert unexplained_numbers("quá hạn 7 năm", known) == ["7"]
    assert unexplained_numbers("Đã đăng ký: 5 khai sinh", known) == ["5"]
