"""The black-box disclosure audit (crvs/report/audit.py) on hand-made public editions written to real
files: CSVs, a workbook written with openpyxl, a PDF written with fpdf2. Every figure below is worked
out by hand in the test's docstring, from report.md's intruder; none is copied from the audit."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from fpdf import FPDF
from openpyxl import Workbook

from crvs.audit import AuditError, audit_public_edition

CRVS = str(Path(sys.executable).with_name("crvs"))
Q = "2025Q3"
REGIONS = ("NMM", "RRD", "NCC", "CHL", "SE", "MRD")

T2_HEADER = ["quarter", "province_code", "male", "female", "unknown", "total", "sex_ratio_at_birth"]
T3_HEADER = ["quarter", "region_code", "mother_age_band", "births"]
T5_HEADER = ["quarter", "geography_level", "geography_code", "age_band", "male", "female", "unknown", "total"]
T8_HEADER = [
    "quarter",
    "province_code",
    "expected_births",
    "births_on_time",
    "birth_completeness_pct",
    "expected_deaths",
    "deaths_on_time",
    "death_completeness_pct",
    "facility_live_births",
    "facility_births_registered",
    "facility_linkage_pct",
]


def write_csv(folder: Path, name: str, header: list[str], rows: list[list]) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([Q, *row] for row in rows)


def write_workbook(folder: Path, notes: list[str], sheets: dict[str, tuple[list[str], list[list]]]) -> None:
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Civil registration and vital statistics: quarterly report"])
    cover.append(["Quarter", Q])
    notes_sheet = book.create_sheet("Notes")
    notes_sheet.append(["Symbol x", None, "suppressed: a count from 1 to 4, or a rate whose numerator is below 20"])
    for line in notes:
        notes_sheet.append(["Warning", None, line])
    for name, (header, rows) in sheets.items():
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append([Q, *[_typed(v) for v in row]])
    book.save(folder / f"crvs_{Q}_public.xlsx")


def _typed(v):
    if isinstance(v, str) and v.replace(".", "", 1).isdigit():
        return float(v) if "." in v else int(v)
    return None if v == "" else v


def write_pdf(folder: Path, lines: list[str]) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", size=10)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(folder / f"crvs_{Q}_report.pdf"))


def t5_rows(vn_unknown: int) -> list[list]:
    """T5, band 65-69. Published unknowns of RRD, NCC, CHL, SE: 5 + 6 + 0 + 8 = 19; NMM and MRD hidden.
    Male: 40 + 50 + 30 + 10 + 70 + 35 = 235. Female (NMM 19 and MRD 24 hidden): 19 + 45 + 28 + 12 + 66 + 24 = 194.
    VN total = 235 + 194 + vn_unknown."""
    regions = {
        "NMM": ["40", "x", "x", "60"],
        "RRD": ["50", "45", "5", "100"],
        "NCC": ["30", "28", "6", "64"],
        "CHL": ["10", "12", "0", "22"],
        "SE": ["70", "66", "8", "144"],
        "MRD": ["35", "x", "x", "60"],
    }
    vn = ["235", "194", str(vn_unknown), str(235 + 194 + vn_unknown)]
    return [["NATIONAL", "VN", "65-69", *vn]] + [["REGION", r, "65-69", *regions[r]] for r in REGIONS]


def public_edition(folder: Path, t5_vn_unknown: int, notes: list[str] = (), pdf_lines: list[str] = ()) -> Path:
    folder.mkdir(parents=True)
    rows = t5_rows(t5_vn_unknown)
    write_csv(folder, "T5_deaths_by_age_sex.csv", T5_HEADER, rows)
    write_workbook(folder, list(notes), {"T5_deaths_by_age_sex": (T5_HEADER, rows)})
    deaths = 235 + 194 + t5_vn_unknown  # VN's published total
    write_pdf(
        folder, [f"Civil registration statistics {Q}, quý 3/2025", f"Deaths (T5): {deaths}", *pdf_lines, "trang 1/1"]
    )
    return folder


def range_of(result, cell: str) -> tuple[float, float]:
    found = [r for r in result.ranges if str(r.cell) == cell]
    assert found, f"{cell} is not among the audited cells {[str(r.cell) for r in result.ranges]}"
    return found[0].low, found[0].high


def crvs_audit(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CRVS, "-q", "audit-disclosure", str(folder)], capture_output=True, text=True, timeout=120)


def test_t5_unknown_column_two_x_in_a_remainder_of_2_are_both_1_and_each_female_follows(tmp_path):
    """The issue's case. VN unknown 21, the four published regions give 19, so NMM + MRD ≤ 21 − 19 = 2
    (VN may also count unknown residence: ≥, not =), each ≥ 1 ⇒ both exactly 1. Then each row's total:
    NMM female = 60 − 40 − 1 = 19, MRD female = 60 − 35 − 1 = 24."""
    result = audit_public_edition(public_edition(tmp_path / "q" / "public", t5_vn_unknown=21))

    assert range_of(result, "T5 REGION/NMM/65-69 unknown") == (1, 1)
    assert range_of(result, "T5 REGION/MRD/65-69 unknown") == (1, 1)
    assert range_of(result, "T5 REGION/NMM/65-69 female") == (19, 19)
    assert range_of(result, "T5 REGION/MRD/65-69 female") == (24, 24)
    assert not result.passed
    assert {f.where for f in result.findings if f.kind == "range"} == {
        "T5 REGION/NMM/65-69 unknown",
        "T5 REGION/MRD/65-69 unknown",
        "T5 REGION/NMM/65-69 female",
        "T5 REGION/MRD/65-69 female",
    }
    assert result.tables["T5"].hidden == 4
    assert result.tables["T5"].narrowest.width == 0
    unknown = next(f.detail for f in result.findings if f.where == "T5 REGION/NMM/65-69 unknown")
    assert "T5 65-69: VN unknown ≥ Σ parts" in unknown and "x ≥ 1 (zero is published)" in unknown


def test_a_safe_table_passes_with_every_range_at_least_5(tmp_path):
    """VN unknown 31: NMM + MRD unknown ≤ 31 − 19 = 12, each ≥ 1 ⇒ each ∈ [1, 11] (range 10).
    NMM female = 60 − 40 − unknown ∈ [9, 19]; MRD female = 60 − 35 − unknown ∈ [14, 24] (range 10).
    (VN female 194 ≥ 151 + (20 − u1) + (25 − u2) only says u1 + u2 ≥ 2.) Nothing under 5; the texts
    carry only published figures (VN total 235 + 194 + 31 = 460) and the document's furniture."""
    folder = tmp_path / "q"
    public = public_edition(folder / "public", t5_vn_unknown=31)
    write_pdf(
        public,
        [
            f"Civil registration statistics {Q}, quý 3/2025",
            "Deaths registered (T5): 460",
            "Deaths on time (≤ 15 ngày), 6 regions report a warning; see the agency edition",
            "trang 1/1",
        ],
    )
    result = audit_public_edition(folder)

    assert range_of(result, "T5 REGION/NMM/65-69 unknown") == (1, 11)
    assert range_of(result, "T5 REGION/MRD/65-69 unknown") == (1, 11)
    assert range_of(result, "T5 REGION/NMM/65-69 female") == (9, 19)
    assert range_of(result, "T5 REGION/MRD/65-69 female") == (14, 24)
    assert result.findings == []
    assert result.passed
    run = crvs_audit(folder)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "T5: 4 hidden; narrowest T5 REGION/" in run.stdout


