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

from crvs.quarter import label_vi
from crvs.report import charts, labels, pdf_map, pdf_tables, pdf_trends
from crvs.report.chart_tables import REGISTRATIONS_BY_PROVINCE, SRB_BY_REGION, TIMELINESS
from crvs.report.disclosure import SUPPRESSED
from crvs.report.quality_vi import QualitySection
from crvs.report.tables import ReportTable
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
    tables: list[tuple[ReportTable, list[dict]]]  # the report's tables, as published
    charts: dict[str, list[dict]] = field(default_factory=dict)  # chart model rows by code (C1–C3)
    province_names: dict[str, str] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)
    # The gate's outcome in plain Vietnamese, public wording (crvs/report/quality_vi.py): counts of
    # checks, what each warning means; no check's name, no value, no offending row.
    quality: QualitySection | None = None
    deliveries: list[dict] = field(default_factory=list)
    made_at: datetime | None = None  # when the report was made (the PDF's creation date)

    def names(self) -> dict[str, dict[str, str]]:
        """Province and region names by key column, for the tables (the seeds' when not given)."""
        names = pdf_tables.names()
        if self.province_names:
            names["province_code"] = self.province_names
        if self.region_names:
            names["region_code"] = names["geography_code"] = self.region_names
        return names

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
        self.set_title(f"Báo cáo thống kê hộ tịch {label_vi(quarter)}")
        self.set_subject("Thống kê hộ tịch và thống kê sinh tử (Civil registration and vital statistics)")
        self.set_author(labels.PRODUCER_VI)
        self.set_lang("vi")
        self.set_creator("crvs")
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(
            0,
            5,
            f"Thống kê hộ tịch {label_vi(self.quarter)} — bản công bố (public edition) — trang {self.page_no()}/{{nb}}",
            align="C",
        )
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
    pdf.add_page()
    pdf.insert_toc_placeholder(_contents, pages=1)
    _charts(pdf, inputs)
    pdf_map.map_section(pdf, inputs.rows("T8"), label_vi(inputs.quarter))
    pdf_trends.trends_section(pdf, inputs)
    _tables(pdf, inputs)
    _methods(pdf)
    _notes(pdf, inputs)
    _quality_annex(pdf, inputs)
    pdf.output(str(path))
    return pdf.page_no()


def headline_figures(inputs: PdfInputs) -> list[tuple[str, str]]:
    """The front page's figures (label, value as printed), in the order printed: those whose table or
    chart model the report holds."""
    return [
        (h.label, text) for h, text in labels.headline_values(lambda code: inputs.rows(code) is not None, inputs.cell)
    ]


