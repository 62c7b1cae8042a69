"""The PDF's trend section (issue 17 item 2): the last eight quarters the warehouse holds, nationally,
as a line chart (crvs/report/charts.py) drawn from T11 as published, with a note when fewer than
eight quarters are held. The table itself is T11 in the tables section (crvs/report/pdf_tables.py).

No figure in the text: the quarters are named by their labels only, so the public text audit has
nothing to refuse; every number the reader sees is in the chart or in table T11.
"""

from __future__ import annotations

from crvs.quarter import label_vi
from crvs.report import charts
from crvs.report.disclosure import SUPPRESSED

QUARTERS_SHOWN = 8  # "the last eight quarters" (issue 17)
TREND = "T11"


def trend_note(rows: list[dict]) -> str:
    """What the section says of the quarters it covers: all eight, or fewer, from which to which."""
    if not rows:
        return "Kho dữ liệu chưa có số liệu của các quý trước: chưa thể trình bày xu hướng."
    periods = sorted(r["period"] for r in rows)
    span = f"từ {label_vi(periods[0])} đến {label_vi(periods[-1])}"
    if len(periods) >= QUARTERS_SHOWN:
        return f"Tám quý gần nhất, {span}."
    return f"Kho dữ liệu chưa có đủ tám quý gần nhất: biểu đồ và bảng {TREND} chỉ gồm các quý đã có số liệu, {span}."


def trends_section(pdf, inputs) -> None:
    """The section after the charts: heading, the note on the quarters held, the chart, its caption."""
    rows = inputs.rows(TREND)
    if rows is None:
        return  # a report without T11 (its model not built): no section
    pdf.add_page()
    pdf.heading("Xu hướng các quý gần đây", 14, level=0)
    pdf.paragraph(trend_note(rows), 9)
    if not rows:
        return
    pdf.heading("Biểu đồ xu hướng. Đăng ký mới, tính kịp thời và mức độ đầy đủ, toàn quốc", 10, level=1)
    pdf.chart(
        charts.trends(rows),
        "Xu hướng đăng ký hộ tịch",
        "Trends, the whole country: new registrations of each quarter (left); births registered within 60 "
        "days and deaths within 15 days, as a share of the quarter's registrations, and completeness (events "
        "of the quarter registered on time over the events expected from GSO crude rates and population), "
        f"right. Số liệu các quý trước đã được tính lại với dữ liệu gửi muộn. «{SUPPRESSED}»: số bị che. "
        f"Số liệu: bảng {TREND}.",
    )