def test_a_published_rate_bounds_its_hidden_numerator(tmp_path):
    """T8 province 12: death_completeness_pct 11.9 with expected_deaths 8.4 (itself rounded: 8.35–8.45).
    100 · on_time ∈ [11.85 · 8.35, 11.95 · 8.45] = [98.9475, 100.9775] ⇒ on_time ∈ [0.99, 1.01] ⇒ 1."""
    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(
        folder,
        "T8_completeness.csv",
        T8_HEADER,
        [["12", "20.0", "25", "125.0", "8.4", "x", "11.9", "30", "25", "83.3"]],
    )
    result = audit_public_edition(folder)

    assert range_of(result, "T8 12 deaths_on_time") == (1, 1)
    kinds = {(f.kind, f.where) for f in result.findings}
    assert ("range", "T8 12 deaths_on_time") in kinds
    # and the rule itself is broken: a rate on a numerator below 20 was published
    assert any(f.kind == "primary" and "death_completeness_pct" in f.detail for f in result.findings)
    assert crvs_audit(folder).returncode == 1


def test_t2_and_t3_count_the_same_births_so_t2_region_totals_recover_t3_cells(tmp_path):
    """CHL = provinces 66 and 68 (seed province_regions: the 2025 provinces that kept a CHL code).
    T2: 66 → 100 + 90 + 0 = 190, 68 → 105 + 93 + 0 = 198: CHL has 388 births.
    T3 CHL: 40 + 100 + 120 + 80 + 30 + 10 + 5 + 0 = 385 published, <15 and 50+ hidden ⇒ their sum is 3:
    each ∈ [1, 2]. T3 alone (no VN row, no T2) proves nothing: both unbounded."""
    folder = tmp_path / "public"
    folder.mkdir()
    t3 = [
        ["CHL", band, births]
        for band, births in (
            ("<15", "x"),
            ("15-19", "40"),
            ("20-24", "100"),
            ("25-29", "120"),
            ("30-34", "80"),
            ("35-39", "30"),
            ("40-44", "10"),
            ("45-49", "5"),
            ("50+", "x"),
            ("UNKNOWN", "0"),
        )
    ]
    write_csv(folder, "T3_births_by_mother_age.csv", T3_HEADER, t3)
    alone = audit_public_edition(folder)
    assert range_of(alone, "T3 CHL/<15 births") == (1, float("inf"))
    assert alone.passed

    write_csv(
        folder,
        "T2_births_by_sex.csv",
        T2_HEADER,
        [["66", "100", "90", "0", "190", "111.1"], ["68", "105", "93", "0", "198", "112.9"]],
    )
    linked = audit_public_edition(folder)
    assert range_of(linked, "T3 CHL/<15 births") == (1, 2)
    assert range_of(linked, "T3 CHL/50+ births") == (1, 2)
    assert not linked.passed
    # the finding names the knowledge that proves it
    assert "CHL: T2 births = T3 births" in next(f.detail for f in linked.findings if f.where == "T3 CHL/<15 births")
    assert crvs_audit(folder).returncode == 1


