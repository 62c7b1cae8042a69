"""The file formats: CSV (text exactly as published) and XLSX (one workbook per audience).

Both are byte-for-byte reproducible: the CSV has a fixed row order and number spelling; the XLSX has
its document dates set to a value derived from the quarter and its zip entries stamped with that
same date, so only manifest.json carries the time the report was made.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from crvs.model_contracts import COUNT, ESTIMATE, KEY, RATE, TALLY, TEXT
from crvs.quarter import first_day
from crvs.report import labels
from crvs.report.disclosure import SUPPRESSED
from crvs.report.tables import ReportTable

COUNT_FORMAT = "#,##0"
ESTIMATE_FORMAT = "#,##0.0"
RATE_FORMAT = "0.0"


class ReportError(RuntimeError):
    """A report model holds something the report cannot publish as it stands."""


def _whole(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value):
        raise ReportError(f"{where} should be a whole number, the model holds {value!r}")
    return int(value)


def _one_decimal(value, where: str) -> Decimal:
    # The model rounds (numeric(…,1)); the writer only spells the number, it never rounds it.
    if not isinstance(value, Decimal) or value != value.quantize(Decimal("0.1")):
        raise ReportError(f"{where} should be numeric with one decimal place, the model holds {value!r}")
    return value.quantize(Decimal("0.1"))


def typed_cell(table: ReportTable, column: str, value, row: dict):
    """The value as the workbook stores it: int for counts, Decimal(…,1) for rates, text for keys.
    Estimates keep the model's spelling: whole, or with one decimal (expected births: numeric(…,1))."""
    if value is None or value == SUPPRESSED:
        return value
    kind = next(c.kind for c in table.columns if c.name == column)
    where = f"{table.model}.{column} for {row.get('province_code', '?')}"
    if kind in (COUNT, TALLY) or (kind == ESTIMATE and isinstance(value, int)):
        return _whole(value, where)
    if kind in (RATE, ESTIMATE):
        return _one_decimal(value, where)
    return str(value)


def text_cell(value) -> str:
    """How a typed cell is spelt in the CSV: plain digits, one decimal for rates, empty for none."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return str(value)


def parsed_cell(table: ReportTable, column: str, text: str):
    """A CSV cell read back as the workbook stores it (the inverse of text_cell ∘ typed_cell)."""
    kind = next(c.kind for c in table.columns if c.name == column)
    if kind == KEY:
        return text
    if kind == TEXT:
        return text or None
    if text == "":
        return None
    if text == SUPPRESSED:
        return SUPPRESSED
    return Decimal(text) if "." in text else int(text)


def read_csv_rows(path: Path, table: ReportTable) -> list[list]:
    """A published CSV's rows, typed as the workbook stores them; the header must be the table's."""
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    if header != table.column_names:
        raise ReportError(f"{path}: the columns are {header}, expected {table.column_names}")
    return [[parsed_cell(table, c, v) for c, v in zip(header, row)] for row in rows]


def typed_rows(table: ReportTable, rows: list[dict]) -> list[list]:
    return [[typed_cell(table, c, row[c], row) for c in table.column_names] for row in rows]


def write_csv(path: Path, table: ReportTable, rows: list[list]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    writer.writerows([text_cell(v) for v in row] for row in rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def fixed_time(quarter: str) -> datetime:
    """The workbook's created/modified date: midnight of the quarter's first day (not today)."""
    return datetime.combine(first_day(quarter), time())


def write_xlsx(
    path: Path,
    quarter: str,
    cover: list[tuple[str, str]],
    notes: list[tuple[str, ...]],
    tables: list[tuple[ReportTable, list[list]]],
) -> None:
    """One workbook: a cover sheet (what this is, the contents), a notes sheet (symbols, definitions,
    quality warnings), then one sheet per table with frozen headers, number formats and widths."""
    book = Workbook()
    _cover_sheet(book.active, cover, tables)
    _notes_sheet(book.create_sheet("Notes"), notes)
    for table, rows in tables:
        _table_sheet(book.create_sheet(table.sheet_name), table, rows)
    _save_reproducibly(book, path, fixed_time(quarter))


def _cover_sheet(sheet, cover: list[tuple[str, str]], tables: list[tuple[ReportTable, list[list]]]) -> None:
    sheet.title = "Cover"
    title, *facts = cover
    sheet.append([title[0]])
    sheet["A1"].font = Font(bold=True, size=14)
    if title[1]:
        sheet.append([title[1]])
        sheet["A2"].font = Font(italic=True)
    sheet.append([])
    for label, value in facts:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append(["Contents"])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for table, rows in tables:
        sheet.append(
            [table.sheet_name, f"{table.code}. {labels.title_vi(table.code)} — {table.title} ({len(rows)} rows)"]
        )
        link = sheet.cell(sheet.max_row, 1)
        link.hyperlink = f"#'{table.sheet_name}'!A1"
        link.font = Font(color="0563C1", underline="single")
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 100
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column == 2)


def _notes_sheet(sheet, notes: list[tuple[str, ...]]) -> None:
    for line in notes:
        sheet.append(list(line))
        if len(line) == 1 or not any(line[1:]):  # a heading line
            sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in (("A", 28), ("B", 30), ("C", 100), ("D", 36)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column == 3)


def _table_sheet(sheet, table: ReportTable, rows: list[list]) -> None:
    sheet.append(table.column_names)  # the CSV's header, as machines read it; the reader's label beside
    for cell in sheet[1]:
        cell.comment = Comment(f"{labels.column_vi(cell.value)} ({labels.column_en(cell.value)})", labels.PRODUCER_VI)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    right = Alignment(horizontal="right")
    for n, column in enumerate(table.columns, start=1):
        letter = get_column_letter(n)
        number_format = {RATE: RATE_FORMAT, ESTIMATE: ESTIMATE_FORMAT}.get(column.kind, COUNT_FORMAT)
        widest = max([len(column.name)] + [len(_shown(row[n - 1], number_format)) for row in rows])
        sheet.column_dimensions[letter].width = min(max(widest, 6) + 3, 60)
        if column.kind in (KEY, TEXT):
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=n, max_col=n):
            cell.number_format = number_format
            if cell.value == SUPPRESSED:
                cell.alignment = right


def _shown(value, number_format: str) -> str:
    """Roughly how Excel shows a value under its number format, to size the column."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return f"{value:,.1f}" if number_format != COUNT_FORMAT else f"{value:,}"
    return text_cell(value)


def _save_reproducibly(book: Workbook, path: Path, stamp: datetime) -> None:
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "crvs"
    draft = io.BytesIO()
    with zipfile.ZipFile(draft, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter directly: openpyxl's save_workbook() would stamp `modified` with the clock.
        ExcelWriter(book, archive).save()
    # Re-pack with every zip entry dated `stamp` (writestr uses the clock for entry times).
    with zipfile.ZipFile(io.BytesIO(draft.getvalue())) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
