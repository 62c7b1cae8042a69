"""T10 in the written report, on the hand-made quarter (report_quarter.py) plus hand-made T10 rows:
the PDF's two T10 tables (text extracted) and the workbooks' T10 sheet.

T10 rows: births within the legal period of 2025Q2, each region expected 100.0 (50.0 boys, 50.0
girls), 40 boys + 38 girls + 0 unknown = 78 registered: 78.0 %, 80.0 %, 76.0 %; VN = 6 × that:
600.0 (300.0, 300.0), 240 + 228 + 0 = 468, 78.0 / 80.0 / 76.0 %. No count from 1 to 4: nothing hidden."""

from __future__ import annotations

from openpyxl import load_workbook
from pypdf import PdfReader
from report_quarter import QUARTER, fill_quarter

from crvs.report import write_report

REGIONS = ("NMM", "RRD", "NCC", "CHL", "SE", "MRD")


def test_t10_is_in_the_pdf_and_both_workbooks(db, tmp_path):
    fill_quarter(db)
    for region, figures in [(r, (100.0, 50.0, 50.0, 40, 38, 0, 78)) for r in REGIONS] + [
        ("VN", (600.0, 300.0, 300.0, 240, 228, 0, 468))
    ]:
        db.execute(
            "insert into reports.rpt_t10_completeness_by_period values "
            "(%s, 'LEGAL', '2025Q2', 'BIRTH', %s, 'COMPLETE', %s, %s, %s, %s, %s, %s, %s, 78.0, 80.0, 76.0)",
            (QUARTER, region, *figures),
        )
    folder = write_report(QUARTER, tmp_path)

    text = " ".join(p.extract_text() for p in PdfReader(folder / "public" / f"crvs_{QUARTER}_report.pdf").pages)
    text = " ".join(text.split())
    assert "T10. Khai sinh: mức độ đầy đủ trong thời hạn luật định, trong vòng 1 năm và trong vòng 5 năm" in text
    assert "T10 (tiếp). Khai tử: mức độ đầy đủ" in text
    assert (
        "Trong thời hạn luật định Quý 2/2025 Trung du và miền núi phía Bắc 100,0 78 78,0 50,0 40 80,0 50,0 38 76,0 0 Đủ"
        in text
    )
    assert "Toàn quốc 600,0 468 78,0 300,0 240 80,0 300,0 228 76,0 0 Đủ" in text
    assert "Mức độ đầy đủ theo thời hạn đăng ký (bảng T10)" in text  # the methods page
    for code in ("WITHIN_1Y", "WITHIN_5Y", "COMPLETE", "PARTIAL", "registered_within", "deliveries_cover"):
        assert code not in text, code

    for edition in ("agency", "public"):
        book = load_workbook(folder / edition / f"crvs_{QUARTER}_{edition}.xlsx", read_only=True)
        rows = list(book["T10_completeness_by_period"].iter_rows(values_only=True))
        assert rows[0][:6] == (
            "quarter",
            "registered_within",
            "event_quarter",
            "event_type",
            "region_code",
            "deliveries_cover",
        )
        assert len(rows) == 1 + 7
        vn = next(r for r in rows if r[4] == "VN")
        assert vn[9:13] == (240, 228, 0, 468)
        notes = [r for r in book["Notes"].iter_rows(values_only=True) if r and r[0] == "T10_completeness_by_period"]
        assert any(r[1] == "registered_within" for r in notes)