def test_a_value_in_the_workbook_notes_fails_the_edition(tmp_path):
    """The issue's warning, printed verbatim: `region_code=SE, under_legal_age=4`; its "1 row(s)" is a
    count of rows, which T5 does not publish either."""
    folder = public_edition(
        tmp_path / "public",
        t5_vn_unknown=31,
        notes=["rpt_t7_marriages_by_age: no spouse under the legal age — 1 row(s): region_code=SE, under_legal_age=4"],
    )
    result = audit_public_edition(folder)

    texts = [f for f in result.findings if f.kind == "text"]
    assert len(texts) == 2
    assert all(t.table == f"crvs_{Q}_public.xlsx" and t.where.startswith("sheet Notes row 2") for t in texts)
    assert "under_legal_age=4" in texts[0].detail
    assert texts[1].detail == "numbers that are not figures of the published tables: 1"
    run = crvs_audit(tmp_path)
    assert run.returncode == 1
    assert "under_legal_age=4" in run.stdout


def test_a_number_in_the_pdf_that_no_table_publishes_fails_but_the_documents_furniture_does_not(tmp_path):
    """'one named birth: 1 birth, youngest 51' – 1 and 51 are not figures of T5 (which publishes 0, 5, 6, 8,
    10 … and its 7 rows); the headline 7.552 (Vietnamese thousands) is not one either. Dates, the quarter,
    T5, '≤ 60 ngày', 'trang 1/1', the age band 65-69, '1 to 4' and a map's number (Bản đồ 3) are the
    document's own."""
    folder = public_edition(
        tmp_path / "public",
        t5_vn_unknown=31,
        pdf_lines=[
            "Marriages registered in the quarter 7.552",
            "In one province: 1 birth, youngest 51",
            "Report of 2025-10-15; births on time (<= 60 ngay); band 65-69; x = a count from 1 to 4; Bản đồ 3",
        ],
    )
    result = audit_public_edition(folder)

    texts = [f for f in result.findings if f.kind == "text"]
    assert len(texts) == 1 and texts[0].where == "page 1"
    assert texts[0].detail == "numbers that are not figures of the published tables: 7.552, 1, 51"


