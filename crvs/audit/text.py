"""The audit's text scan: no public text carries a figure its tables do not publish (report.md "Two
audiences": "No public file or text … carries a figure that its tables do not publish").

What is scanned: every page of the public PDF (its text, as pypdf extracts it), every cell of the
workbook's Cover and Notes sheets, the workbook's table sheets (which must be the CSVs cell for
cell), a manifest the public receives (public/manifest.json, or one given) and any other text given
(an e-mail body).

What fails:
- a table row printed in the PDF, or a table sheet of the workbook, that differs from its CSV;
- any `name=value` with a number (`region_code=SE, under_legal_age=4`): a cell value written out;
- any number that is not a figure of the published tables, unless the allow-list below explains it.

The allow-list, from the contract and the document's own furniture (documented in
docs/disclosure-audit.md):
- dates and times (2025-10-05, 2025-10-05T01:00:00Z), years 1900–2100, quarter labels (2025Q3,
  "quý 3/2025", "Q3"), page numbers ("trang 2/34", "page 2 of 34");
- identifiers: any word mixing letters and digits (T1–T9, R00–R99, ICD-10, rpt_t6_…, delivery ids
  such as MOJ-2025Q3-0001), sha256 and other hexadecimal digests, SDG indicator numbers
  ("SDG 17.19.2(b)"), law articles ("art. 15", "Điều 33"), chart and table numbers ("Biểu đồ 3",
  "Bản đồ 1", "Bảng 2", "Table 4", "Chart 1");
- report.md's constants: the age bands' labels (<1, 1-4, …, 85+, 15-19, 50+, <18, 18-19, 60+),
  thresholds in a comparison or with their unit (≤ 60 days, 15 ngày, under 18, ≥ 100, within
  50-120 %), "1 to 4" and "below 20" (the suppression rule), 63→34, the bases 100 and 1000;
- T10's time limits, 1 and 5 followed by years (năm): "within 1 year", "trong vòng 5 năm"
  (TIME_LIMIT_YEARS; any other number of years, or 1 and 5 as anything else, is still a figure);
- counts of the document's own things: "N provinces / regions / warnings / checks / deliveries /
  files / sheets / pages / tables" (and Vietnamese tỉnh, vùng, cảnh báo, kiểm tra …), which say how
  many of them, not how many people; not rows: "N rows" / "N dòng" is a figure like any other;
- 2030 targets ("mục tiêu 2030: 100%", "target 2030: 80 %"): policy, not a figure of the quarter;
- a text key value of the tables printed verbatim (T9's top_rejection_reason "…: not_in_code_list
  (3 rows)"): the CSV publishes it whole;
- in a manifest, each file's `rows`, `sha256`, `sheets`, `pages` and `suppressed_cells`, after
  checking each against the file itself (derivable from the public files, so they tell nothing).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from crvs.audit.intruder import HIDDEN, SHAPES, AuditError, Finding, Table

NAME_VALUE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(-?\d+(?:[.,]\d+)*)")

# Patterns removed before numbers are looked at (each explains the numbers inside it).
_FURNITURE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",  # dates, times
        r"\b\d{1,2}:\d{2}(?::\d{2})?\b",  # clock times
        r"\b[0-9a-f]{16,}\b",  # digests
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # uuids
        r"\bSDG\s*\d+(?:\.\d+)*(?:\([a-z]\))?",  # SDG indicators
        r"\b(?:art\.?|article|điều|khoản)\s*\d+\b",  # law articles
        r"\b(?:biểu đồ|bản đồ|bảng|table|chart|figure|map|hình|phụ lục|annex)\s*\d+\b",  # numbering
        r"\b(?:trang|page)\s*\d+\s*(?:/|of|trên)\s*\d+\b",  # page x/y
        r"\b(?:trang|page)\s*\d+\b",  # the contents' pages
        r"\b(?:quý|quarter)\s*[1-4]\s*/\s*\d{4}\b|\b(?:quý|quarter)\s*[1-4]\b|\bQ[1-4]\b",  # quarters
        r"\b63\s*(?:→|->|to)\s*34\b",  # the reform
        r"\b1\s*(?:to|–|-|—|đến)\s*4\b",  # 1 to 4
        r"\b1\s*[–-]\s*5\s*(?:năm|years?)\b",  # DELAYED_1_5Y
        r"\b(?:below|under|dưới)\s*20\b",  # below 20
        r"(?:mục tiêu|targets?)\s*2030\s*:?(?:[^\d\n•()]{0,20}\d+(?:[.,]\d)?\s*%\s*,?)+",  # 2030 targets
        r"\bv?\d+\.\d+\.\d+\b",  # versions
        # words mixing letters and digits, and hyphen/underscore words with a letter: identifiers
        r"[\w\-]*[^\W\d_][\w\-]*\d[\w\-]*|[\w\-]*\d[\w\-]*[^\W\d_][\w\-]*",
    )
]

_BANDS = {"1-4", "18-19", *(f"{a}-{a + 4}" for a in range(5, 85, 5))}
_BAND_EDGES = {"1", "15", "18", "50", "60", "85"}  # <1, <15, <18, 50+, 60+, 85+
_COMPARISON = re.compile(  # (a phrase may wrap: a line break stands for its space)
    (
        r"(?:≤|≥|<=|>=|<|>|\b(?:under|over|below|above|within|at least|at most|up to|more than|less than|"
        r"dưới|trên|tối thiểu|tối đa|trong vòng|từ))\s*$"
    ).replace(" ", r"\s+"),
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(r"^\s*(?:days?|ngày|years?|năm|tuổi|%)", re.IGNORECASE)
_UNIT_THRESHOLDS = {"15", "18", "20", "60", "365", "1825", "100"}
# T10's time limits (report.md's timeliness classes, issue 17): "within 1 year", "trong vòng 5 năm".
# Only these two numbers, and only with a unit of years after them (a heading cell may wrap, so the
# words before can be elsewhere in the extracted text): the definition, never a figure.
TIME_LIMIT_YEARS = {"1", "5"}
_YEARS_AFTER = re.compile(r"^\s*(?:năm|years?)\b", re.IGNORECASE)
# Counts of the document's own things. Not rows: a count of rows (rows rejected, rows of a province)
# is a figure like any other, allowed only when a table publishes it. A phrase may wrap in the PDF's
# text (a line break stands for its space).
_OWN_THINGS = re.compile(
    (
        r"^\s*(?:provinces?|regions?|warnings?|warning\(s\)|checks?|check\(s\)|expectations?|deliver(?:y|ies)|"
        r"files?|sheets?|pages?|tables?|columns?|charts?|tỉnh|vùng|cảnh báo|kiểm tra|bảng|trang|tệp|"
        r"khu vực|biểu đồ|lần gửi)\b"
    ).replace(" ", r"\s+"),
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_BASES = {Decimal(100), Decimal(1000), Decimal(0)}


def parse_number(token: str) -> Decimal:
    """'17.553' and '17,553' (grouped thousands) → 17553; '111,3' and '15.1' → one decimal;
    '34.000,0' and '34,000.0' (both separators: the last one is the decimal) → 34000.0."""
    if "." in token and "," in token:
        decimal_mark = max(token.rfind("."), token.rfind(","))
        whole, fraction = token[:decimal_mark], token[decimal_mark + 1 :]
        return Decimal(f"{re.sub(r'[.,]', '', whole)}.{fraction}")
    groups = re.split(r"[.,]", token)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3:
        return Decimal("".join(groups))
    if len(groups) == 2:
        return Decimal(f"{groups[0]}.{groups[1]}")
    return Decimal("".join(groups))


def published_figures(tables: dict[str, Table]) -> tuple[set[Decimal], set[Decimal]]:
    """The whole numbers the tables publish (counts, whole estimates, each table's row count: a public
    fact too) and the numbers with a decimal (rates, estimates). A number of a text must be one of its
    own kind: a bare 3 is not explained by a rate of 3.0."""
    whole, decimal = set(), set()
    for table in tables.values():
        whole.add(Decimal(len(table.rows)))
        for row in table.rows:
            for column in table.shape.counts:
                if row[column] not in (None, HIDDEN):
                    whole.add(Decimal(row[column]))
            for column in (*table.shape.estimates, *(r for r, _, _ in table.shape.rates)):
                value = row[column]
                if value not in (None, HIDDEN):
                    decimal.add(Decimal(value))
                    if Decimal(value) == Decimal(value).to_integral_value() and column in table.shape.estimates:
                        whole.add(Decimal(value))
    if "T1" in tables:
        whole |= t1_sums(tables["T1"])
    return whole, decimal


def t1_sums(table: Table) -> set[Decimal]:
    """The sums anyone computes from T1's CSV and the PDF prints in its pivot: registrations of a
    province, event and kind over their timeliness, and a province's foreign_element; a sum with a
    hidden part is not computable (nor printed)."""
    sums: dict[tuple, Decimal | None] = {}

    def add(key, value):
        if key in sums and sums[key] is None:
            return
        sums[key] = None if value == HIDDEN else (sums.get(key) or Decimal(0)) + Decimal(value or 0)

    for row in table.rows:
        add(
            ("registrations", row["quarter"], row["province_code"], row["event_type"], row["reg_kind"]),
            row["registrations"],
        )
        add(("foreign_element", row["quarter"], row["province_code"]), row["foreign_element"])
    return {v for v in sums.values() if v is not None}


def published_labels(tables: dict[str, Table]) -> set[str]:
    """The tables' text key values with a number inside, as spelt (T9's top_rejection_reason
    "reg_province_code: not_in_code_list (3 rows)"): the CSV publishes them whole, so a text that
    prints one verbatim tells nothing more; its number counts only there, not elsewhere."""
    return {
        row[k]
        for table in tables.values()
        for row in table.rows
        for k in table.shape.keys
        if row[k] and re.search(r"\d", row[k]) and not row[k].isdigit()
    }


def published_codes(tables: dict[str, Table]) -> set[str]:
    """The tables' numeric key values as spelt (province codes such as 01, 79): labels, not figures."""
    return {
        row[k]
        for table in tables.values()
        for row in table.rows
        for k in table.shape.keys
        if row[k] and row[k].isdigit()
    }


