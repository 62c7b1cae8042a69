"""The report writer on hand-made report tables in the real warehouse, with the real gate."""

from __future__ import annotations

import csv
import hashlib
import json

import openpyxl
import pytest
from report_models import DDL

from crvs.feeds.contract import DATASETS
from crvs.feeds.tables import ensure_tables
from crvs.quality import GateFailed, run_gate
from crvs.quality.provinces import province_codes
from crvs.report import write_report

QUARTER = "2025Q3"

# The columns exactly as docs report.md lists them.
T1_COLUMNS = ["quarter", "province_code", "event_type", "reg_kind", "timeliness", "registrations", "foreign_element"]
T2_COLUMNS = ["quarter", "province_code", "male", "female", "unknown", "total", "sex_ratio_at_birth"]
T8_COLUMNS = ["quarter", "province_code", "expected_births", "births_on_time", "birth_completeness_pct",
              "expected_deaths", "deaths_on_time", "death_completeness_pct", "facility_live_births",
              "facility_births_registered", "facility_linkage_pct"]


EXPECTED_FILES = {
    "manifest.json",
    "agency/T1_registrations.csv", "agency/T2_births_by_sex.csv", "agency/T8_completeness.csv",
    f"agency/crvs_{QUARTER}_agency.xlsx",
    "public/T1_registrations.csv", "public/T2_births_by_sex.csv", "public/T8_completeness.csv",
    f"public/crvs_{QUARTER}_public.xlsx",
}