def _front_page(pdf: ReportPdf, inputs: PdfInputs) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(
        0,
        9,
        f"BÁO CÁO THỐNG KÊ HỘ TỊCH\n{label_vi(inputs.quarter).upper()}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "I", 10)
    pdf.multi_cell(
        0,
        5,
        f"Civil registration and vital statistics — quarterly report {inputs.quarter}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.paragraph(
        "Báo cáo tổng hợp số liệu đăng ký hộ tịch của Bộ Tư pháp, thông báo sinh và tử của các cơ sở y tế "
        "(Bộ Y tế) và số liệu dân số, tỷ suất sinh và chết của Tổng cục Thống kê, theo Quy chế phối hợp "
        "giữa Bộ Tư pháp, Bộ Y tế và Tổng cục Thống kê. Đây là bản công bố: các ô có số nhỏ đã được "
        f"che bằng ký hiệu «{SUPPRESSED}» để bảo vệ thông tin cá nhân (xem phần Ghi chú)."
    )
    pdf.heading("Số liệu chính", 13, level=0)
    pdf.set_font(FONT, "", 10)
    with pdf.table(
        col_widths=(120, 60),
        text_align=("LEFT", "RIGHT"),
        first_row_as_headings=False,
        line_height=7,
        cell_fill_color=245,
        cell_fill_mode=TableCellFillMode.ROWS,
    ) as table:
        for label, value in headline_figures(inputs):
            table.row((label, value))
    pdf.ln(4)
    pdf.heading("Kiểm tra chất lượng dữ liệu", 11)
    pdf.paragraph(inputs.quality.front_text if inputs.quality else "—", 8.5)
    agencies = sorted({d["agency"] for d in inputs.deliveries})
    pdf.paragraph(
        f"Số liệu từ {len(inputs.deliveries)} lần gửi dữ liệu ({', '.join(agencies) or '—'}); "
        "danh sách đầy đủ ở Phụ lục.",
        8.5,
    )


def _charts(pdf: ReportPdf, inputs: PdfInputs) -> None:
    """Each chart with its heading and caption, on a new page only when it does not fit the current one."""
    entries = []
    c1 = inputs.rows(REGISTRATIONS_BY_PROVINCE.code)
    if c1:
        entries.append(
            (
                "Đăng ký khai sinh, khai tử, kết hôn mới theo tỉnh/thành phố",
                charts.registrations_by_province(c1, inputs.province_names),
                "Đăng ký mới trong quý theo tỉnh nơi đăng ký (danh mục 2025); new registrations by registration province. "
                f"«{SUPPRESSED}»: một số ô bị che, không cộng vào thanh.",
            )
        )
    t8 = inputs.rows("T8")
    if t8:
        entries.append(
            (
                "Mức độ đầy đủ đăng ký khai sinh, khai tử theo tỉnh so với mục tiêu 2030",
                charts.completeness_by_province(
                    t8,
                    inputs.province_names,
                    TARGETS_2030["birth_completeness_pct"],
                    TARGETS_2030["death_completeness_pct"],
                ),
                "Completeness by province (T8): events of the quarter registered on time over the events expected "
                "from GSO crude rates and population. Đường đứt nét: mục tiêu 2030 "
                f"({TARGETS_2030['source']}); đường xám: toàn quốc.",
            )
        )
    c2 = inputs.rows(TIMELINESS.code)
    if c2:
        entries.append(
            (
                "Tính kịp thời của đăng ký khai sinh và khai tử",
                charts.timeliness(c2),
                "Timeliness: births on time within 60 days (Law on Civil Status art. 15), deaths within 15 days "
                "(art. 33); late: within 365 days.",
            )
        )
    t5 = inputs.rows("T5")
    if t5:
        entries.append(
            (
                "Tháp tuổi của người chết đã đăng ký khai tử",
                charts.deaths_pyramid(t5),
                "Deaths by age and sex (T5, the whole country); deaths of unknown age are counted in table T5, not drawn.",
            )
        )
    c3 = inputs.rows(SRB_BY_REGION.code)
    if c3:
        entries.append(
            (
                "Tỷ số giới tính khi sinh theo vùng kinh tế – xã hội",
                charts.srb_by_region(c3, inputs.region_names),
                "Sex ratio at birth by the mother's region of residence (boys per 100 girls); grey band: the "
                "biological range.",
            )
        )
    # the contents page's placeholder has just turned the page
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


TABLE_FONT = 7
PORTRAIT_WIDTH = 180  # A4 less the margins, mm
LANDSCAPE_WIDTH = 267


def _tables(pdf: ReportPdf, inputs: PdfInputs) -> None:
    """Each table as a reader's table (crvs/report/pdf_tables.py): landscape where it is wide, its
    headings repeated on every page, columns wide enough for their longest word."""
    for n, (table, rows) in enumerate(inputs.tables):
        for number, grid in enumerate(pdf_tables.grids(table, rows, inputs.names()), start=1):
            widths = _widths(pdf, grid)
            wide = sum(widths) > PORTRAIT_WIDTH + 0.01
            pdf.add_page(orientation="L" if wide else "P")
            if n == 0 and number == 1:
                pdf.heading("Các bảng số liệu", 14, level=0)
            pdf.heading(f"{table.code}{'' if number == 1 else ' (tiếp)'}. {grid.title}", 10, level=1)
            pdf.set_font(FONT, "I", 7.5)
            pdf.multi_cell(0, 3.6, f"{table.title} — {label_vi(inputs.quarter)}", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
            if not rows:
                pdf.paragraph("Không có số liệu trong quý (no rows for this quarter).", 8.5, "I")
                continue
            _draw(pdf, grid, widths)
            if grid.note:
                pdf.ln(1.5)
                pdf.paragraph(f"Ghi chú: {grid.note} «{SUPPRESSED}»: số bị che (xem phần Ghi chú).", 7.5, "I")


def _widths(pdf: ReportPdf, grid) -> list[float]:
    """Each column at least as wide as its widest value and its longest heading word (so no word
    breaks; a heading spanning several columns widens them evenly), more where a heading of several
    words would otherwise stand in a tall stack; portrait when that fits, else landscape."""
    least, comfortable = _column_widths(pdf, grid, comfortable=False), _column_widths(pdf, grid, comfortable=True)
    for page in (PORTRAIT_WIDTH, LANDSCAPE_WIDTH):
        if sum(comfortable) <= page:
            factor = min(page / sum(comfortable), 1.5)  # air between the numbers, up to the page's width
            return [w * factor for w in comfortable]
        if sum(least) <= page:
            room, wanted = page - sum(least), sum(comfortable) - sum(least)
            return [lo + (hi - lo) * room / wanted for lo, hi in zip(least, comfortable)]
    return least


def _column_widths(pdf: ReportPdf, grid, comfortable: bool) -> list[float]:
    pad = 2.4
    widths = [0.0] * len(grid.body[0]) if grid.body else [0.0] * sum(c for _, c, _ in grid.headings[0])
    columns = len(widths)
    pdf.set_font(FONT, "", TABLE_FONT)
    for row in grid.body:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], pdf.get_string_width(text) + pad)
    pdf.set_font(FONT, "B", TABLE_FONT)
    for level, cells in enumerate(grid.headings):
        i = 0 if level == 0 else grid.label_columns
        for text, colspan, rowspan in cells:
            if level > 0:  # the second row holds only the cells under a spanning heading
                while i < columns and _spans_both(grid, i):
                    i += 1
            need = max((pdf.get_string_width(w) for w in text.split()), default=0) + pad
            have = sum(widths[i : i + colspan])
            if need > have:
                for j in range(i, i + colspan):
                    widths[j] += (need - have) / colspan
            two_lines = pdf.get_string_width(text) / 2 + pad
            if comfortable and colspan == 1 and len(text.split()) > 2 and widths[i] < two_lines:
                widths[i] = max(widths[i], min(two_lines, 22))
            i += colspan
    return widths


