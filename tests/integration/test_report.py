"""The report writer on hand-made report tables in the real warehouse, with the real gate."""

from __future__ import annotations

import csv
import hashlib
import json
import re

import openpyxl
import pytest
from pypdf import PdfReader
from disclosure_checker import recoverable
from report_quarter import QUARTER, fill_quarter

from crvs.quality import GateFailed, run_gate
from crvs.quality.provinces import province_codes
from crvs.report import REPORT_TABLES, write_report
from crvs.report.formats import read_csv_rows

# The columns exactly as docs report.md lists them.
T1_COLUMNS = ["quarter", "province_code", "event_type", "reg_kind", "timeliness", "registrations", "foreign_element"]
T2_COLUMNS = ["quarter", "province_code", "male", "female", "unknown", "total", "sex_ratio_at_birth"]
T8_COLUMNS = ["quarter", "province_code", "expected_births", "births_on_time", "birth_completeness_pct",
              "expected_deaths", "deaths_on_time", "death_completeness_pct", "facility_live_births",
              "facility_births_registered", "facility_linkage_pct"]


TABLE_FILES = ["T1_registrations.csv", "T2_births_by_sex.csv", "T3_births_by_mother_age.csv", "T4_births_by_place.csv",
               "T5_deaths_by_age_sex.csv", "T6_deaths_quality.csv", "T7_marriages_by_age.csv", "T8_completeness.csv",
               "T9_data_quality.csv"]
EXPECTED_FILES = {
    "manifest.json",
    *(f"agency/{name}" for name in TABLE_FILES), f"agency/crvs_{QUARTER}_agency.xlsx",
    *(f"public/{name}" for name in TABLE_FILES),
    f"public/crvs_{QUARTER}_public.xlsx", f"public/crvs_{QUARTER}_report.pdf",
}
# report_quarter.fill_quarter's rows per table
TABLE_ROWS = {"T1": 8, "T2": 35, "T3": 6 * 3 + 3 + 6, "T4": 6 * 2 + 1 + 3, "T5": 2 + 12, "T6": 35, "T7": 4 + 4 + 4,
              "T8": 35, "T9": 5}


@pytest.fixture
def warehouse_quarter(db):
    return fill_quarter(db)


