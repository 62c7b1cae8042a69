"""The report writer on hand-made report tables in the real warehouse, with the real gate."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil

import openpyxl
import psycopg
import pytest
from pypdf import PdfReader
from report_quarter import QUARTER, fill_quarter, skew_the_sex_ratio

from crvs.audit import audit_public_edition
from crvs.quality import GateFailed, run_gate
from crvs.quality.provinces import province_codes
from crvs.report import REPORT_TABLES, PublicationBlocked, quality_vi, write_report

# The columns exactly as docs report.md lists them.
T1_COLUMNS = ["quarter", "province_code", "event_type", "reg_kind", "timeliness", "registrations", "foreign_element"]
T2_COLUMNS = ["quarter", "province_code", "male", "female", "unknown", "total", "sex_ratio_at_birth"]
T8_COLUMNS = [
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


TABLE_FILES = [
    "T1_registrations.csv",
    "T2_births_by_sex.csv",
    "T3_births_by_mother_age.csv",
    "T4_births_by_place.csv",
    "T5_deaths_by_age_sex.csv",
    "T6_deaths_quality.csv",
    "T7_marriages_by_age.csv",
    "T8_completeness.csv",
    "T9_data_quality.csv",
    "T10_completeness_by_period.csv",
    "T11_trends.csv",
]
EXPECTED_FILES = {
    "manifest.json",
    *(f"agency/{name}" for name in TABLE_FILES),
    f"agency/crvs_{QUARTER}_agency.xlsx",
    *(f"public/{name}" for name in TABLE_FILES),
    f"public/crvs_{QUARTER}_public.xlsx",
    f"public/crvs_{QUARTER}_report.pdf",
}
# report_quarter.fill_quarter's rows per table
TABLE_ROWS = {
    "T1": 8,
    "T2": 35,
    "T3": 6 * 3 + 3 + 6,
    "T4": 6 * 2 + 1 + 3,
    "T5": 2 + 12,
    "T6": 35,
    "T7": 4 + 4 + 4,
    "T8": 35,
    "T9": 5,
    "T10": 0,  # report_quarter fills no T10 row
    "T11": 2,
}


@pytest.fixture
def warehouse_quarter(db):
    return fill_quarter(db)


@pytest.fixture(scope="module")
def written_report(module_warehouse, tmp_path_factory):
    """report_quarter's quarter written once (gate, both editions, the PDF) for the tests that only
    read the files; a test that changes a figure, the gate or a file has a warehouse or a copy of
    its own."""
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        fill_quarter(conn)
    out = tmp_path_factory.mktemp("report") / "reports"
    return out, write_report(QUARTER, out)


def read_csv(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def files_under(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_the_layout_and_the_agency_csvs(written_report):
    out, folder = written_report

    assert folder == out / QUARTER
    assert files_under(folder) == EXPECTED_FILES
    assert [p.name for p in out.iterdir()] == [QUARTER]  # no temporary folder left behind

    # T11 (report_quarter.fill_trend): 2025Q2 then 2025Q3; no count from 1 to 4, but 2025Q2's rates
    # on a numerator of 0 (below 20) are x in the public edition, as in every table
    q3 = ["2025Q3", "2025Q3", "6218", "6214", "99.9", "1652", "1321", "80.0", "7"]
    q3 += ["34000.0", "30600", "90.0", "17000.0", "13260", "78.0"]
    assert read_csv(folder / "agency" / "T11_trends.csv")[1:] == [
        ["2025Q3", "2025Q2", "999", "999", "100.0", "0", "0", "", "0", "", "0", "", "", "0", ""],
        q3,
    ]
    # and 2025Q3's births on time and marriages are x: they would give back T1's hidden 01 births on
    # time (6214 − 6094 = 120) and marriages (7 = 3 + 4); the share goes with
    # its numerator
    assert read_csv(folder / "public" / "T11_trends.csv")[1:] == [
        ["2025Q3", "2025Q2", "999", "999", "100.0", "0", "0", "x", "0", "", "0", "x", "", "0", "x"],
        q3[:3] + ["x", "x"] + q3[5:8] + ["x"] + q3[9:],
    ]

    t1 = read_csv(folder / "agency" / "T1_registrations.csv")
    assert t1 == [
        T1_COLUMNS,
        ["2025Q3", "01", "BIRTH", "NEW", "LATE", "4", "0"],
        ["2025Q3", "01", "BIRTH", "NEW", "ON_TIME", "120", "3"],
        ["2025Q3", "01", "MARRIAGE", "NEW", "NOT_APPLICABLE", "4", "0"],
        ["2025Q3", "04", "MARRIAGE", "NEW", "NOT_APPLICABLE", "3", "0"],
        ["2025Q3", "79", "DEATH", "NEW", "ON_TIME", "2", "1"],
        ["2025Q3", "96", "BIRTH", "NEW", "ON_TIME", "6094", "0"],
        ["2025Q3", "96", "DEATH", "NEW", "LATE", "331", "0"],
        ["2025Q3", "96", "DEATH", "NEW", "ON_TIME", "1319", "0"],
    ]
    t2 = read_csv(folder / "agency" / "T2_births_by_sex.csv")
    assert t2[0] == T2_COLUMNS
    assert [r[1] for r in t2[1:]] == [*province_codes(), "VN"]
    assert t2[1] == ["2025Q3", "01", "3", "40", "0", "43", "7.5"]
    assert t2[2] == ["2025Q3", "04", "50", "45", "0", "95", "111.1"]
    assert t2[3] == ["2025Q3", "08", "100", "90", "0", "190", "111.1"]
    assert t2[-1] == ["2025Q3", "VN", "3253", "2965", "0", "6218", "109.7"]
    t8 = read_csv(folder / "agency" / "T8_completeness.csv")
    assert t8[0] == T8_COLUMNS
    assert len(t8) == 1 + 35
    assert t8[1] == ["2025Q3", "01", "1000.0", "900", "90.0", "500.0", "60", "12.0", "800", "760", "95.0"]
    assert t8[2] == ["2025Q3", "04", "1000.0", "900", "90.0", "500.0", "400", "80.0", "0", "0", ""]
    assert t8[-1] == ["2025Q3", "VN", "34000.0", "30600", "90.0", "17000.0", "13260", "78.0", "26400", "25080", "95.0"]


def test_the_public_csvs_are_disclosure_controlled(written_report):
    _, folder = written_report

    # 79's 2 deaths and its 1 foreign, 01's 4 late births, 3 foreign and the 4 + 3 marriages are
    # counts of 1 to 4. T1's NEW deaths are T6's VN deaths (1652) and its on-time ones T6's VN
    # on_time (1321, published), so 1321 − 1319 would give 79's back: 96's 1319 goes too (the cheapest
    # cell that can move against it). Likewise T1's births are T2's VN 6218 and its late ones T4's
    # VN late: 01's 120 on time goes with its 4 late.
    assert read_csv(folder / "public" / "T1_registrations.csv") == [
        T1_COLUMNS,
        ["2025Q3", "01", "BIRTH", "NEW", "LATE", "x", "0"],
        ["2025Q3", "01", "BIRTH", "NEW", "ON_TIME", "x", "x"],
        ["2025Q3", "01", "MARRIAGE", "NEW", "NOT_APPLICABLE", "x", "0"],
        ["2025Q3", "04", "MARRIAGE", "NEW", "NOT_APPLICABLE", "x", "0"],
        ["2025Q3", "79", "DEATH", "NEW", "ON_TIME", "x", "x"],
        ["2025Q3", "96", "BIRTH", "NEW", "ON_TIME", "6094", "0"],
        ["2025Q3", "96", "DEATH", "NEW", "LATE", "331", "0"],
        ["2025Q3", "96", "DEATH", "NEW", "ON_TIME", "x", "0"],
    ]
    t2 = read_csv(folder / "public" / "T2_births_by_sex.csv")
    # 01's 3 boys are hidden; so are its girls (else 43 − 40 gives them back), and in the columns the
    # next smallest province, 04 (boys 50, girls 45); the ratios of both rows go with them.
    assert t2[1] == ["2025Q3", "01", "x", "x", "0", "43", "x"]
    assert t2[2] == ["2025Q3", "04", "x", "x", "0", "95", "x"]
    assert t2[3] == ["2025Q3", "08", "100", "90", "0", "190", "111.1"]
    assert t2[-1] == ["2025Q3", "VN", "3253", "2965", "0", "6218", "109.7"]
    assert sum(v == "x" for row in t2 for v in row) == 6
    t8 = read_csv(folder / "public" / "T8_completeness.csv")
    # 01's 60 deaths on time are a numerator of at least 20: its 12.0 % is published
    assert t8[1] == ["2025Q3", "01", "1000.0", "900", "90.0", "500.0", "60", "12.0", "800", "760", "95.0"]
    assert t8[2] == ["2025Q3", "04", "1000.0", "900", "90.0", "500.0", "400", "80.0", "0", "0", "x"]
    assert sum(v == "x" for row in t8 for v in row) == 1


def test_the_public_edition_passes_the_disclosure_audit(written_report):
    """The black-box intruder of report.md, on the files as written: no hidden count narrower than 5,
    no contradiction between the tables, no figure in the texts."""
    _, folder = written_report
    result = audit_public_edition(folder)
    assert result.passed, result.lines()
    assert {code: stats.hidden for code, stats in result.tables.items()} == {
        "T1": 8,
        "T2": 4,
        "T3": 9,
        "T4": 4,
        "T5": 4,
        "T6": 41,
        "T7": 16,
        "T8": 0,
        "T9": 0,
        "T10": 0,
        "T11": 2,  # 2025Q3 births on time and marriages
    }
    assert all(r.high - r.low >= 5 and r.low >= 1 for r in result.ranges)


def test_the_audit_knows_the_trend_of_the_quarter(written_report, tmp_path):
    """T11's row of the report quarter is the quarter's T1 NEW births on time: published, it gives
    back T1's hidden 01 births on time (6214 − 6094 = 120) and late, and the audit says so (without T11's
    equations it does not: checked by hand)."""
    folder = tmp_path / QUARTER  # a copy: this test changes a file
    shutil.copytree(written_report[1], folder)
    path = folder / "public" / "T11_trends.csv"
    rows = read_csv(path)
    assert rows[2][3] == "x"
    rows[2][3] = "6214"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    result = audit_public_edition(folder)
    ranges = [f for f in result.findings if f.kind == "range"]
    assert sorted(f.where for f in ranges if f.table == "T1") == [
        "T1 01/BIRTH/NEW/LATE registrations",  # then 01's late births too: T2 publishes the total
        "T1 01/BIRTH/NEW/ON_TIME registrations",
    ], result.lines()


def xlsx_text(cell) -> str:
    """The cell as the CSV spells it: numbers formatted with one decimal place written with one."""
    if cell.value is None:
        return ""
    if isinstance(cell.value, (int, float)) and cell.number_format.endswith("0.0"):
        return f"{cell.value:.1f}"
    return str(cell.value)


@pytest.mark.parametrize("audience", ["agency", "public"])
def test_the_workbook_matches_the_csvs_cell_by_cell(written_report, audience):
    _, folder = written_report

    book = openpyxl.load_workbook(folder / audience / f"crvs_{QUARTER}_{audience}.xlsx")
    assert book.sheetnames == ["Cover", "Notes", *(name.removesuffix(".csv") for name in TABLE_FILES)]
    for name in book.sheetnames[2:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        cells = [[xlsx_text(c) for c in row] for row in sheet.iter_rows()]
        assert cells == read_csv(folder / audience / f"{name}.csv"), name
    notes = " ".join(str(v) for row in book["Notes"].iter_rows(values_only=True) for v in row if v)
    assert ("Symbol x" in notes) == (audience == "public")
    assert "sex_ratio_at_birth" in notes
    # The fixture's province 01 has a death completeness of 60 / 500 = 12.0 %, outside 50-120 %: a
    # warning that does not block and is written into the notes.
    # The agency edition names the province and its figure; the public one only the table and the
    # kind of check.
    warnings = [row for row in book["Notes"].iter_rows(values_only=True) if row and row[0] == "Warning"]
    if audience == "agency":
        assert any(
            "completeness within 50-120 %" in str(row[2]) and "death_completeness_pct=12.0" in str(row[2])
            for row in warnings
        ), warnings
    else:
        assert (
            "T8 completeness: outside its expected range for some provinces; the agency edition gives the detail"
            in [row[2] for row in warnings]
        )
    assert book.properties.created.year == 2025 and book.properties.created.month == 7

    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row and row[0]}
    assert cover["Quarter"] == QUARTER
    assert cover["Quality gate"].startswith(f"Gate {QUARTER} passed")
    if audience == "public":
        assert cover["Quality gate"] == f"Gate {QUARTER} passed with quality warnings: see the Notes"
    assert cover["T2_births_by_sex"] == (
        "T2. Khai sinh đăng ký trong quý theo tỉnh cư trú của mẹ và giới tính — "
        "Births registered in the quarter by the mother's province of residence "
        "and sex (35 rows)"
    )
    # The header is the CSV's; each header cell carries the reader's label (the table of labels).
    assert book["T2_births_by_sex"]["G1"].value == "sex_ratio_at_birth"
    assert book["T2_births_by_sex"]["G1"].comment.text == "Tỷ số giới tính khi sinh (Sex ratio at birth)"
    assert book["Cover"]["A1"].value.startswith("Civil registration and vital statistics")
    t2 = book["T2_births_by_sex"]
    assert [t2.cell(2, n).number_format for n in (3, 6, 7)] == ["#,##0", "#,##0", "0.0"]
    assert all(t2.column_dimensions[letter].width >= len(t2[f"{letter}1"].value) for letter in "ABCDEFG")
    t8 = book["T8_completeness"]
    assert t8.cell(2, 3).number_format == "#,##0.0"  # expected births: an estimate, one decimal


def test_the_gate_warnings_go_into_the_notes(warehouse_quarter, tmp_path):
    # A national sex ratio of 121.7 is outside the plausible 100–120: the gate warns, the report still goes out.
    skew_the_sex_ratio(warehouse_quarter)
    gate = run_gate(QUARTER)
    warnings = [o.describe() for o in gate.warnings]
    assert gate.passed and warnings
    folder = write_report(QUARTER, tmp_path, gate=gate)
    for audience in ("agency", "public"):
        book = openpyxl.load_workbook(folder / audience / f"crvs_{QUARTER}_{audience}.xlsx")
        noted = [row[2] for row in book["Notes"].iter_rows(values_only=True) if row[0] == "Warning"]
        assert len(noted) == len(warnings)
        if audience == "agency":  # the findings with their values
            assert noted == warnings
            assert any("national sex ratio" in w and "sex_ratio_at_birth=121.7" in w for w in noted)
        else:  # the public wording (tests/integration/test_report_public_text.py)
            assert (
                "T2 national sex ratio at birth: outside its expected range for some provinces; "
                "the agency edition gives the detail" in noted
            )
    annex = " ".join(page.extract_text() for page in PdfReader(folder / "public" / f"crvs_{QUARTER}_report.pdf").pages)
    # The PDF's annex says what the warning means, in Vietnamese (crvs/report/quality_vi.py).
    meaning = quality_vi.WARNINGS[("rpt_t2_births_by_sex", "national sex ratio at birth")].meaning
    assert f"• {meaning}" in " ".join(annex.split())


def test_the_manifest_lists_files_gate_and_deliveries(written_report):
    _, folder = written_report
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    assert manifest["quarter"] == QUARTER
    assert {f["path"] for f in manifest["files"]} == EXPECTED_FILES - {"manifest.json"}
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest()
    rows = {f["path"]: f["rows"] for f in manifest["files"]}
    assert rows["agency/T1_registrations.csv"] == 8
    assert rows["public/T2_births_by_sex.csv"] == 35
    assert rows[f"agency/crvs_{QUARTER}_agency.xlsx"] == sum(TABLE_ROWS.values())
    assert {t.code: rows[f"agency/{t.csv_name}"] for t in REPORT_TABLES} == TABLE_ROWS
    suppressed = {f["path"]: f.get("suppressed_cells") for f in manifest["files"]}
    assert suppressed["public/T1_registrations.csv"] == 8
    assert suppressed["public/T2_births_by_sex.csv"] == 6
    assert suppressed["public/T8_completeness.csv"] == 1
    # The information loss per table: T2 hides 01's 3 + 40 and 04's 50 + 45 = 138 of its
    # 4 × 6218 = 24872 counts (0.55 %) and their 2 ratios; T1 its registrations 4 + 120 + 4 + 3 + 2 + 1319
    # and foreign 3 + 1: 1456 of 7877 + 4 = 7881 (18.47 %).
    control = manifest["disclosure_control"]
    loss = {entry["table"]: entry for entry in control["loss"]}
    assert loss["T2"] == {
        "table": "T2",
        "cells_hidden": 6,
        "counts_hidden": 4,
        "rates_hidden": 2,
        "share_of_count_hidden_pct": 0.55,
        "count_hidden": 138,
        "count_total": 24872,
    }
    assert (loss["T1"]["count_hidden"], loss["T1"]["count_total"], loss["T1"]["share_of_count_hidden_pct"]) == (
        1456,
        7881,
        18.47,
    )
    assert loss["T9"]["cells_hidden"] == 0 and control["audit"]["passed"] is True
    assert manifest["gate"]["passed"] is True
    assert manifest["gate"]["summary"].startswith(f"Gate {QUARTER} passed")
    assert [(d["delivery_id"], d["extracted_at"]) for d in manifest["deliveries"]] == [
        ("gso-2025", "2025-06-30T00:00:00+00:00"),
        ("moh-2025q3", "2025-10-03T10:00:00+00:00"),
        ("moj-2025q3-01", "2025-10-05T01:00:00+00:00"),
    ]
    assert manifest["generated_at"]


def test_a_failing_gate_writes_nothing(warehouse_quarter, tmp_path):
    warehouse_quarter.execute("delete from reports.rpt_t2_births_by_sex where province_code = '96'")
    out = tmp_path / "reports"

    with pytest.raises(GateFailed, match="missing 1 province\\(s\\): 96"):
        write_report(QUARTER, out)
    assert not out.exists()

    failed = run_gate(QUARTER)
    with pytest.raises(GateFailed):
        write_report(QUARTER, out, gate=failed)
    assert not out.exists()


def same_pdf_but_its_date(a: bytes, b: bytes) -> bool:
    """Two PDFs that differ at most in their creation date and the file id made from it."""

    def undated(data: bytes) -> bytes:
        data = re.sub(rb"/CreationDate \(D:[^)]*\)", b"/CreationDate ()", data)
        data = re.sub(rb"<xmp:CreateDate>[^<]*</xmp:CreateDate>", b"", data)
        return re.sub(rb"/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"/ID []", data)

    return undated(a) == undated(b)


def test_a_rerun_gives_identical_files(warehouse_quarter, tmp_path):
    gate = run_gate(QUARTER)
    first = write_report(QUARTER, tmp_path / "a", gate=gate)
    snapshot = {name: (first / name).read_bytes() for name in EXPECTED_FILES}
    second = write_report(QUARTER, tmp_path / "a")  # the same folder, replaced whole; a new gate run

    pdf = f"public/crvs_{QUARTER}_report.pdf"
    for name in EXPECTED_FILES - {"manifest.json", pdf}:
        assert (second / name).read_bytes() == snapshot[name], name
    # The PDF is dated when it was made (its metadata); the rest of it is the same.
    assert same_pdf_but_its_date((second / pdf).read_bytes(), snapshot[pdf])
    before, after = json.loads(snapshot["manifest.json"]), json.loads((second / "manifest.json").read_bytes())
    assert [f for f in before["files"] if f["path"] != pdf] == [f for f in after["files"] if f["path"] != pdf]
    assert before["deliveries"] == after["deliveries"]
    assert before["gate"]["run_id"] != after["gate"]["run_id"]


def test_the_public_t3_to_t9(written_report):
    """The new tables' disclosure control on report_quarter's figures, worked out by hand."""
    _, folder = written_report

    def cells(name, *keys):
        rows = read_csv(folder / "public" / name)
        width = len(keys[0])
        return {tuple(r[1 : 1 + width]): r[1 + width :] for r in rows[1:] if tuple(r[1 : 1 + width]) in keys}

    # T3: NMM's 3 births under 15 and RRD's 2 at 50+ are hidden, with VN's (equal to them). Each
    # region's bands add up to T2's births of its provinces and VN's to T2's 6218 (all published),
    # so a hidden band moves only against another band of its row: NMM's and RRD's smallest, 30-34
    # (202, 101), and VN's smallest, UNKNOWN (213), which moves against SE's (213) and so SE's 30-34 (17).
    t3 = read_csv(folder / "public" / "T3_births_by_mother_age.csv")
    assert {(r[1], r[2]) for r in t3[1:] if r[3] == "x"} == {
        ("NMM", "<15"),
        ("NMM", "30-34"),
        ("RRD", "30-34"),
        ("RRD", "50+"),
        ("SE", "30-34"),
        ("SE", "UNKNOWN"),
        ("VN", "<15"),
        ("VN", "50+"),
        ("VN", "UNKNOWN"),
    }
    # T4: RRD's 4 late births (VN's too) move only against on-time births of RRD (T2's 803) and of VN
    # (T1's on time, 6214): the smaller, HOME (99; VN 734).
    t4 = read_csv(folder / "public" / "T4_births_by_place.csv")
    assert {(r[1], r[2], r[3]) for r in t4[1:] if r[4] == "x"} == {
        ("RRD", "HOME", "LATE"),
        ("VN", "HOME", "LATE"),
        ("RRD", "HOME", "ON_TIME"),
        ("VN", "HOME", "ON_TIME"),
    }
    # T5: 2 deaths of unknown sex at 85+ in NMM (and so in VN) are hidden; in each of those rows the
    # smallest other part (the men) goes too, else male + female + unknown = total gives them back.
    t5 = read_csv(folder / "public" / "T5_deaths_by_age_sex.csv")
    hidden = {(r[2], r[3], column) for r in t5[1:] for column, v in zip(t5[0][4:], r[4:]) if v == "x"}
    assert hidden == {
        ("VN", "85+", "male"),
        ("VN", "85+", "unknown"),
        ("NMM", "85+", "male"),
        ("NMM", "85+", "unknown"),
    }
    # T6: 01's counts 2, 1, 2, 1 are hidden; its region's deaths are T5's RRD deaths (202, published),
    # so one more RRD province hides its deaths, and each other column one more province (any: all
    # are 40, 45, 30); every province's 3 ill-defined deaths are hidden (VN's 99 stays); every rate
    # whose numerator is under 20 or whose count is hidden is x.
    t6 = {r[1]: r[2:] for r in read_csv(folder / "public" / "T6_deaths_quality.csv")[1:]}
    assert t6["01"] == ["x", "x", "x", "x", "x", "x", "0", "x"]
    columns = {"deaths": 0, "on_time": 1, "with_cause": 3, "certified": 4}
    others = {c: {p for p, row in t6.items() if p != "01" and row[n] == "x"} for c, n in columns.items()}
    assert len(others["deaths"]) == 1 and others["deaths"] <= {"22", "31", "33", "37"}
    assert all(len(others[c]) == 1 for c in ("on_time", "with_cause", "certified")), others
    assert all(row[6] == "x" for p, row in t6.items() if p not in ("01", "VN"))
    assert t6["VN"] == ["1652", "1321", "80.0", "1487", "991", "60.0", "99", "6.7"]
    # T7: every spouse count is 3 or 4: all hidden, and VN's equal them; the zeros stay.
    t7 = read_csv(folder / "public" / "T7_marriages_by_age.csv")
    assert {r[5] for r in t7[1:] if r[4] != "0"} == {"x"} and {r[4] for r in t7[1:]} == {"x", "0"}
    # T9 counts delivered rows, not people: nothing hidden.
    assert read_csv(folder / "public" / "T9_data_quality.csv") == read_csv(folder / "agency" / "T9_data_quality.csv")
    assert read_csv(folder / "public" / "T9_data_quality.csv")[3] == [
        "MOJ",
        "moj_births",
        "moj-2025q3-01",
        "FILE",
        "2025-10-05T01:00:00Z",
        "6300",
        "6297",
        "3",
        "reg_province_code: not_in_code_list (3 rows)",
    ]


# A national sex ratio changed alone contradicts its own published counts (3253 / 2965 × 100 = 109.7):
# the intruder's knowledge no longer holds, so the disclosure audit refuses the public edition.
CONTRADICTING = "update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 130.0 where province_code = 'VN'"


def test_a_public_edition_the_audit_refuses_is_not_written(warehouse_quarter, tmp_path):
    out = tmp_path / "reports"
    write_report(QUARTER, out)  # a good report first: it must not stay beside the new agency edition
    warehouse_quarter.execute(CONTRADICTING)

    with pytest.raises(PublicationBlocked) as blocked:
        write_report(QUARTER, out)
    message = str(blocked.value)
    assert "T2 contradiction" in message and "nothing public was written" in message, message
    assert "130" not in message and "109.7" not in message  # kinds of finding, never a value
    folder = out / QUARTER
    assert files_under(folder) == {"manifest.json", *(f for f in EXPECTED_FILES if f.startswith("agency/"))}
    assert [p.name for p in out.iterdir()] == [QUARTER]  # no temporary folder left behind
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["disclosure_control"]["blocked"] == message
    assert not any(f["path"].startswith("public/") for f in manifest["files"])