def _spans_both(grid, i: int) -> bool:
    """Whether column i's heading fills both heading rows (rowspan 2)."""
    position = 0
    for text, colspan, rowspan in grid.headings[0]:
        if position <= i < position + colspan:
            return rowspan == 2
        position += colspan
    return False


def _draw(pdf: ReportPdf, grid, widths: list[float]) -> None:
    pdf.set_font(FONT, "", TABLE_FONT)
    alignment = tuple("LEFT" if i < grid.label_columns else "RIGHT" for i in range(len(widths)))
    with pdf.table(
        width=sum(widths),
        col_widths=widths,
        text_align=alignment,
        align="LEFT",
        line_height=3.4,
        num_heading_rows=len(grid.headings),
        repeat_headings=1,
        headings_style=_headings_style(),
        cell_fill_color=245,
        cell_fill_mode=TableCellFillMode.ROWS,
        padding=(0.6, 1.2),
    ) as table:
        for cells in grid.headings:
            row = table.row()
            for text, colspan, rowspan in cells:
                row.cell(text, colspan=colspan, rowspan=rowspan, align="CENTER")
        for values in grid.body:
            table.row(values)


def _headings_style():
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", fill_color=(220, 230, 240))


def _contents(pdf: ReportPdf, outline) -> None:
    """The contents page: every section and sub-section with its page."""
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 9, "Mục lục", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for section in outline:
        pdf.set_font(FONT, "B" if section.level == 0 else "", 9 if section.level == 0 else 8)
        indent = 6 * section.level
        pdf.set_x(pdf.l_margin + indent)
        page = str(section.page_number)
        width = pdf.epw - indent - 12
        name = section.name
        while pdf.get_string_width(name) > width and len(name) > 8:
            name = name[:-2].rstrip() + "…" if not name.endswith("…") else name[:-3].rstrip() + "…"
        pdf.cell(width, 5 if section.level == 0 else 4.4, name, link=pdf.add_link(page=section.page_number))
        pdf.cell(12, 5 if section.level == 0 else 4.4, f"trang {page}", align="R", new_x="LMARGIN", new_y="NEXT")


