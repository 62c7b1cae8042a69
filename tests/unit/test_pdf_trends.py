"""The trend section's note (crvs/report/pdf_trends.py): eight quarters, fewer, none; no figure."""

from crvs.report.pdf_trends import trend_note


def _rows(*periods):
    return [{"period": p} for p in periods]


def test_eight_quarters_are_named_by_their_span():
    periods = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
    assert trend_note(_rows(*reversed(periods))) == "Tám quý gần nhất, từ quý 1/2024 đến quý 4/2025."


def test_fewer_quarters_are_said_to_be_fewer():
    assert trend_note(_rows("2025Q1", "2024Q4")) == (
        "Kho dữ liệu chưa có đủ tám quý gần nhất: biểu đồ và bảng T11 chỉ gồm các quý đã có số liệu, "
        "từ quý 4/2024 đến quý 1/2025."
    )


def test_no_quarter_no_trend():
    assert trend_note([]) == "Kho dữ liệu chưa có số liệu của các quý trước: chưa thể trình bày xu hướng."
