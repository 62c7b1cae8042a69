"""The PDF from hand-made inputs, without a database: tables are found by code, so the T5 table
brings its deaths pyramid along; empty tables and missing figures read well."""

from __future__ import annotations

import re
from decimal import Decimal

from pypdf import PdfReader

from crvs.report.pdf import PdfInputs, headline_figures, write_pdf
from crvs.report.tables import T2, T5, T8


def t2(code, male, female, ratio):
    return {
        "quarter": "2025Q4",
        "province_code": code,
        "male": male,
        "female": female,
        "unknown": 0,
        "total": male + female if "x" not in (male, female) else "x",
        "sex_ratio_at_birth": ratio,
    }


def t5(band, male, female):
    return {
        "quarter": "2025Q4",
        "geography_level": "NATIONAL",
        "geography_code": "VN",
        "age_band": band,
        "male": male,
        "female": female,
        "unknown": 0,
        "total": male + female,
    }


def text_of(path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


def test_a_t5_table_brings_the_pyramid_and_missing_figures_read_as_such(tmp_path):
    inputs = PdfInputs(
        quarter="2025Q4",
        tables=[
            (T2, [t2("01", 1200, 1100, Decimal("109.1")), t2("VN", 1200, 1100, Decimal("109.1"))]),
            (T5, [t5("<1", 30, 22), t5("85+", 400, 610)]),
            (T8, []),
        ],
    )
    pages = write_pdf(tmp_path / "report.pdf", inputs)
    text = text_of(tmp_path / "report.pdf")

    assert pages == len(PdfReader(tmp_path / "report.pdf").pages)
    assert "QUÝ 4/2025" in text
    assert "Khai sinh mới đăng ký trong quý 2.300" in text
    assert "Biểu đồ 1. Tháp tuổi của người chết đã đăng ký khai tử" in text  # no T8, C1–C3 rows: T5's is first
    assert "T5. Khai tử đăng ký trong quý theo nhóm tuổi và giới tính" in text
    assert "Deaths registered in the quarter by age and sex" in text  # the English title beneath
    # The Vietnamese way: names for codes, 1.010 for 1010; the group's name on its first row only.
    assert "Toàn quốc <1 30 22 0 52 85+ 400 610 0 1.010" in text
    assert "T8. Mức độ đầy đủ" in text and "Không có số liệu trong quý" in text
    assert "Hà Nội 1.200 1.100 0 2.300 109,1" in text and "Toàn quốc 1.200 1.100 0 2.300 109,1" in text
    assert "Mục lục" in text and "Phương pháp và định nghĩa" in text
    # T8 has no rows: its headline figures are missing, printed as a dash, never as zero.
    figures = dict(headline_figures(inputs))
    assert figures["Mức độ đầy đủ khai sinh (mục tiêu 2030: 100%)"] == "—"
    assert figures["Tỷ số giới tính khi sinh (bé trai/100 bé gái)"] == "109,1"