@dataclass(frozen=True)
class Published:
    """What the public tables publish: whole figures, figures with a decimal, numeric labels."""

    whole: frozenset[Decimal]
    decimal: frozenset[Decimal] = frozenset()
    codes: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()

    @classmethod
    def of(cls, tables: dict[str, Table]) -> Published:
        whole, decimal = published_figures(tables)
        return cls(
            frozenset(whole),
            frozenset(decimal),
            frozenset(published_codes(tables)),
            frozenset(published_labels(tables)),
        )

    def explains(self, value: Decimal, with_decimal: bool) -> bool:
        return value in _BASES or value in (self.decimal if with_decimal else self.whole)


def unexplained_numbers(text: str, known: Published) -> list[str]:
    """The numbers of `text` that are neither a published figure nor explained by the allow-list."""
    cleaned = text
    for label in sorted(known.labels, key=len, reverse=True):  # a published label, as printed (it may wrap)
        pattern = r"\s+".join(re.escape(word) for word in label.split())
        cleaned = re.sub(pattern, lambda m: " " * len(m.group(0)), cleaned)
    for pattern in _FURNITURE:
        cleaned = pattern.sub(lambda m: " " * len(m.group(0)), cleaned)
    found = []
    for match in _NUMBER.finditer(cleaned):
        token = match.group(0)
        if token in known.codes:
            continue
        before, after = cleaned[max(0, match.start() - 16) : match.start()], cleaned[match.end() : match.end() + 16]
        if _is_band(token, cleaned, match):
            continue
        if _COMPARISON.search(before) or (token in _UNIT_THRESHOLDS and _UNIT_AFTER.match(after)):
            continue
        if token in TIME_LIMIT_YEARS and _YEARS_AFTER.match(after):
            continue
        if _OWN_THINGS.match(after):
            continue
        value = parse_number(token)
        if known.explains(value, with_decimal=value != value.to_integral_value() or _one_decimal(token)):
            continue
        if "." not in token and "," not in token and 1900 <= value <= 2100:
            continue  # a year
        found.append(token)
    return found


