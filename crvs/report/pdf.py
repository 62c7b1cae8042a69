"""crvs_{quarter}_report.pdf: the readable national report, in Vietnamese with English table titles.

Built with fpdf2 from the public edition only (every figure and chart after disclosure control):
headline figures, charts, the tables, the notes and the quality annex. Text uses DejaVu Sans, the
Unicode font that ships with matplotlib, so Vietnamese letters print. The document's dates come
from the quarter, never from the clock, so the same quarter always gives the same bytes.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import TableCellFillMode

from crvs.report import charts, labels
from crvs.report.chart_tables import REGISTRATIONS_BY_PROVINCE, SRB_BY_REGION, TIMELINESS
from crvs.report.disclosure import PRIMARY_MAX, RATE_MIN_NUMERATOR, SUPPRESSED
from crvs.report.formats import text_cell
from crvs.report.tables import KEY, TEXT, ReportTable
from crvs.report.targets import TARGETS_2030

# fpdf2 subsets the TTF font through fontTools, which logs ~110 INFO lines per PDF (a task log's
# worth of noise); matplotlib's font manager is as chatty. Their warnings still show.
for _noisy in ("fontTools", "matplotlib"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
WIDE_TABLE_COLUMNS = 8  # tables with more columns go on landscape pages


@dataclass
class PdfInputs:
    """Everything the PDF shows, already disclosure-controlled (public edition)."""

    quarter: str
    tables: list[tuple[ReportTable, list[dict]]]          # the report's tables, as published
    charts: dict[str, list[dict]] = field(default_factory=dict)  # chart model rows by code (C1–C3)
    province_names: dict[str, str] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)
    # The gate in public wording only (crvs/report/public_text.py): no value, no offending row.
    gate_summary: str = ""
    gate_checks: list[tuple[str, str, bool]] = field(default_factory=list)  # severity, check, ok
    warnings: list[str] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    made_at: datetime | None = None   # when the report was made (the PDF's creation date)

    def rows(self, code: str) -> list[dict] | None:
        for table, rows in self.tables:
            if table.code == code:
                return rows
        return self.charts.get(code)

    def cell(self, code: str, key: str, value: str, column: str):
        """One published cell, e.g. ("T2", "province_code", "VN", "total"); None when absent."""
        for row in self.rows(code) or []:
            if row.get(key) == value:
                return row.get(column)
        return None


def quarter_label_vi(quarter: str) -> str:
    return f"quý {quarter[-1]}/{quarter[:4]}"


class ReportPdf(FPDF):
    def __init__(self, quarter: str, made_at: datetime | None = None):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.quarter = quarter
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15, 15)
        # When the report was made (the manifest's generated_at), not the quarter: a reader's PDF
        # viewer shows it as the document's date.
        self.set_creation_date(made_at or datetime.now(timezone.utc))
        self.set_title(f"Báo cáo thống kê hộ tịch {quarter_label_vi(quarter)}")
        self.set_subject("Thống kê hộ tịch và thống kê sinh tử (Civil registration and vital statistics)")
        self.set_author(labels.PRODUCER_VI)
        self.set_lang("vi")
        self.set_creator("crvs")
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"Thống kê hộ tịch {quarter_label_vi(self.quarter)} — bản công bố (public edition) — "
                        f"trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 13, level: int | None = None) -> None:
        """A heading; with a `level`, also a section of the outline (bookmarks) and of the document's
        structure tree (fpdf2 tags sections and figures, so the PDF is marked as tagged)."""
        if level is not None:
            self.start_section(text, level=level)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 9, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def chart(self, png: bytes, title: str, caption: str) -> None:
        width = self.epw
        self.image(io.BytesIO(png), w=width, title=title, alt_text=f"{title}. {caption}")
        self.set_font(FONT, "I", 7.5)
        self.multi_cell(0, 3.6, caption, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)


def write_pdf(path: Path, inputs: PdfInputs) -> int:
    """Write the report to `path`; returns the number of pages."""
    pdf = ReportPdf(inputs.quarter, inputs.made_at)
    _front_page(pdf, inputs)
    _charts(pdf, inputs)
    _tables(pdf, inputs)
    _notes(pdf, inputs)
    _quality_annex(pdf, inputs)
    pdf.output(str(path))
    return pdf.page_no()


def headline_figures(inputs: PdfInputs) -> list[tuple[str, str]]:
    """The front page's figures (label, value as printed), in the order printed: those whose table or
    chart model the report holds."""
    return [(h.label, text) for h, text in
            labels.headline_values(lambda code: inputs.rows(code) is not None, inputs.cell)]


def _front_page(pdf: ReportPdf, inputs: PdfInputs) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, f"BÁO CÁO THỐNG KÊ HỘ TỊCH\n{quarter_label_vi(inputs.quarter).upper()}",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 10)
    pdf.multi_cell(0, 5, f"Civil registration and vital statistics — quarterly report {inputs.quarter}",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.paragraph(
        "Báo cáo tổng hợp số liệu đăng ký hộ tịch của Bộ Tư pháp, thông báo sinh và tử của các cơ sở y tế "
        "(Bộ Y tế) và số liệu dân số, tỷ suất sinh và chết của Tổng cục Thống kê, theo Quy chế phối hợp "
        "giữa Bộ Tư pháp, Bộ Y tế và Tổng cục Thống kê. Đây là bản công bố: các ô có số nhỏ đã được "
        f"che bằng ký hiệu «{SUPPRESSED}» để bảo vệ thông tin cá nhân (xem phần Ghi chú).")
    pdf.heading("Số liệu chính", 13, level=0)
    pdf.set_font(FONT, "", 10)
    with pdf.table(col_widths=(120, 60), text_align=("LEFT", "RIGHT"), first_row_as_headings=False,
                   line_height=7, cell_fill_color=245, cell_fill_mode=TableCellFillMode.ROWS) as table:
        for label, value in headline_figures(inputs):
            table.row((label, value))
    pdf.ln(4)
    pdf.heading("Kiểm tra chất lượng dữ liệu", 11)
    pdf.paragraph(inputs.gate_summary or "—", 8.5)
    agencies = sorted({d["agency"] for d in inputs.deliveries})
    pdf.paragraph(f"Số liệu từ {len(inputs.deliveries)} lần gửi dữ liệu ({', '.join(agencies) or '—'}); "
                  "danh sách đầy đủ ở Phụ lục.", 8.5)


def _charts(pdf: ReportPdf, inputs: PdfInputs) -> None:
    """Each chart with its heading and caption, on a new page only when it does not fit the current one."""
    entries = []
    c1 = inputs.rows(REGISTRATIONS_BY_PROVINCE.code)
    if c1:
        entries.append((
            "Đăng ký khai sinh, khai tử, kết hôn mới theo tỉnh/thành phố",
            charts.registrations_by_province(c1, inputs.province_names),
            "Registrations by province: NEW registrations of the quarter by registration province (2025 list). "
            f"«{SUPPRESSED}»: một số ô bị che, không cộng vào thanh."))
    t8 = inputs.rows("T8")
    if t8:
        entries.append((
            "Mức độ đầy đủ đăng ký khai sinh, khai tử theo tỉnh so với mục tiêu 2030",
            charts.completeness_by_province(t8, inputs.province_names, TARGETS_2030["birth_completeness_pct"],
                                            TARGETS_2030["death_completeness_pct"]),
            "Completeness by province (T8): events of the quarter registered on time over the events expected "
            "from GSO crude rates and population. Đường đứt nét: mục tiêu 2030 "
            f"({TARGETS_2030['source']}); đường xám: toàn quốc."))
    c2 = inputs.rows(TIMELINESS.code)
    if c2:
        entries.append((
            "Tính kịp thời của đăng ký khai sinh và khai tử", charts.timeliness(c2),
            "Timeliness: births on time within 60 days (Law on Civil Status art. 15), deaths within 15 days "
            "(art. 33); late: within 365 days."))
    t5 = inputs.rows("T5")
    if t5:
        entries.append((
            "Tháp tuổi của người chết đã đăng ký khai tử", charts.deaths_pyramid(t5),
            "Deaths by age and sex (T5, national rows); deaths of unknown age are counted in table T5, not drawn."))
    c3 = inputs.rows(SRB_BY_REGION.code)
    if c3:
        entries.append((
            "Tỷ số giới tính khi sinh theo vùng kinh tế – xã hội", charts.srb_by_region(c3, inputs.region_names),
            "Sex ratio at birth by the mother's region of residence (boys per 100 girls); grey band: the "
            "biological range."))
    pdf.add_page()
    pdf.heading("Biểu đồ", 14, level=0)
    for number, (title, png, caption) in enumerate(entries, start=1):
        if pdf.will_page_break(pdf.epw * _png_aspect(png) + 22):
            pdf.add_page()
        pdf.heading(f"Biểu đồ {number}. {title}", 10, level=1)
        pdf.chart(png, title, caption)


def _png_aspect(png: bytes) -> float:
    """Height over width of a PNG, from its header."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return height / width


