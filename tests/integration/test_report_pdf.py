"""The public PDF on a hand-made quarter (report_quarter.py) plus hand-made chart models: its text
is extracted and the headline figures, the tables and the annex checked against figures worked out
here by hand."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from pypdf import PdfReader
from report_quarter import QUARTER, fill_quarter
from test_report import same_pdf_but_its_date

from crvs.quality import run_gate
from crvs.quality.provinces import province_codes
from crvs.report import REPORT_TABLES, write_report

CHART_DDL = """
create table reports.rpt_chart_registrations_by_province (
    quarter text, province_code text, births integer, deaths integer, marriages integer);
create table reports.rpt_chart_timeliness (
    quarter text, event_type text, on_time integer, late integer, delayed_1_5y integer,
    delayed_5y_plus integer, total integer, on_time_pct numeric(5,1));
create table reports.rpt_chart_srb_by_region (
    quarter text, region_code text, male integer, female integer, sex_ratio_at_birth numeric(5,1));
"""


@pytest.fixture
def quarter_with_charts(db):
    """Charts: every province 180 births, 70 deaths, 44 marriages; VN = 34 × that = 6120, 2380, 1496.
    Timeliness: births 5000 on time of 6120 (81.7 %), deaths 1800 of 2380 (75.6 %).
    Regions: SRB 112.0 (560/500) in each of the six; VN 3360/3000 = 112.0."""
    fill_quarter(db)
    db.execute(CHART_DDL)
    for code in province_codes():
        db.execute(
            "insert into reports.rpt_chart_registrations_by_province values (%s, %s, 180, 70, 44)", (QUARTER, code)
        )
    db.execute(
        "insert into reports.rpt_chart_registrations_by_province values (%s, 'VN', 6120, 2380, 1496)", (QUARTER,)
    )
    db.execute(
        "insert into reports.rpt_chart_timeliness values (%s, 'BIRTH', 5000, 1000, 100, 20, 6120, 81.7), "
        "(%s, 'DEATH', 1800, 500, 60, 20, 2380, 75.6)",
        (QUARTER, QUARTER),
    )
    for region in ("NMM", "RRD", "NCC", "CHL", "SE", "MD"):
        db.execute("insert into reports.rpt_chart_srb_by_region values (%s, %s, 560, 500, 112.0)", (QUARTER, region))
    db.execute("insert into reports.rpt_chart_srb_by_region values (%s, 'VN', 3360, 3000, 112.0)", (QUARTER,))
    return db


def pdf_text(path) -> tuple[list[str], int]:
    reader = PdfReader(path)
    return [page.extract_text() for page in reader.pages], len(reader.pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_pdf_reads_well_and_its_headline_figures_are_right(quarter_with_charts, tmp_path):
    gate = run_gate(QUARTER)
    folder = write_report(QUARTER, tmp_path, gate=gate)
    pages, count = pdf_text(folder / "public" / f"crvs_{QUARTER}_report.pdf")
    front = squash(pages[0])

    assert "BÁO CÁO THỐNG KÊ HỘ TỊCH" in front and "QUÝ 3/2025" in front
    # Published cells only: T2 VN 3253 + 2965 births, ratio 109.7; T6 VN deaths 1652, 80.0 % on time;
    # T8 VN completeness 90.0 / 78.0 and linkage 95.0; written the Vietnamese way. The charts' own
    # figures (C1's 1496 marriages, C2's 81.7 % of births on time) are no table's: not in the text.
    for label, value in [
        ("Khai sinh mới đăng ký trong quý", "6.218"),
        ("Tỷ số giới tính khi sinh (bé trai/100 bé gái)", "109,7"),
        ("Khai tử mới đăng ký trong quý", "1.652"),
        ("Khai tử đúng hạn (≤ 15 ngày), % số khai tử", "80,0%"),
        ("Mức độ đầy đủ khai sinh (mục tiêu 2030: 100%)", "90,0%"),
        ("Mức độ đầy đủ khai tử (mục tiêu 2030: 80%)", "78,0%"),
        ("Trẻ sinh tại cơ sở y tế đã được khai sinh", "95,0%"),
    ]:
        assert f"{label} {value}" in front, label
    assert "1.496" not in front and "81,7" not in front and "Kết hôn mới đăng ký" not in front
    # The gate's outcome in plain Vietnamese (crvs/report/quality_vi.py), counted from the gate's own
    # outcomes: how many checks ran and passed, how many warnings (the fixture's 01 warns on T8).
    checks, met = len(gate.outcomes), sum(o.success for o in gate.outcomes)
    assert len(gate.warnings) >= 1 and not gate.accepted and met == checks - len(gate.warnings)
    quality = front[front.index("Kiểm tra chất lượng dữ liệu") :]
    assert quality.startswith(
        f"Kiểm tra chất lượng dữ liệu Trước khi công bố, số liệu của quý 3/2025 đã qua {checks} kiểm tra chất "
        f"lượng tự động. Kết quả: {met} kiểm tra đạt; {len(gate.warnings)} cảnh báo ("
    )
    assert "Gate" not in front and "WARNING" not in front and "passed" not in front

    everything = squash(" ".join(pages))
    for heading in (
        "Mục lục",
        "Biểu đồ 1. Đăng ký khai sinh, khai tử, kết hôn mới theo tỉnh/thành phố",
        "Biểu đồ 2. Mức độ đầy đủ đăng ký khai sinh, khai tử theo tỉnh so với mục tiêu 2030",
        "Biểu đồ 3. Tính kịp thời",
        "Biểu đồ 4. Tháp tuổi của người chết đã đăng ký khai tử",
        "Biểu đồ 5. Tỷ số giới tính khi sinh theo vùng",
        "T1. Số đăng ký hộ tịch theo tỉnh đăng ký, loại sự kiện và loại đăng ký",
        "T1 (tiếp). Khai sinh, khai tử mới theo tỉnh đăng ký và tính kịp thời",
        "T2. Khai sinh đăng ký trong quý theo tỉnh cư trú của mẹ và giới tính",
        "T3. Khai sinh đăng ký trong quý theo vùng cư trú và nhóm tuổi của mẹ",
        "T4. Khai sinh đăng ký trong quý theo vùng cư trú, nơi sinh và tính kịp thời",
        "T5. Khai tử đăng ký trong quý theo nhóm tuổi và giới tính",
        "T6. Khai tử đăng ký trong quý: tính kịp thời và nguyên nhân chết",
        "T7. Người kết hôn đăng ký trong quý theo vùng đăng ký, giới tính và nhóm tuổi",
        "T8. Mức độ đầy đủ của đăng ký khai sinh, khai tử",
        "T9. Chất lượng dữ liệu: các lần gửi dữ liệu dùng cho quý",
        # English beneath each title, and in the notes
        "Registrations by registration province, event, kind and timeliness",
        "Phương pháp và định nghĩa",
        "Ghi chú (Notes)",
        "Phụ lục: chất lượng dữ liệu (Quality annex)",
    ):
        assert heading in everything, heading
    # The tables are the public edition, the Vietnamese way, provinces and regions by name:
    # T2 01 (Hà Nội) with its boys and girls hidden; VN as computed (3253, 2965, 0, 6218, 109.7).
    assert "Hà Nội x x 0 43 x" in everything
    assert "Toàn quốc 3.253 2.965 0 6.218 109,7" in everything
    # T5's national 85+ row with its hidden men and unknown sex (report_quarter: 300, 450, 2, 752)
    assert "85+ x 450 x 752" in everything
    assert "Toàn quốc 1.652 1.321 80,0 1.487 991 60,0 99 6,7" in everything  # T6's VN row
    # T8 VN: expected 34000.0 births, 30600 on time, 90.0 %; 17000.0 deaths, 13260, 78.0; 26400, 25080, 95.0
    assert "Toàn quốc 34.000,0 30.600 90,0 17.000,0 13.260 78,0 26.400 25.080 95,0" in everything
    # T1's pivot: Hà Nội's 120 + 4 NEW births, the 4 late hidden, so their sum too (x); its NEW marriages
    # hidden; the 3 with a foreign element, hidden; no other registration (0). Its timeliness table:
    # the 4 late hidden, and the 120 on time with them (protected over all tables together).
    assert "Hà Nội x 0 0 0 0 0 x 0 0 x" in everything
    assert "Hà Nội x x 0 0 0 0 0 0" in everything
    # Hồ Chí Minh (79): its 2 NEW deaths on time, hidden, in both tables.
    assert "Hồ Chí Minh 0 0 0 x 0 0 0 0 0 x" in everything
    # Every province by name in T1's two tables, T2, T6 and T8 (five times each).
    from crvs.report.pdf_tables import names

    for name in names()["province_code"].values():
        assert everything.count(f" {name} ") >= 5, name
    # No column identifier, no contract code, no machine number (1820, 75.0) in the tables' pages.
    tables_pages = squash(
        " ".join(
            p for p in pages if "Registrations by" in p or "registered in the quarter" in p or "Data quality:" in p
        )
    )
    identifiers = {c.name for t in REPORT_TABLES for c in t.columns if "_" in c.name}
    codes = {
        "BIRTH",
        "DEATH",
        "MARRIAGE",
        "NEW",
        "RE_REGISTRATION",
        "RECORDED_ABROAD",
        "ON_TIME",
        "LATE",
        "DELAYED_1_5Y",
        "DELAYED_5Y_PLUS",
        "NOT_APPLICABLE",
        "FACILITY",
        "HOME",
        "OTHER",
        "ABROAD",
        "NATIONAL",
        "REGION",
        "UNKNOWN",
    }
    # (the quality annex too: it names no check, column or code, issue 17 item 5)
    words = set(re.findall(r"[\w<>+-]+", squash(" ".join(pages))))
    assert not words & identifiers and not words & codes, (words & identifiers, words & codes)
    undated = re.sub(r"\b20\d\d-\d\d-\d\d[\d:T+ ]*|/20\d\d\b|(?:danh mục|list|tiêu) 20\d\d\b", " ", tables_pages)
    assert not re.search(r"(?<![\w.,-])\d{4,}(?![\w.,])", undated), "a number without its dot"
    assert not re.search(r"(?<![\w.])\d+\.\d(?![\w.])", re.sub(r"SDG [\d.()a-z]+", " ", undated)), "a decimal point"
    assert "moj-2025q3-01" in everything and "gso-2025" in everything  # the deliveries used
    assert "moj-2025q2" not in everything
    assert f"trang {count}/{count}" in squash(pages[-1])

    # The document's metadata: Vietnamese, by the statistics office, dated when the report was made
    # (the manifest's generated_at), tagged (a structure tree, marked).
    name = f"public/crvs_{QUARTER}_report.pdf"
    reader = PdfReader(folder / name)
    made = json.loads((folder / "manifest.json").read_text())["generated_at"]
    assert reader.metadata.creation_date == datetime.fromisoformat(made)
    assert reader.metadata.title == "Báo cáo thống kê hộ tịch quý 3/2025"
    assert reader.metadata.author == "Bộ Tư pháp — Thống kê hộ tịch"
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "vi" and catalog["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalog and "/Outlines" in catalog

    # Built again (another gate run, another time): the same document but for its date, charts included.
    again = write_report(QUARTER, tmp_path / "again")
    assert same_pdf_but_its_date((again / name).read_bytes(), (folder / name).read_bytes())


def test_without_chart_models_the_pdf_leaves_those_charts_out(warehouse_quarter_only, tmp_path):
    folder = write_report(QUARTER, tmp_path)
    pages, _ = pdf_text(folder / "public" / f"crvs_{QUARTER}_report.pdf")
    everything = squash(" ".join(pages))
    assert "Biểu đồ 1. Mức độ đầy đủ" in everything  # T8's chart comes first now
    assert "Kết hôn mới đăng ký trong quý" not in everything  # no table publishes it
    assert "Khai sinh đúng hạn (≤ 60 ngày), % số khai sinh" not in everything  # nor this
    assert "Khai sinh mới đăng ký trong quý 6.218" in everything
    assert "Khai tử mới đăng ký trong quý 1.652" in everything  # T6's, with or without the charts


@pytest.fixture
def warehouse_quarter_only(db):
    return fill_quarter(db)


def test_the_pdf_shows_the_trend_and_says_fewer_quarters_are_held(quarter_with_charts, tmp_path):
    """T11 (report_quarter.fill_trend: 2025Q2 and 2025Q3 held): a section with the note that fewer
    than eight quarters are held, the chart, and the table in the Vietnamese format, as published
    (2025Q3's births on time and marriages x; 2025Q2's shares on a numerator of 0 x)."""
    folder = write_report(QUARTER, tmp_path)
    pages, _ = pdf_text(folder / "public" / f"crvs_{QUARTER}_report.pdf")
    text = [squash(p) for p in pages if "Mục lục" not in p]  # the contents page names them too
    (section,) = [p for p in text if "Xu hướng các quý gần đây" in p and "Biểu đồ xu hướng" in p]
    assert (
        "Kho dữ liệu chưa có đủ tám quý gần nhất: biểu đồ và bảng T11 chỉ gồm các quý đã có số liệu, "
        "từ quý 2/2025 đến quý 3/2025." in section
    )
    (table,) = [p for p in text if "T11. Xu hướng tám quý gần nhất" in p]
    # period, births, % on time, deaths, % on time, marriages, birth and death completeness
    assert "quý 2/2025 999 100,0 0 x 0 x x" in table
    assert "quý 3/2025 6.218 x 1.652 80,0 x 90,0 78,0" in table