METHODS = (
    (
        "Nguồn số liệu",
        "Báo cáo tổng hợp ba nguồn: sổ đăng ký hộ tịch điện tử của Bộ Tư pháp (khai sinh, khai tử, kết hôn), "
        "thông báo sinh và tử của các cơ sở y tế (Bộ Y tế), và dân số, tỷ suất sinh thô, tỷ suất chết thô của cơ quan "
        "thống kê. Mỗi lần gửi dữ liệu được kiểm tra trước khi nạp; dòng sai bị loại và ghi lại lý do (bảng T9).",
    ),
    (
        "Bản ghi được tính",
        "Mỗi hồ sơ hộ tịch chỉ tính phiên bản mới nhất, và không tính khi phiên bản đó đã bị hủy. Mỗi thông báo của "
        "cơ sở y tế tính theo lần gửi mới nhất. Trừ khi bảng ghi khác, số đăng ký là các đăng ký mới (không tính "
        "đăng ký lại và ghi vào sổ việc đã đăng ký ở nước ngoài) có ngày đăng ký trong quý.",
    ),
    (
        "Thời gian",
        "Các bảng T1 đến T7 đếm theo ngày đăng ký trong quý; bảng T8 đếm theo ngày xảy ra sự kiện (ngày sinh, ngày "
        "chết) trong quý.",
    ),
    (
        "Địa bàn",
        "Các bảng dùng 34 tỉnh, thành phố theo danh mục 2025. Số liệu ghi theo mã tỉnh cũ được quy đổi theo bảng "
        "chuyển đổi 63→34 chính thức (mỗi tỉnh cũ thuộc trọn một tỉnh mới). Vùng là sáu vùng kinh tế – xã hội; mỗi "
        "tỉnh thuộc một vùng. Khai sinh tính theo nơi cư trú của mẹ, khai tử theo nơi cư trú của người chết, kết hôn "
        "và bảng T1 theo nơi đăng ký. Toàn quốc gồm cả các sự kiện không rõ nơi cư trú.",
    ),
    (
        "Tính kịp thời",
        "Số ngày chậm là ngày đăng ký trừ ngày sinh (ngày chết). Khai sinh đúng hạn khi đăng ký trong vòng 60 ngày "
        "(Luật Hộ tịch, Điều 15); khai tử đúng hạn trong vòng 15 ngày (Điều 33). Quá thời hạn đó là muộn (trong "
        "vòng 365 ngày), quá hạn 1–5 năm (trong vòng 1825 ngày) hoặc quá hạn trên 5 năm. Kết hôn: không áp dụng.",
    ),
    (
        "Tuổi",
        "Tuổi tròn năm tại ngày xảy ra sự kiện. Nhóm tuổi người chết: dưới 1 tuổi, 1-4, 5-9, …, 80-84, 85+; tuổi của "
        "mẹ: dưới 15, 15-19, …, 45-49, 50+; tuổi kết hôn: dưới 18, 18-19, 20-24, …, 55-59, 60+; «Không rõ» khi "
        "thiếu ngày sinh. Dưới tuổi kết hôn: nữ dưới 18 tuổi, nam dưới 20 tuổi (Luật Hôn nhân và gia đình).",
    ),
    (
        "Tỷ lệ và tỷ số",
        "Tỷ lệ phần trăm, tỷ số có một chữ số thập phân. Tỷ số giới tính khi sinh = số bé trai / số bé gái × 100. "
        "Nguyên nhân không rõ ràng là các mã ICD-10 từ R00 đến R99, tính trên số khai tử có nguyên nhân chết.",
    ),
    (
        "Mức độ đầy đủ của đăng ký (bảng T8)",
        "Số sinh ước tính của một tỉnh = tổng theo các địa bàn của tỉnh của tỷ suất sinh thô / 1000 × dân số × số "
        "ngày của quý / số ngày của năm, với số liệu của năm chứa quý; số chết ước tính tương tự với tỷ suất chết "
        "thô. Mức độ đầy đủ khai sinh = số khai sinh đúng hạn của trẻ sinh trong quý / số sinh ước tính × 100; khai "
        "tử tương tự. Trẻ sinh tại cơ sở y tế đã được khai sinh: thông báo sinh sống của cơ sở y tế được ghép một-một "
        "với một khai sinh mới có cùng mã của mẹ, cùng ngày sinh và cùng giới tính (sinh đôi ghép theo số lượng); "
        "thông báo không có mã của mẹ không được ghép.",
    ),
    (
        "Mức độ đầy đủ theo thời hạn đăng ký (bảng T10)",
        "Theo khuyến nghị của Liên Hợp Quốc, mức độ đầy đủ được tính cho ba thời hạn kể từ ngày sinh (ngày chết): "
        "trong thời hạn luật định (khai sinh trong vòng 60 ngày, khai tử trong vòng 15 ngày), trong vòng 1 năm "
        "(365 ngày) và trong vòng 5 năm (1825 ngày). Mỗi thời hạn được đo trên các sự kiện của quý gần nhất mà mọi "
        "sự kiện đã qua hết thời hạn vào ngày cuối của quý báo cáo: quý trước cho thời hạn luật định, cùng quý năm "
        "trước cho thời hạn một năm, cùng quý năm năm trước cho thời hạn năm năm. Số đăng ký của các sự kiện mới hơn "
        "còn tăng lên, nên không được dùng. Số ước tính của quý đó tính như bảng T8, với số liệu dân số và tỷ suất của "
        "năm xảy ra sự kiện, cộng theo các tỉnh của vùng. Theo giới tính, tỷ suất thô được áp dụng cho dân số nam "
        "(nữ) vì cơ quan thống kê không cung cấp tỷ suất theo giới tính; tỷ số giới tính khi sinh cao hơn tỷ số giới "
        "tính của dân số nên mức độ đầy đủ của bé trai có thể cao hơn thực tế. Khi dữ liệu của Bộ Tư pháp chưa phủ hết "
        "thời kỳ từ đầu quý xảy ra sự kiện đến cuối quý báo cáo, bảng ghi «Thiếu một phần».",
    ),
    (
        "Bảo vệ thông tin cá nhân",
        f"Bản công bố che mọi số đếm từ 1 đến 4 bằng ký hiệu «{SUPPRESSED}»; số 0 được công bố. Tỷ lệ, tỷ số có tử số "
        f"dưới 20 cũng bị che. Sau đó che thêm một số ô khác, chọn sao cho mất ít thông tin nhất, để người đọc có "
        "trong tay mọi tệp công bố của quý (các tổng, quan hệ giữa các bảng, các tỷ lệ đã công bố) cũng không suy ra "
        "được số bị che: với mỗi ô bị che, giá trị nhỏ nhất và lớn nhất có thể suy ra chênh nhau tối thiểu 5.",
    ),
)