def _tables(pdf: ReportPdf, inputs: PdfInputs) -> None:
    for n, (table, rows) in enumerate(inputs.tables):
        wide = len(table.columns) > WIDE_TABLE_COLUMNS
        pdf.add_page(orientation="L" if wide else "P")
        if n == 0:
            pdf.heading("Các bảng số liệu", 14, level=0)
        pdf.heading(f"{table.code}. {table.title}", 10, level=1)
        if not rows:
            pdf.paragraph("No rows for this quarter. (Không có số liệu trong quý.)", 8.5, "I")
            continue
        pdf.set_font(FONT, "", 6.5 if wide else 7.5)
        alignment = tuple("LEFT" if c.kind in (KEY, TEXT) else "RIGHT" for c in table.columns)
        with pdf.table(text_align=alignment, col_widths=_column_weights(table, rows),
                       line_height=3.6 if wide else 4, repeat_headings=1,
                       headings_style=_headings_style(), cell_fill_color=245,
                       cell_fill_mode=TableCellFillMode.ROWS) as grid:
            grid.row(table.column_names)
            for row in rows:
                grid.row([text_cell(row[c]) for c in table.column_names])


def _column_weights(table: ReportTable, rows: list[dict]) -> tuple[int, ...]:
    """Each column as wide as its longest value (headers may wrap, values should not)."""
    return tuple(
        max([min(len(c.name), 12)] + [len(text_cell(row[c.name])) for row in rows]) + 2 for c in table.columns)


