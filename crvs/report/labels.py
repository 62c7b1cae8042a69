"""What the readable report calls things: the producer, the headline figures, and (for the PDF and
the workbooks' headers and notes, never the CSVs, whose codes machines read) the Vietnamese labels.

One place for every label, so the PDF, the workbooks and the e-mail say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crvs.report.disclosure import SUPPRESSED
from crvs.report.targets import TARGETS_2030

# The author of the report (the PDF's metadata, the workbooks' cover, the e-mail's signature).
PRODUCER_VI = "Bộ Tư pháp — Thống kê hộ tịch"
PRODUCER_EN = "Ministry of Justice, civil-status statistics"
NATIONAL = "VN"


@dataclass(frozen=True)
class Headline:
    """One headline figure: the published cell it prints (table code, key column and value, column)."""

    label: str
    table: str            # a report table (T1–T9) or a chart model (C1–C3)
    key: str
    value: str
    column: str
    decimals: int = 0
    unit: str = ""


def vn_number(value, decimals: int = 0) -> str:
    """Vietnamese spelling: 1.234.567 and 95,5 (dot for thousands, comma for decimals); '—' for none."""
    if value is None or value == "":
        return "—"
    if value == SUPPRESSED:
        return SUPPRESSED
    text = f"{Decimal(value):,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _target(name: str) -> str:
    return vn_number(TARGETS_2030[name])


HEADLINES: tuple[Headline, ...] = (
    Headline("Khai sinh mới đăng ký trong quý", "T2", "province_code", NATIONAL, "total"),
    Headline("Tỷ số giới tính khi sinh (bé trai/100 bé gái)", "T2", "province_code", NATIONAL,
             "sex_ratio_at_birth", 1),
    Headline("Khai tử mới đăng ký trong quý", "T6", "province_code", NATIONAL, "deaths"),
    # No chart model's figure (C1's marriages, C2's births on time): no public text carries a figure its
    # tables do not publish (report.md), and the disclosure audit refuses the edition that does.
    Headline("Khai tử đúng hạn (≤ 15 ngày), % số khai tử", "T6", "province_code", NATIONAL, "on_time_pct", 1, "%"),
    Headline(f"Mức độ đầy đủ khai sinh (mục tiêu 2030: {_target('birth_completeness_pct')}%)", "T8",
             "province_code", NATIONAL, "birth_completeness_pct", 1, "%"),
    Headline(f"Mức độ đầy đủ khai tử (mục tiêu 2030: {_target('death_completeness_pct')}%)", "T8",
             "province_code", NATIONAL, "death_completeness_pct", 1, "%"),
    Headline("Trẻ sinh tại cơ sở y tế đã được khai sinh", "T8", "province_code", NATIONAL,
             "facility_linkage_pct", 1, "%"),
)

def headline_values(has_table, cell) -> list[tuple[Headline, str]]:
    """Each headline whose table is at hand (`has_table(code)`), with its value as printed:
    `cell(table, key, value, column)` gives the published cell ('—' when there is none)."""
    found = []
    for h in HEADLINES:
        if not has_table(h.table):
            continue
        value = cell(h.table, h.key, h.value, h.column)
        text = vn_number(value, h.decimals)
        found.append((h, text if value in (None, "", SUPPRESSED) else f"{text}{h.unit}"))
    return found