def test_a_workbook_sheet_that_shows_a_hidden_cell_fails(tmp_path):
    folder = public_edition(tmp_path / "public", t5_vn_unknown=31)
    rows = t5_rows(31)
    rows[1][5] = "1"  # NMM unknown: x in the CSV, 1 in the sheet
    write_workbook(folder, [], {"T5_deaths_by_age_sex": (T5_HEADER, rows)})
    result = audit_public_edition(folder)

    assert [(f.kind, f.where) for f in result.findings] == [
        ("workbook", f"crvs_{Q}_public.xlsx sheet T5_deaths_by_age_sex row 3 unknown")
    ]


def test_a_folder_without_tables_is_refused_with_a_reason(tmp_path):
    with pytest.raises(AuditError, match="holds no published table"):
        audit_public_edition(tmp_path)
    run = crvs_audit(tmp_path)
    assert run.returncode == 2
    assert "holds no published table (T*.csv)" in run.stderr


def test_the_audit_shares_no_code_with_the_suppression():
    """Black box: importing the audit loads no module of crvs.report (the disclosure control, the tables)."""
    probe = (
        "import sys, crvs.audit, crvs.audit.text; "
        "print(sorted(m for m in sys.modules if m == 'crvs.report' or m.startswith('crvs.report.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert loaded.stdout.strip() == "[]"


def test_the_audit_reads_the_columns_from_the_contract_and_refuses_a_number_it_does_not_know():
    """The columns' names and order are the dbt contract's; what is a count, estimate or rate is the
    intruder's own: a numeric column it does not name would be read as a label and escape the audit."""
    from crvs.audit.intruder import SHAPES, Shape
    from crvs.model_contracts import contract_columns

    t1 = SHAPES["T1"]
    assert t1.columns == tuple(c.name for c in contract_columns("rpt_t1_registrations"))
    assert t1.keys == ("quarter", "province_code", "event_type", "reg_kind", "timeliness")
    with pytest.raises(AuditError, match="does not know column foreign_element of rpt_t1_registrations"):
        Shape("T1", "T1_registrations.csv", "rpt_t1_registrations", ("registrations",))
    with pytest.raises(AuditError, match="the contract of rpt_t1_registrations has no column births"):
        Shape("T1", "T1_registrations.csv", "rpt_t1_registrations", ("registrations", "foreign_element", "births"))


@pytest.mark.parametrize(("vn_unknown", "high", "passes"), [(25, 5, False), (26, 6, True)])
def test_differ_by_at_least_5_means_high_minus_low_at_least_5(tmp_path, vn_unknown, high, passes):
    """NMM + MRD unknown ≤ vn_unknown − 19, each ≥ 1 ⇒ each ∈ [1, vn_unknown − 20]: [1, 5] (5 − 1 = 4,
    fails, as issue 12 counts `unknown ∈ [1, 5]`) or [1, 6] (passes)."""
    result = audit_public_edition(public_edition(tmp_path / "public", t5_vn_unknown=vn_unknown))

    assert range_of(result, "T5 REGION/NMM/65-69 unknown") == (1, high)
    assert result.passed is passes


def _seed_regions() -> dict[str, str]:
    """The region of each 2025 province, read straight from the seeds (the documented rule)."""
    seeds = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
    with (seeds / "admin_provinces.csv").open(encoding="utf-8") as f:
        codes = {r["province_code"] for r in csv.DictReader(f) if r["code_version"] == "2025"}
    with (seeds / "province_regions.csv").open(encoding="utf-8") as f:
        return {
            r["province_code"]: r["region_code"]
            for r in csv.DictReader(f)
            if r["code_version"] == "PRE2025" and r["province_code"] in codes
        }


def _pct(num: int, den: int) -> str:
    from decimal import ROUND_HALF_UP, Decimal

    return "" if den == 0 else str((Decimal(100 * num) / Decimal(den)).quantize(Decimal("0.1"), ROUND_HALF_UP))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_intruder_never_proves_a_false_bound(tmp_path, seed):
    """Soundness: random births and deaths (some of unknown residence), counted into T2, T3, T5, T6 as
    report.md says, small counts hidden and one more cell per row: every true value lies within the
    range the audit proves, and the tables never contradict its model."""
    import random

    rng = random.Random(seed)
    regions = _seed_regions()
    provinces = sorted(regions)
    bands3 = ["<15", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50+", "UNKNOWN"]
    bands5 = [
        "<1",
        "1-4",
        "5-9",
        "10-14",
        "15-19",
        "20-24",
        "25-29",
        "30-34",
        "35-39",
        "40-44",
        "45-49",
        "50-54",
        "55-59",
        "60-64",
        "65-69",
        "70-74",
        "75-79",
        "80-84",
        "85+",
        "UNKNOWN",
    ]
    sexes = ["male", "female", "unknown"]
    sex_weights = [50, 47, 3]

    def place():
        return None if rng.random() < 0.01 else rng.choice(provinces)

    births = [(place(), rng.choices(sexes, sex_weights)[0], rng.choice(bands3)) for _ in range(3000)]
    deaths = [
        (
            place(),
            rng.choices(sexes, sex_weights)[0],
            rng.choice(bands5),
            rng.random() < 0.7,
            rng.random() < 0.75,
            rng.random() < 0.5,
            rng.random() < 0.15,
        )
        for _ in range(1500)
    ]

    truth = {}

    def cell(table, key, column, value):
        truth[(table, key, column)] = value
        return value

    t2 = []
    for code in [*provinces, "VN"]:
        mine = [b for b in births if code == "VN" or b[0] == code]
        m, f, u = (sum(b[1] == s for b in mine) for s in sexes)
        t2.append(
            [
                code,
                *(cell("T2", (code,), c, v) for c, v in zip(sexes, (m, f, u))),
                cell("T2", (code,), "total", m + f + u),
                _pct(m, f),
            ]
        )
    t3 = []
    for geo in [*sorted(set(regions.values())), "VN"]:
        for band in bands3:
            n = sum(1 for b in births if b[2] == band and (geo == "VN" or (b[0] and regions[b[0]] == geo)))
            t3.append([geo, band, cell("T3", (geo, band), "births", n)])
    t5 = []
    for level, geo in [("NATIONAL", "VN"), *(("REGION", r) for r in sorted(set(regions.values())))]:
        for band in bands5:
            mine = [d for d in deaths if d[2] == band and (geo == "VN" or (d[0] and regions[d[0]] == geo))]
            m, f, u = (sum(d[1] == s for d in mine) for s in sexes)
            t5.append(
                [
                    level,
                    geo,
                    band,
                    *(cell("T5", (level, geo, band), c, v) for c, v in zip(sexes, (m, f, u))),
                    cell("T5", (level, geo, band), "total", m + f + u),
                ]
            )
    t6 = []
    for code in [*provinces, "VN"]:
        mine = [d for d in deaths if code == "VN" or d[0] == code]
        n = len(mine)
        on_time = sum(d[3] for d in mine)
        with_cause = sum(d[4] for d in mine)
        certified = sum(d[4] and d[5] for d in mine)
        ill = sum(d[4] and d[6] for d in mine)
        t6.append(
            [code, n, on_time, _pct(on_time, n), with_cause, certified, _pct(certified, n), ill, _pct(ill, with_cause)]
        )
        for column, v in zip(
            ("deaths", "on_time", "with_cause", "certified", "ill_defined"), (n, on_time, with_cause, certified, ill)
        ):
            cell("T6", (code,), column, v)

    def hide(rows, first, last):
        """1–4 → x; then, in a row with one x, the next smallest count of the row too."""
        for row in rows:
            counts = range(first, last)
            for i in counts:
                if isinstance(row[i], int) and 1 <= row[i] <= 4:
                    row[i] = "x"
            if sum(row[i] == "x" for i in counts) == 1:
                j = min(
                    (i for i in counts if row[i] != "x" and isinstance(row[i], int) and row[i] > 0),
                    key=lambda i: row[i],
                    default=None,
                )
                if j is not None:
                    row[j] = "x"

    hide(t2, 1, 5)
    hide(t5, 3, 7)
    for row in t3:
        if 1 <= row[2] <= 4:
            row[2] = "x"
    for row in t6:
        for i in (1, 2, 4, 5, 7):
            if isinstance(row[i], int) and 1 <= row[i] <= 4:
                row[i] = "x"
    for row in t2:
        if row[1] == "x" or row[2] == "x" or (isinstance(row[1], int) and row[1] < 20):
            row[5] = "x"
    for row in t6:
        for rate, num, den in ((3, 2, 1), (6, 5, 1), (8, 7, 4)):
            if "x" in (row[num], row[den]) or row[num] < 20:
                row[rate] = "x" if row[rate] != "" else ""

    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(folder, "T2_births_by_sex.csv", T2_HEADER, t2)
    write_csv(folder, "T3_births_by_mother_age.csv", T3_HEADER, t3)
    write_csv(folder, "T5_deaths_by_age_sex.csv", T5_HEADER, t5)
    write_csv(
        folder,
        "T6_deaths_quality.csv",
        [
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
        ],
        t6,
    )
    result = audit_public_edition(folder)

    assert not [f for f in result.findings if f.kind in ("contradiction", "primary")]
    assert len(result.ranges) > 50
    for r in result.ranges:
        value = truth[(r.cell.table, r.cell.key, r.cell.column)]
        assert r.low <= value <= r.high, f"{r} but the true value is {value}"


def test_counts_of_checks_and_warnings_pass_but_a_count_of_rows_does_not(tmp_path):
    """The quality section counts the gate's checks: 128, 125, 1 and 2 are no figure of T5 (which
    publishes 0, 5, 6, 8, 10 … 460 and its 7 rows), but "N kiểm tra" / "N cảnh báo" / "N checks" say
    how many checks, not how many people, also when the PDF wraps the phrase ("kiểm" | "tra"). A count
    of rows is a figure like any other: 17 rows (dòng) is refused, in both languages; T5's own 7 rows
    is published."""
    folder = public_edition(
        tmp_path / "public",
        t5_vn_unknown=31,
        pdf_lines=[
            "Trước khi công bố, số liệu đã qua 128 kiểm tra chất lượng tự động. Kết quả: 125 kiểm tra đạt; "
            "1 kiểm tra được chấp nhận; 2 cảnh báo. The gate ran 128 checks, with 2 warnings.",
            "Bảng T9 — Các lần gửi dữ liệu: 3 kiểm\ntra, đều đạt.",
            "Lần gửi moj-2025q3-01: 17 dòng bị loại; 17 rows rejected; 17 row(s). Bảng T5 có 7 dòng.",
        ],
    )
    result = audit_public_edition(folder)

    texts = [f for f in result.findings if f.kind == "text"]
    assert [(f.where, f.detail) for f in texts] == [
        ("page 1", "numbers that are not figures of the published tables: 17, 17, 17")
    ]


def test_a_published_label_printed_verbatim_explains_its_own_number_only(tmp_path):
    """T9 publishes the top rejection reason "reg_province_code: not_in_code_list (3 rows)" as a text
    key: the PDF's T9 table prints it (wrapped in its cell), which tells nothing the CSV does not. Its
    3 is no figure elsewhere: "3 rows rejected" on its own is refused (3 is no count of T5 or T9)."""
    folder = public_edition(
        tmp_path / "public",
        t5_vn_unknown=31,
        pdf_lines=[
            "Bộ Tư pháp moj_births 6.300 6.000 300 reg_province_code: not_in_code_list\n(3 rows)",
            "In all, 3 rows rejected.",
        ],
    )
    with (folder / "T9_data_quality.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(
            ["agency", "dataset", "delivery_id", "channel", "extracted_at", "rows_received", "rows_loaded"]
            + ["rows_rejected", "top_rejection_reason"]
        )
        writer.writerow(
            ["MOJ", "moj_births", "MOJ-2025Q3-0001", "FILE", "2025-10-05T01:00:00Z", "6300", "6000", "300"]
            + ["reg_province_code: not_in_code_list (3 rows)"]
        )
    result = audit_public_edition(folder)

    assert [(f.where, f.detail) for f in result.findings if f.kind == "text"] == [
        ("page 1", "numbers that are not figures of the published tables: 3")
    ]


def test_a_whole_number_is_explained_only_by_a_count_and_a_decimal_only_by_a_rate(tmp_path):
    """T8 publishes counts 25, 30 and rates 125.0, 11.9, 83.3. In an e-mail to the public: '125 births'
    is not a count of any table (125.0 is a rate), '0.4 %' is no figure at all; 25, 30, 83,3 % are, and
    '3 deliveries' counts the document's own things."""
    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(
        folder,
        "T8_completeness.csv",
        T8_HEADER,
        [["12", "20.0", "25", "125.0", "8.4", "x", "11.9", "30", "25", "83.3"]],
    )
    body = "Province 12: 125 births, 25 on time of 30 facility births (83,3 %) from 3 deliveries; 0.4 % hidden."
    result = audit_public_edition(folder, extra_texts={"e-mail": body})

    assert [f.detail for f in result.findings if f.table == "e-mail"] == [
        "numbers that are not figures of the published tables: 125, 0.4"
    ]


def test_whole_numbers_narrow_a_range_the_lp_calls_safe(tmp_path):
    """T2 province 01: male, female, unknown all x, total 100, sex ratio 150.0; VN 60, 40, 15, 115, 150.0.
    VN ≥ the province in each column, so unknown ≤ 15; male = 1.5 · female (± 0.0005 · female).
    LP: 2.5 · female = 100 − unknown ∈ [85, 99] ⇒ female ∈ [33.99, 39.61] → [34, 39]: range 5, safe.
    Over whole numbers, male = 1.5 · female exactly (for female ≤ 40 the ± 0.05 leaves no other integer),
    so female is even: 34, 36 or 38 (unknown 15, 10, 5) ⇒ [34, 38], range 4: a disclosure."""
    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(
        folder,
        "T2_births_by_sex.csv",
        T2_HEADER,
        [["01", "x", "x", "x", "100", "150.0"], ["VN", "60", "40", "15", "115", "150.0"]],
    )

    relaxed = audit_public_edition(folder, exact=False)
    assert range_of(relaxed, "T2 01 female") == (34, 39)
    assert relaxed.passed

    exact = audit_public_edition(folder)
    assert range_of(exact, "T2 01 female") == (34, 38)
    assert [f.where for f in exact.findings] == ["T2 01 female"]


def test_a_public_manifest_may_carry_what_the_files_show_but_no_other_figure(tmp_path):
    """public/manifest.json: T5's rows (7), sha256 and suppressed_cells (4) are checked against the file and
    pass; a wrong row count and a 'hidden share' (it would tell the sum of the hidden cells) fail."""
    import hashlib
    import json

    folder = public_edition(tmp_path / "public", t5_vn_unknown=31)
    t5 = folder / "T5_deaths_by_age_sex.csv"
    entry = {
        "path": "public/T5_deaths_by_age_sex.csv",
        "rows": 7,
        "suppressed_cells": 4,
        "sha256": hashlib.sha256(t5.read_bytes()).hexdigest(),
    }
    manifest = {
        "quarter": Q,
        "generated_at": "2025-10-15T08:00:00+00:00",
        "files": [entry],
        "gate": {"passed": True, "summary": f"Gate {Q} passed with quality warnings: see the quality annex"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert audit_public_edition(folder).passed

    manifest["files"] = [{**entry, "rows": 8, "hidden_share_pct": 0.4}]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = [(f.where, f.detail) for f in audit_public_edition(folder).findings]
    assert found == [
        ("files T5_deaths_by_age_sex.csv rows", "differs from the file itself"),
        (
            "files T5_deaths_by_age_sex.csv hidden_share_pct",
            "a figure not derivable from the file: hidden_share_pct=0.4",
        ),
    ]


def test_a_pdf_table_that_prints_a_hidden_cell_fails(tmp_path):
    """The PDF prints T5 as well: RRD's row as in the CSV passes, NMM's with its hidden female and unknown
    written out (19, 1) fails, as a row that differs from the CSV, and as numbers T5 publishes nowhere."""
    folder = public_edition(
        tmp_path / "public",
        t5_vn_unknown=31,
        pdf_lines=[
            "T5. Deaths registered in the quarter by age and sex, nationally and by region",
            "quarter geography_level geography_code age_band male female unknown total",
            f"{Q} REGION RRD 65-69 50 45 5 100",
            f"{Q} REGION NMM 65-69 40 19 1 60",
        ],
    )
    result = audit_public_edition(folder)

    assert [(f.kind, f.table, f.where, f.detail) for f in result.findings] == [
        ("text", f"crvs_{Q}_report.pdf", "page 1", "numbers that are not figures of the published tables: 19, 1"),
        ("pdf", "T5", f"crvs_{Q}_report.pdf page 1 REGION NMM 65-69", "the printed row differs from the CSV"),
    ]


def test_a_table_whose_columns_are_not_report_mds_is_refused(tmp_path):
    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(folder, "T5_deaths_by_age_sex.csv", T5_HEADER[:-1], [["NATIONAL", "VN", "65-69", "1", "2", "3"]])
    run = crvs_audit(folder)
    assert run.returncode == 2
    assert "T5_deaths_by_age_sex.csv: the columns are" in run.stderr and "Traceback" not in run.stderr


T1_HEADER = ["quarter", "province_code", "event_type", "reg_kind", "timeliness", "registrations", "foreign_element"]
T7_HEADER = ["quarter", "region_code", "sex", "age_band", "spouses", "first_marriages", "under_legal_age"]


def test_t1_marriages_give_t7_its_spouses_and_the_legal_age_gives_under_legal_age(tmp_path):
    """T7, region SE: men 20-24 30 spouses, women 20-24 26, women <18 hidden (spouses, first_marriages,
    under_legal_age all x). T7 alone: spouses unbounded. T1: SE's two provinces registered 20 + 10 NEW
    marriages = 60 spouses (report.md: each spouse of a NEW marriage, by registration region) ⇒ the
    women <18 are 60 − 30 − 26 = 4; all of them under the legal age (women under 18) ⇒ under_legal_age
    = 4; first_marriages ∈ [1, 4]."""
    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(
        folder,
        "T7_marriages_by_age.csv",
        T7_HEADER,
        [
            ["SE", "male", "20-24", "30", "30", "0"],
            ["SE", "female", "<18", "x", "x", "x"],
            ["SE", "female", "20-24", "26", "26", "0"],
        ],
    )
    alone = audit_public_edition(folder)
    assert range_of(alone, "T7 SE/female/<18 spouses") == (1, float("inf"))
    assert alone.passed

    se = sorted(code for code, region in _seed_regions().items() if region == "SE")
    assert len(se) == 2
    write_csv(
        folder,
        "T1_registrations.csv",
        T1_HEADER,
        [
            [se[0], "MARRIAGE", "NEW", "NOT_APPLICABLE", "20", "0"],
            [se[1], "MARRIAGE", "NEW", "NOT_APPLICABLE", "10", "0"],
            [se[1], "MARRIAGE", "RE_REGISTRATION", "NOT_APPLICABLE", "7", "0"],
        ],
    )
    linked = audit_public_edition(folder)
    assert range_of(linked, "T7 SE/female/<18 spouses") == (4, 4)
    assert range_of(linked, "T7 SE/female/<18 under_legal_age") == (4, 4)
    assert range_of(linked, "T7 SE/female/<18 first_marriages") == (1, 4)
    assert "SE: T1 NEW marriages × 2 = T7 spouses" in next(
        f.detail for f in linked.findings if f.where == "T7 SE/female/<18 spouses"
    )


def test_a_public_recipients_files_are_audited_through_their_manifest(tmp_path):
    """A recipient's folder (as delivery prepares it): its own workbook, a CSV copy and a manifest of
    {name, sha256, bytes}. The copy equal to the published CSV and true sha256/bytes pass; the own
    workbook's Notes with a value, and a CSV copy that is not the published one, fail."""
    import hashlib
    import json
    import shutil

    public = public_edition(tmp_path / "q" / "public", t5_vn_unknown=31)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    write_workbook(outbox, ["T5: 1 row(s): region_code=NMM, unknown=1"], {})
    (outbox / f"crvs_{Q}_public.xlsx").rename(outbox / f"crvs_{Q}_public_gso.xlsx")
    shutil.copyfile(public / "T5_deaths_by_age_sex.csv", outbox / "T5_deaths_by_age_sex.csv")

    def manifest():
        files = sorted(p for p in outbox.iterdir() if p.suffix != ".json")
        body = {
            "quarter": Q,
            "recipient": {"id": "gso", "name": "Tổng cục Thống kê", "audience": "public"},
            "gate": {"passed": True, "summary": f"Gate {Q} passed"},
            "files": [
                {"name": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size}
                for p in files
            ],
        }
        (outbox / "manifest.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        return outbox / "manifest.json"

    found = [(f.kind, f.table, f.where[:17]) for f in audit_public_edition(public, manifest=manifest()).findings]
    # twice: the cell values written out, and "1 row(s)" (a count of rows T5 does not publish)
    assert found == [("text", f"crvs_{Q}_public_gso.xlsx", "sheet Notes row 2")] * 2

    copy = outbox / "T5_deaths_by_age_sex.csv"
    copy.write_text(copy.read_text(encoding="utf-8").replace(",40,x,x,60", ",40,19,1,60"), encoding="utf-8")
    found = [(f.where, f.detail) for f in audit_public_edition(public, manifest=manifest()).findings]
    assert ("files T5_deaths_by_age_sex.csv", "is not the published CSV") in found