def _one_decimal(token: str) -> bool:
    """'84,0' / '84.0' / '34.000,0': written as a rate or estimate (one decimal), though whole."""
    return bool(
        re.fullmatch(r"\d+[.,]\d", token)
        or re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+[.,]\d", token)
        and "." in token
        and "," in token
    )


def _is_band(token: str, text: str, match: re.Match) -> bool:
    start, end = match.start(), match.end()
    prev_char = text[start - 1] if start else ""
    next_char = text[end] if end < len(text) else ""
    if token in _BAND_EDGES and (prev_char == "<" or next_char == "+"):
        return True
    # a-b band: the token with its neighbour across a hyphen
    left = re.search(r"(\d+)\s*[-–]\s*$", text[max(0, start - 8) : start])
    right = re.match(r"^\s*[-–]\s*(\d+)", text[end : end + 8])
    return bool((left and f"{left.group(1)}-{token}" in _BANDS) or (right and f"{token}-{right.group(1)}" in _BANDS))


def text_findings(source: str, where: str, text: str, known: Published) -> list[Finding]:
    findings = []
    written = [m.group(0) for m in NAME_VALUE.finditer(text)]
    if written:
        shown = ", ".join(written[:6]) + (f" … ({len(written)} in all)" if len(written) > 6 else "")
        findings.append(Finding("text", source, where, f"cell values written out: {shown}"))
    unexplained = unexplained_numbers(NAME_VALUE.sub(" ", text), known)
    if unexplained:
        shown = ", ".join(unexplained[:8]) + (f" … ({len(unexplained)} in all)" if len(unexplained) > 8 else "")
        findings.append(
            Finding("text", source, where, f"numbers that are not figures of the published tables: {shown}")
        )
    return findings


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    try:
        return [page.extract_text() or "" for page in PdfReader(path).pages]
    except Exception as err:  # a PDF pypdf cannot read is a PDF the audit cannot clear
        raise AuditError(f"{path}: cannot read the PDF's text ({err})") from None


