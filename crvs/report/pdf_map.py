"""The PDF's map section: birth completeness by province (T8 as published) on the tile-grid map,
on a page of its own, with its title, its reading note and its source in Vietnamese."""

from __future__ import annotations

import io

from crvs.report import tile_map
from crvs.report.disclosure import SUPPRESSED
from crvs.report.targets import TARGETS_2030

TITLE = "Bản đồ 1. Mức độ đầy đủ đăng ký khai sinh theo tỉnh, thành phố"
NOTES_HEIGHT = 34  # mm kept under the map for its notes and source, so the section fits one page


def map_section(pdf, t8_rows: list[dict] | None, quarter_label: str) -> None:
    """A new portrait page of `pdf` (crvs.report.pdf.ReportPdf, which calls this: not imported back,
    no circle) with the map, when T8 has rows (the published ones: the public edition's
    hidden cells stay `x` on the map)."""
    if not t8_rows:
        return
    png = tile_map.completeness_map(t8_rows)
    pdf.add_page(orientation="P")
    pdf.heading("Bản đồ", 14, level=0)
    pdf.heading(TITLE, 10, level=1)
    pdf.paragraph(f"Trẻ sinh trong {quarter_label} được đăng ký khai sinh đúng hạn, % số sinh ước tính", 8.5, "I")
    width, height = tile_map.FIGSIZE
    room = pdf.h - pdf.b_margin - pdf.get_y() - NOTES_HEIGHT
    image_width = min(pdf.epw, room * width / height)
    pdf.image(
        io.BytesIO(png),
        x=pdf.l_margin + (pdf.epw - image_width) / 2,
        w=image_width,
        title=TITLE,
        alt_text=f"{TITLE}: mỗi ô vuông là một trong 34 tỉnh, thành phố, đặt gần đúng vị trí địa lý.",
    )
    pdf.ln(1)
    pdf.set_font("DejaVu", "", 7.5)
    for text in (
        "Bản đồ dạng ô: mỗi tỉnh, thành phố (danh mục 2025) là một ô vuông cùng kích thước, đặt gần đúng vị trí "
        "địa lý của trung tâm hành chính; ô không thể hiện diện tích hay đường địa giới.",
        f"Mức độ đầy đủ = số khai sinh đúng hạn (≤ 60 ngày) của trẻ sinh trong quý / số sinh ước tính × 100 "
        f"(bảng T8). Mục tiêu 2030: {tile_map.vn_number(TARGETS_2030['birth_completeness_pct'])}% "
        f"({TARGETS_2030['source']}). Ô xám gạch chéo «{SUPPRESSED}»: số bị che để bảo vệ thông tin cá nhân "
        "(tử số dưới 20 hoặc che bổ sung).",
        "Nguồn: Bộ Tư pháp (cơ sở dữ liệu hộ tịch điện tử); số sinh ước tính từ dân số và tỷ suất sinh thô của "
        "cơ quan thống kê. Birth registration completeness by province, tile-grid map.",
    ):
        pdf.multi_cell(0, 3.6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