def _methods(pdf: ReportPdf) -> None:
    pdf.add_page(orientation="P")
    pdf.heading("Phương pháp và định nghĩa", 14, level=0)
    for title, text in METHODS:
        pdf.heading(title, 10)
        pdf.paragraph(text, 8.5)


def _notes(pdf: ReportPdf, inputs: PdfInputs) -> None:
    pdf.add_page(orientation="P")
    pdf.heading("Ghi chú (Notes)", 14, level=0)
    for text in (
        f"Ký hiệu «{SUPPRESSED}»: số bị che để bảo vệ thông tin cá nhân (xem Phương pháp và định nghĩa).",
        "Ô trống: không tính được (mẫu số bằng 0 hoặc không có).",
        "Số viết theo kiểu Việt Nam: dấu chấm phân cách hàng nghìn, dấu phẩy thập phân. Các tệp CSV và XLSX đi kèm "
        "giữ số và mã theo kiểu máy đọc (dấu chấm thập phân, mã theo quy định trao đổi dữ liệu).",
        "Toàn quốc: cả nước. Số sinh (chết) ước tính không phải là số đếm nên không bị che.",
        f"Mục tiêu 2030: khai sinh {charts.vn_number(TARGETS_2030['birth_completeness_pct'])}%, khai tử "
        f"{charts.vn_number(TARGETS_2030['death_completeness_pct'])}% — {TARGETS_2030['source']}.",
    ):
        pdf.paragraph(f"• {text}", 8.5)
    pdf.ln(2)
    pdf.heading("Tên bảng và tên cột (table and column names in English)", 11)
    pdf.set_font(FONT, "", 7)
    with pdf.table(
        col_widths=(12, 84, 84), line_height=3.4, headings_style=_headings_style(), padding=(0.6, 1.2)
    ) as grid:
        grid.row(("Bảng", "Tiếng Việt", "English"))
        for table, _ in inputs.tables:
            grid.row((table.code, labels.title_vi(table.code), table.title))
            for column in table.columns:
                if column.name != "quarter":
                    grid.row(("", f"   {labels.column_vi(column.name)}", f"   {labels.column_en(column.name)}"))