def scan_public_texts(
    folder: Path, tables: dict[str, Table], manifest: Path | None = None, extra_texts: dict[str, str] | None = None
) -> list[Finding]:
    known = Published.of(tables)
    findings: list[Finding] = []
    for pdf in sorted(folder.glob("*.pdf")):
        pages = pdf_pages(pdf)
        for number, text in enumerate(pages, start=1):
            findings += text_findings(pdf.name, f"page {number}", text, known)
        findings += pdf_table_findings(pdf.name, pages, tables)
    for book in sorted(folder.glob("*.xlsx")):
        findings += workbook_findings(book, tables, known)
    manifests = [p for p in (folder / "manifest.json", manifest) if p is not None and Path(p).is_file()]
    for path in dict.fromkeys(Path(p).resolve() for p in manifests):
        findings += manifest_findings(path, folder, tables, known)
    for name, text in (extra_texts or {}).items():
        findings += text_findings(name, "text", text, known)
    return findings


_PDF_TABLE_HEADING = re.compile(r"^(T(?:10|[1-9]))\.\s")
_QUARTER_LABEL = re.compile(r"^\d{4}Q[1-4]$")


def pdf_table_findings(source: str, pages: list[str], tables: dict[str, Table]) -> list[Finding]:
    """The PDF prints the tables too: each printed row (a line starting with the quarter, under the
    heading "T<n>. …") must read exactly as its CSV row, else the PDF shows what the CSV hides."""
    printed = {}
    for code, table in tables.items():
        if "quarter" not in table.shape.keys:
            continue
        n_keys = len(table.shape.keys)
        for row in table.rows:
            cells = [row[c] for c in SHAPES[code].columns]
            tokens = [str(v) for v in cells if v not in (None, "")]
            printed.setdefault(code, {})[tuple(tokens[:n_keys])] = tokens
    findings, current = [], None
    for number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            heading = _PDF_TABLE_HEADING.match(line)
            if heading:
                current = heading.group(1)
                continue
            tokens = line.split()
            if current not in printed or not tokens or not _QUARTER_LABEL.match(tokens[0]):
                continue
            n_keys = len(tables[current].shape.keys)
            expected = printed[current].get(tuple(tokens[:n_keys]))
            if expected is not None and tokens != expected:
                findings.append(
                    Finding(
                        "pdf",
                        current,
                        f"{source} page {number} {' '.join(tokens[1:n_keys])}",
                        "the printed row differs from the CSV",
                    )
                )
    return findings


def workbook_findings(path: Path, tables: dict[str, Table], known: Published) -> list[Finding]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise AuditError(f"{path}: cannot read the workbook ({err})") from None
    findings = []
    sheets = {table.shape.sheet: table for table in tables.values()}
    try:
        for ws in book.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            table = sheets.get(ws.title)
            if table is not None:
                findings += _sheet_against_csv(path.name, ws.title, rows, table)
                continue
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value is None:
                        continue
                    where = f"sheet {ws.title} row {r} column {c}"
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        number = Decimal(str(value))
                        if not known.explains(number, with_decimal=isinstance(value, float)):
                            findings.append(Finding("text", path.name, where, f"a number not in the tables: {value}"))
                    else:
                        findings += text_findings(path.name, where, str(value), known)
    finally:
        book.close()
    return findings


def _sheet_against_csv(book: str, sheet: str, rows: list[tuple], table: Table) -> list[Finding]:
    """A table sheet must publish exactly what its CSV does (else the intruder reads the difference)."""
    columns = list(table.shape.columns)
    if not rows or [c for c in rows[0] if c is not None] != columns:
        return [Finding("workbook", table.shape.code, f"{book} sheet {sheet}", "the header is not the CSV's")]
    data = [r for r in rows[1:] if any(v is not None for v in r)]
    if len(data) != len(table.rows):
        return [
            Finding(
                "workbook",
                table.shape.code,
                f"{book} sheet {sheet}",
                f"{len(data)} rows, the CSV has {len(table.rows)}",
            )
        ]
    findings = []
    for n, (sheet_row, csv_row) in enumerate(zip(data, table.rows), start=2):
        for column, value in zip(columns, sheet_row):
            expected = csv_row[column]
            if not _same_cell(value, expected):
                findings.append(
                    Finding(
                        "workbook",
                        table.shape.code,
                        f"{book} sheet {sheet} row {n} {column}",
                        f"the sheet differs from the CSV ({'x' if expected == HIDDEN else 'a value'} in the CSV)",
                    )
                )
    return findings