def _headings_style():
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", fill_color=(220, 230, 240))


def _notes(pdf: ReportPdf, inputs: PdfInputs) -> None:
    pdf.add_page(orientation="P")
    pdf.heading("Ghi chú (Notes)", 14, level=0)
    for text in (
        f"Ký hiệu «{SUPPRESSED}»: số bị che. Mọi số đếm từ 1 đến {PRIMARY_MAX} bị che; thêm các ô khác trong cùng "
        "hàng hoặc cột có tổng để không thể suy ra số bị che bằng phép trừ; tỷ lệ, tỷ số có tử số dưới "
        f"{RATE_MIN_NUMERATOR} cũng bị che. Số 0 được công bố.",
        "Ô trống: không tính được (mẫu số bằng 0 hoặc không có).",
        "Số đăng ký được đếm theo ngày đăng ký trong quý (bảng T1–T7); bảng T8 đếm theo ngày xảy ra sự kiện. "
        "Chỉ tính bản ghi hiện hành (phiên bản mới nhất, không bị hủy), loại đăng ký mới (NEW) trừ khi bảng ghi khác.",
        "Đúng hạn: khai sinh trong 60 ngày (Luật Hộ tịch, điều 15), khai tử trong 15 ngày (điều 33).",
        "Địa bàn: 34 tỉnh, thành phố theo danh mục 2025; mã cũ được quy đổi theo bảng chuyển đổi 63→34 chính thức. "
        "VN = toàn quốc. Vùng: sáu vùng kinh tế – xã hội.",
        "Mức độ đầy đủ: số sự kiện đăng ký đúng hạn / số sự kiện ước tính từ tỷ suất sinh (chết) thô và dân số "
        "của Tổng cục Thống kê × 100. Số sinh (tử) ước tính không phải là số đếm nên không bị che.",
        f"Mục tiêu 2030: khai sinh {charts.vn_number(TARGETS_2030['birth_completeness_pct'])}%, khai tử "
        f"{charts.vn_number(TARGETS_2030['death_completeness_pct'])}% — {TARGETS_2030['source']}.",
        "Số trong bảng viết theo kiểu máy đọc (dấu chấm thập phân), giống các tệp CSV và XLSX đi kèm.",
    ):
        pdf.paragraph(f"• {text}", 8.5)
    pdf.ln(2)
    pdf.heading("Định nghĩa các cột (column definitions)", 11)
    pdf.set_font(FONT, "", 7)
    with pdf.table(col_widths=(22, 48, 110), line_height=3.6, headings_style=_headings_style()) as grid:
        grid.row(("Table", "Column", "Definition"))
        for table, _ in inputs.tables:
            for column in table.columns:
                grid.row((table.code, column.name, column.definition))


def _quality_annex(pdf: ReportPdf, inputs: PdfInputs) -> None:
    pdf.add_page(orientation="P")
    pdf.heading("Phụ lục: chất lượng dữ liệu (Quality annex)", 14, level=0)
    pdf.paragraph(inputs.gate_summary or "—", 8.5)
    pdf.heading("Cảnh báo (warnings)", 10)
    if inputs.warnings:
        for text in inputs.warnings:
            pdf.paragraph(f"• [WARNING] {text}", 8)
    else:
        pdf.paragraph("Không có cảnh báo: mọi kiểm tra đều đạt.", 8)
    pdf.heading("Các kiểm tra (checks)", 10)
    pdf.set_font(FONT, "", 6.5)
    with pdf.table(col_widths=(22, 16, 142), line_height=3.4, headings_style=_headings_style()) as grid:
        grid.row(("Severity", "Result", "Check"))
        for severity, name, ok in inputs.gate_checks:
            grid.row((severity, "ok" if ok else ("warn" if severity == "WARNING" else "FAIL"), name))
    pdf.ln(3)
    pdf.heading("Dữ liệu sử dụng (deliveries used)", 10)
    pdf.set_font(FONT, "", 7)
    with pdf.table(col_widths=(44, 13, 15, 42, 36, 30), line_height=3.6, headings_style=_headings_style()) as grid:
        grid.row(("delivery_id", "agency", "channel", "extracted_at", "period", "feed checks"))
        for d in inputs.deliveries:
            grid.row((d["delivery_id"], d["agency"], d["channel"], d["extracted_at"],
                      f"{d['period_start']} – {d['period_end']}", d.get("feed_checks", "—")))