@pytest.fixture
def warehouse_quarter(db):
    """Report tables for 2025Q3 (and a stray 2025Q2 row), and the deliveries behind them.

    T2: every province 100 boys, 90 girls, 0 unknown (ratio 111.1), except 01 (3, 40, 0 → 43, ratio 7.5)
    and 04 (50, 45, 0 → 95, ratio 111.1). VN = 32 × (100, 90) + 01 + 04 = (3253, 2965, 0, 6218),
    ratio 3253 / 2965 × 100 = 109.7.
    T8 (expected events numeric(14,1), as dbt builds them): every province expected 1000.0 / 900 on time
    (90.0 %), expected deaths 500.0 / 400 on time (80.0 %),
    800 facility births of which 760 registered (95.0 %), except 01 (15 deaths on time, 3.0 %) and 04
    (no facility births, linkage empty). VN: 34000, 30600, 90.0; 17000, 33 × 400 + 15 = 13215, 77.7;
    33 × 800 = 26400, 33 × 760 = 25080, 95.0.
    """
    db.execute(DDL)
    t1 = [
        ("79", "DEATH", "NEW", "ON_TIME", 2, 1),
        ("01", "BIRTH", "NEW", "ON_TIME", 120, 3),
        ("04", "MARRIAGE", "NEW", "NOT_APPLICABLE", 7, 0),
        ("01", "BIRTH", "NEW", "LATE", 4, 0),
        # the rest of the quarter's NEW births, so that T1 agrees with T2 (the gate checks
        # 6218 = 120 + 4 + 6094)
        ("96", "BIRTH", "NEW", "ON_TIME", 6094, 0),
    ]
    for row in t1:
        db.execute("insert into reports.rpt_t1_registrations values (%s, %s, %s, %s, %s, %s, %s)", (QUARTER, *row))
    db.execute("insert into reports.rpt_t1_registrations values ('2025Q2', '01', 'BIRTH', 'NEW', 'ON_TIME', 999, 0)")

    special_t2 = {"01": (3, 40, 0, 43, "7.5"), "04": (50, 45, 0, 95, "111.1")}
    for code in reversed(province_codes()):
        db.execute("insert into reports.rpt_t2_births_by_sex values (%s, %s, %s, %s, %s, %s, %s)",
                   (QUARTER, code, *special_t2.get(code, (100, 90, 0, 190, "111.1"))))
        t8 = ["1000.0", 900, "90.0", "500.0", 400, "80.0", 800, 760, "95.0"]
        if code == "01":
            t8[4:6] = [15, "3.0"]
        if code == "04":
            t8[6:9] = [0, 0, None]
        db.execute("insert into reports.rpt_t8_completeness values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                   (QUARTER, code, *t8))
    db.execute("insert into reports.rpt_t2_births_by_sex values (%s, 'VN', 3253, 2965, 0, 6218, 109.7)", (QUARTER,))
    db.execute("insert into reports.rpt_t8_completeness values "
               "(%s, 'VN', 34000.0, 30600, 90.0, 17000.0, 13215, 77.7, 26400, 25080, 95.0)", (QUARTER,))

    ensure_tables(db)
    deliveries = [
        ("moj-2025q3-01", "MOJ", "folder", "2025-10-05T08:00:00+07:00", "2025-07-01", "2025-09-30"),
        ("moh-2025q3", "MOH", "email", "2025-10-03T10:00:00+00:00", "2025-07-01", "2025-09-30"),
        ("gso-2025", "GSO", "platform", "2025-06-30T00:00:00+00:00", "2025-01-01", "2025-12-31"),
        ("moj-2025q2", "MOJ", "folder", "2025-07-04T08:00:00+00:00", "2025-04-01", "2025-06-30"),
        ("gso-2024", "GSO", "platform", "2024-06-30T00:00:00+00:00", "2024-01-01", "2024-12-31"),
    ]
    for d in deliveries:
        db.execute("insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, "
                   "period_start, period_end, source, manifest) values (%s, %s, %s, '1.0', %s, %s, %s, 'test', '{}')",
                   d)
    # The datasets each delivery carried (the gate's freshness check needs every one the agency owes).
    for delivery_id, agency, *_ in deliveries:
        for dataset in [name for name, d in DATASETS.items() if d.agency == agency]:
            db.execute("insert into raw.delivery_files values (%s, %s, %s, null, 0, 0, 0)",
                       (delivery_id, dataset, f"{dataset}.csv"))
    return db


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
        ["2025Q3", "04", "MARRIAGE", "NEW", "NOT_APPLICABLE", "7", "0"],
        ["2025Q3", "79", "DEATH", "NEW", "ON_TIME", "2", "1"],
        ["2025Q3", "96", "BIRTH", "NEW", "ON_TIME", "6094", "0"],
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
    assert t8[1] == ["2025Q3", "01", "1000.0", "900", "90.0", "500.0", "15", "3.0", "800", "760", "95.0"]
    assert t8[2] == ["2025Q3", "04", "1000.0", "900", "90.0", "500.0", "400", "80.0", "0", "0", ""]
    assert t8[-1] == ["2025Q3", "VN", "34000.0", "30600", "90.0", "17000.0", "13215", "77.7", "26400", "25080",
                      "95.0"]


def test_the_public_csvs_are_disclosure_controlled(warehouse_quarter, tmp_path):
    folder = write_report(QUARTER, tmp_path)

    assert read_csv(folder / "public" / "T1_registrations.csv") == [
        T1_COLUMNS,
        ["2025Q3", "01", "BIRTH", "NEW", "LATE", "x", "0"],
        ["2025Q3", "01", "BIRTH", "NEW", "ON_TIME", "120", "x"],
        ["2025Q3", "04", "MARRIAGE", "NEW", "NOT_APPLICABLE", "7", "0"],
        ["2025Q3", "79", "DEATH", "NEW", "ON_TIME", "x", "x"],
        ["2025Q3", "96", "BIRTH", "NEW", "ON_TIME", "6094", "0"],
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
    assert t8[1] == ["2025Q3", "01", "1000.0", "900", "90.0", "500.0", "15", "x", "800", "760", "95.0"]
    assert t8[2] == ["2025Q3", "04", "1000.0", "900", "90.0", "500.0", "400", "80.0", "0", "0", "x"]
    assert sum(v == "x" for row in t8 for v in row) == 2


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
    assert book.sheetnames == ["Notes", "T1_registrations", "T2_births_by_sex", "T8_completeness"]
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        cells = [[xlsx_text(c) for c in row] for row in sheet.iter_rows()]
        assert cells == read_csv(folder / audience / f"{name}.csv"), name
    notes = " ".join(str(v) for row in book["Notes"].iter_rows(values_only=True) for v in row if v)
    assert ("Symbol x" in notes) == (audience == "public")
    assert "sex_ratio_at_birth" in notes
    assert book.properties.created.year == 2025 and book.properties.created.month == 7


def test_the_manifest_lists_files_gate_and_deliveries(warehouse_quarter, tmp_path):
    folder = write_report(QUARTER, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    assert manifest["quarter"] == QUARTER
    assert {f["path"] for f in manifest["files"]} == EXPECTED_FILES - {"manifest.json"}
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest()
    rows = {f["path"]: f["rows"] for f in manifest["files"]}
    assert rows["agency/T1_registrations.csv"] == 5
    assert rows["public/T2_births_by_sex.csv"] == 35
    assert rows[f"agency/crvs_{QUARTER}_agency.xlsx"] == 5 + 35 + 35
    suppressed = {f["path"]: f.get("suppressed_cells") for f in manifest["files"]}
    assert suppressed["public/T1_registrations.csv"] == 4
    assert suppressed["public/T2_births_by_sex.csv"] == 6
    assert suppressed["public/T8_completeness.csv"] == 2
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


def test_a_rerun_gives_identical_files(warehouse_quarter, tmp_path):
    gate = run_gate(QUARTER)
    first = write_report(QUARTER, tmp_path / "a", gate=gate)
    snapshot = {name: (first / name).read_bytes() for name in EXPECTED_FILES}
    second = write_report(QUARTER, tmp_path / "a")  # the same folder, replaced whole; a new gate run

    for name in EXPECTED_FILES - {"manifest.json"}:
        assert (second / name).read_bytes() == snapshot[name], name
    before, after = json.loads(snapshot["manifest.json"]), json.loads((second / "manifest.json").read_bytes())
    assert before["files"] == after["files"]
    assert before["deliveries"] == after["deliveries"]
    assert before["gate"]["run_id"] != after["gate"]["run_id"]