def _same_cell(value, expected) -> bool:
    if expected is None or expected == "":
        return value is None or value == ""
    if expected == HIDDEN or isinstance(expected, str):
        return value == expected
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    return Decimal(str(value)) == Decimal(expected)


def manifest_findings(path: Path, folder: Path, tables: dict[str, Table], known: Published) -> list[Finding]:
    """A manifest the public receives (the edition's, or a public recipient's): each file it lists is
    found beside the manifest or in the public folder, its facts are checked against the file, and a
    file that is not one of the public folder's (a recipient's own workbook or copy) is audited too;
    the rest of the manifest is scanned as text."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AuditError(f"{path}: not a readable manifest ({err})") from None
    findings = []
    files = manifest.get("files", []) if isinstance(manifest, dict) else []
    for entry in files if isinstance(files, list) else []:
        if isinstance(entry, dict):
            findings += _file_entry(path, entry, folder, tables, known)
    rest = {k: v for k, v in manifest.items() if k != "files"} if isinstance(manifest, dict) else manifest
    for where, text in _leaves(rest, "manifest"):
        findings += text_findings(path.name, where, text, known)
    return findings


# A listed file's facts that can be checked against the file itself (so they tell nothing new).
_FILE_FACTS = {
    "sha256": lambda f: hashlib.sha256(f.read_bytes()).hexdigest(),
    "bytes": lambda f: f.stat().st_size,
}
_TABLE_FACTS = {
    "rows": lambda rows: len(rows),
    "suppressed_cells": lambda rows: sum(v == HIDDEN for row in rows for v in row),
}


def _file_entry(manifest: Path, entry: dict, folder: Path, tables: dict[str, Table], known: Published) -> list[Finding]:
    source = manifest.name
    name = Path(str(entry.get("path") or entry.get("name") or "")).name
    beside, public = manifest.parent / name, folder / name
    target = beside if name and beside.is_file() else public
    if not name or not target.is_file():
        return [
            Finding(
                "text",
                source,
                f"files {name}",
                "names a file that is neither beside the manifest nor in the public folder",
            )
        ]
    findings = []
    if target.resolve() != public.resolve():
        findings += _own_copy_findings(source, target, public, tables, known)
    rows = None
    if any(s.file == name for s in SHAPES.values()):
        with target.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))[1:]
    for key, value in entry.items():
        if key in ("path", "name"):
            continue
        if key in _FILE_FACTS or (rows is not None and key in _TABLE_FACTS):
            actual = _FILE_FACTS[key](target) if key in _FILE_FACTS else _TABLE_FACTS[key](rows)
            if value != actual:
                findings.append(Finding("text", source, f"files {name} {key}", "differs from the file itself"))
        elif key in ("rows", "sheets", "pages"):
            continue  # a workbook's or PDF's row, sheet and page counts: the document's own things
        else:
            for where, text in _leaves(value, f"files {name} {key}", key):
                findings.append(Finding("text", source, where, f"a figure not derivable from the file: {text}"))
    return findings


def _own_copy_findings(
    source: str, target: Path, public: Path, tables: dict[str, Table], known: Published
) -> list[Finding]:
    """A file a recipient gets that is not the public folder's: a CSV must be the published one, byte
    for byte; a workbook or PDF is audited like the edition's own."""
    if target.suffix == ".csv":
        if not public.is_file() or public.read_bytes() != target.read_bytes():
            return [Finding("text", source, f"files {target.name}", "is not the published CSV")]
        return []
    if target.suffix == ".xlsx":
        return workbook_findings(target, tables, known)
    if target.suffix == ".pdf":
        pages = pdf_pages(target)
        return [
            f for n, text in enumerate(pages, start=1) for f in text_findings(target.name, f"page {n}", text, known)
        ] + pdf_table_findings(target.name, pages, tables)
    return []


def _leaves(value, where: str, key: str = ""):
    """(path, text) for every leaf of a JSON value; numbers come out as `key=value`."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{where}.{k}", str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{where}[{i}]", key)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        yield where, f"{key or 'value'}={value}"
    else:
        yield where, str(value)