def read_csv(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def files_under(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_the_layout_and_the_agency_csvs(warehouse_quarter, tmp_path):
    out = tmp_path / "reports"
    folder = write_report(QUARTER, out)

    assert folder == out / QUARTER
    assert files_under(folder) == EXPECTED_FILES
    assert [p.name for p in out.iterdir()] == [QUARTER]  # no temporary folder left behind

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
    assert t8[-1] == ["2025Q3", "VN", "34000.0", "30600", "90.0", "17000.0", "13260", "78.0", "26400", "25080",
                      "95.0"]


def test_the_public_csvs_are_disclosure_controlled(warehouse_quarter, tmp_path):
    folder = write_report(QUARTER, tmp_path)

    assert read_csv(folder / "public" / "T1_registrations.csv") == [
        T1_COLUMNS,
        ["2025Q3", "01", "BIRTH", "NEW", "LATE", "x", "0"],
        ["2025Q3", "01", "BIRTH", "NEW", "ON_TIME", "120", "x"],
        ["2025Q3", "01", "MARRIAGE", "NEW", "NOT_APPLICABLE", "x", "0"],
        ["2025Q3", "04", "MARRIAGE", "NEW", "NOT_APPLICABLE", "x", "0"],
        ["2025Q3", "79", "DEATH", "NEW", "ON_TIME", "x", "x"],
        ["2025Q3", "96", "BIRTH", "NEW", "ON_TIME", "6094", "0"],
        ["2025Q3", "96", "DEATH", "NEW", "LATE", "331", "0"],
        ["2025Q3", "96", "DEATH", "NEW", "ON_TIME", "1319", "0"],
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


def test_no_hidden_cell_of_the_public_csvs_can_be_recovered(warehouse_quarter, tmp_path):
    folder = write_report(QUARTER, tmp_path)
    attacked = 0
    for table in REPORT_TABLES:
        published = [dict(zip(table.column_names, row))
                     for row in read_csv_rows(folder / "public" / table.csv_name, table)]
        attacked += sum(v == "x" for row in published for v in row.values())
        assert recoverable(table, published) == {}, table.code
    assert attacked >= 4 + 6 + 2  # T1, T2 and T8's hidden cells at least


def xlsx_text(cell) -> str:
    """The cell as the CSV spells it: numbers formatted with one decimal place written with one."""
    if cell.value is None:
        return ""
    if isinstance(cell.value, (int, float)) and cell.number_format.endswith("0.0"):
        return f"{cell.value:.1f}"
    return str(cell.value)


@pytest.mark.parametrize("audience", ["agency", "public"])
def test_the_workbook_matches_the_csvs_cell_by_cell(warehouse_quarter, tmp_path, audience):
    folder = write_report(QUARTER, tmp_path)

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
        assert any("completeness within 50-120 %" in str(row[2]) and "death_completeness_pct=12.0" in str(row[2])
                   for row in warnings), warnings
    else:
        assert "T8 completeness: outside its expected range for some provinces; the agency edition gives the detail" \
            in [row[2] for row in warnings]
    assert book.properties.created.year == 2025 and book.properties.created.month == 7

    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row and row[0]}
    assert cover["Quarter"] == QUARTER
    assert cover["Quality gate"].startswith(f"Gate {QUARTER} passed")
    if audience == "public":
        assert cover["Quality gate"] == f"Gate {QUARTER} passed with quality warnings: see the Notes"
    assert cover["T2_births_by_sex"] == ("T2. Births registered in the quarter by the mother's province of residence "
                                         "and sex (35 rows)")
    assert book["Cover"]["A1"].value.startswith("Civil registration and vital statistics")
    t2 = book["T2_births_by_sex"]
    assert [t2.cell(2, n).number_format for n in (3, 6, 7)] == ["#,##0", "#,##0", "0.0"]
    assert all(t2.column_dimensions[letter].width >= len(t2[f"{letter}1"].value) for letter in "ABCDEFG")
    t8 = book["T8_completeness"]
    assert t8.cell(2, 3).number_format == "#,##0.0"  # expected births: an estimate, one decimal


def test_the_gate_warnings_go_into_the_notes(warehouse_quarter, tmp_path):
    # A national sex ratio of 130 is outside the plausible 100–120: the gate warns, the report still goes out.
    warehouse_quarter.execute("update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 130.0 "
                              "where province_code = 'VN'")
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
            assert any("national sex ratio" in w and "sex_ratio_at_birth=130.0" in w for w in noted)
        else:  # the public wording (tests/integration/test_report_public_text.py)
            assert "T2 national sex ratio at birth: outside its expected range for some provinces; " \
                   "the agency edition gives the detail" in noted
    annex = " ".join(page.extract_text() for page in PdfReader(folder / "public" / f"crvs_{QUARTER}_report.pdf").pages)
    assert "[WARNING] T2 national sex ratio at birth: outside its expected range" in " ".join(annex.split())


def test_the_manifest_lists_files_gate_and_deliveries(warehouse_quarter, tmp_path):
    folder = write_report(QUARTER, tmp_path)
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
    assert suppressed["public/T1_registrations.csv"] == 6
    assert suppressed["public/T2_births_by_sex.csv"] == 6
    assert suppressed["public/T8_completeness.csv"] == 1
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


def test_the_public_t3_to_t9(warehouse_quarter, tmp_path):
    """The new tables' disclosure control on report_quarter's figures, worked out by hand."""
    folder = write_report(QUARTER, tmp_path)

    def cells(name, *keys):
        rows = read_csv(folder / "public" / name)
        width = len(keys[0])
        return {tuple(r[1:1 + width]): r[1 + width:] for r in rows[1:] if tuple(r[1:1 + width]) in keys}

    # T3: NMM's 3 births under 15 are hidden, and VN's (= 3, else subtraction gives NMM's back); the
    # same for RRD's 2 at 50+; SE's 213 UNKNOWN stay.
    assert cells("T3_births_by_mother_age.csv", ("NMM", "<15"), ("VN", "<15"), ("RRD", "50+"), ("VN", "50+"),
                 ("SE", "UNKNOWN")) == {("NMM", "<15"): ["x"], ("VN", "<15"): ["x"], ("RRD", "50+"): ["x"],
                                        ("VN", "50+"): ["x"], ("SE", "UNKNOWN"): ["213"]}
    # T5: 2 deaths of unknown sex at 85+ in NMM (and so in VN) are hidden; in each of those rows the
    # smallest other part (the men) goes too, else male + female + unknown = total gives them back.
    t5 = read_csv(folder / "public" / "T5_deaths_by_age_sex.csv")
    hidden = {(r[2], r[3], column) for r in t5[1:] for column, v in zip(t5[0][4:], r[4:]) if v == "x"}
    assert hidden == {("VN", "85+", "male"), ("VN", "85+", "unknown"), ("NMM", "85+", "male"),
                      ("NMM", "85+", "unknown")}
    # T6: 01's counts 2, 1, 2, 1 are hidden, and in each column the next smallest province (04) too;
    # every province's 3 ill-defined deaths are hidden (VN's 99 stays); every rate whose numerator is
    # under 20 or whose count is hidden is x.
    t6 = {r[1]: r[2:] for r in read_csv(folder / "public" / "T6_deaths_quality.csv")[1:]}
    assert t6["01"] == ["x", "x", "x", "x", "x", "x", "0", "x"]
    assert t6["04"] == ["x", "x", "x", "x", "x", "x", "x", "x"]
    assert t6["08"] == ["50", "40", "80.0", "45", "30", "60.0", "x", "x"]
    assert t6["VN"] == ["1652", "1321", "80.0", "1487", "991", "60.0", "99", "6.7"]
    # T7: every spouse count is 3 or 4: all hidden, and VN's equal them; the zeros stay.
    t7 = read_csv(folder / "public" / "T7_marriages_by_age.csv")
    assert {r[5] for r in t7[1:] if r[4] != "0"} == {"x"} and {r[4] for r in t7[1:]} == {"x", "0"}
    # T9 counts delivered rows, not people: nothing hidden.
    assert read_csv(folder / "public" / "T9_data_quality.csv") == read_csv(folder / "agency" / "T9_data_quality.csv")
    assert read_csv(folder / "public" / "T9_data_quality.csv")[3] == [
        "MOJ", "moj_births", "moj-2025q3-01", "FILE", "2025-10-05T01:00:00Z", "6300", "6297", "3",
        "reg_province_code: not_in_code_list (3 rows)"]