def _quality_annex(pdf: ReportPdf, inputs: PdfInputs) -> None:
    quality = inputs.quality
    pdf.add_page(orientation="P")
    pdf.heading("Phụ lục: chất lượng dữ liệu (Quality annex)", 14, level=0)
    pdf.paragraph(quality.annex_text if quality else "—", 8.5)
    if quality and quality.accepted:
        pdf.heading("Kết quả được chấp nhận", 10)
        for text in quality.accepted:
            pdf.paragraph(f"• {text}", 8)
    pdf.heading("Cảnh báo và ý nghĩa", 10)
    for text in quality.warnings if quality else ():
        pdf.paragraph(f"• {text}", 8)
    if quality and not quality.warnings:
        pdf.paragraph("Không có cảnh báo.", 8)
    pdf.heading("Các kiểm tra theo nội dung", 10)
    for group in quality.groups if quality else ():
        pdf.paragraph(f"• {group.line()}", 8)
    pdf.ln(3)
    pdf.heading("Dữ liệu sử dụng (deliveries used)", 10)
    pdf.set_font(FONT, "", 7)
    with pdf.table(col_widths=(42, 16, 14, 42, 36, 30), line_height=3.6, headings_style=_headings_style()) as grid:
        grid.row(("Lần gửi", "Cơ quan", "Kênh", "Thời điểm trích xuất", "Thời kỳ", "Kiểm tra khi nạp"))
        for d in inputs.deliveries:
            grid.row(
                (
                    d["delivery_id"],
                    d["agency"],
                    d["channel"],
                    d["extracted_at"],
                    f"{d['period_start']} – {d['period_end']}",
                    _feed_checks_vi(d.get("feed_checks")),
                )
            )


def _feed_checks_vi(outcome: str | None) -> str:
    """A delivery's feed-check outcome (crvs.quality.feeds: PASSED, FAILED: …, NOT CHECKED) in words."""
    if not outcome:
        return "—"
    if outcome.startswith("PASSED"):
        return "đạt"
    if outcome.startswith("FAILED"):
        return "không đạt"
    return "chưa kiểm tra"
