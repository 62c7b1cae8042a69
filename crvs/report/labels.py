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
    table: str  # a report table (T1–T9) or a chart model (C1–C3)
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
    Headline("Tỷ số giới tính khi sinh (bé trai/100 bé gái)", "T2", "province_code", NATIONAL, "sex_ratio_at_birth", 1),
    Headline("Khai tử mới đăng ký trong quý", "T6", "province_code", NATIONAL, "deaths"),
    # No chart model's figure (C1's marriages, C2's births on time): no public text carries a figure its
    # tables do not publish (report.md), and the disclosure audit refuses the edition that does.
    Headline("Khai tử đúng hạn (≤ 15 ngày), % số khai tử", "T6", "province_code", NATIONAL, "on_time_pct", 1, "%"),
    Headline(
        f"Mức độ đầy đủ khai sinh (mục tiêu 2030: {_target('birth_completeness_pct')}%)",
        "T8",
        "province_code",
        NATIONAL,
        "birth_completeness_pct",
        1,
        "%",
    ),
    Headline(
        f"Mức độ đầy đủ khai tử (mục tiêu 2030: {_target('death_completeness_pct')}%)",
        "T8",
        "province_code",
        NATIONAL,
        "death_completeness_pct",
        1,
        "%",
    ),
    Headline(
        "Trẻ sinh tại cơ sở y tế đã được khai sinh", "T8", "province_code", NATIONAL, "facility_linkage_pct", 1, "%"
    ),
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


# --- the table of labels: what the readable report calls the tables, columns and codes -----------
# Vietnamese for the PDF and the workbooks' headers and notes; English in the notes. The CSVs keep
# report.md's identifiers and codes (machines read them).

TABLE_TITLES_VI = {
    "T1": "Số đăng ký hộ tịch theo tỉnh đăng ký, loại sự kiện và loại đăng ký",
    "T2": "Khai sinh đăng ký trong quý theo tỉnh cư trú của mẹ và giới tính",
    "T3": "Khai sinh đăng ký trong quý theo vùng cư trú và nhóm tuổi của mẹ",
    "T4": "Khai sinh đăng ký trong quý theo vùng cư trú, nơi sinh và tính kịp thời",
    "T5": "Khai tử đăng ký trong quý theo nhóm tuổi và giới tính, toàn quốc và theo vùng",
    "T6": "Khai tử đăng ký trong quý: tính kịp thời và nguyên nhân chết, theo tỉnh cư trú",
    "T7": "Người kết hôn đăng ký trong quý theo vùng đăng ký, giới tính và nhóm tuổi",
    "T8": "Mức độ đầy đủ của đăng ký khai sinh, khai tử và trẻ sinh tại cơ sở y tế đã được khai sinh, "
    "theo tỉnh (sự kiện xảy ra trong quý)",
    "T9": "Chất lượng dữ liệu: các lần gửi dữ liệu dùng cho quý",
    "T10": "Mức độ đầy đủ của đăng ký khai sinh, khai tử trong thời hạn luật định, trong vòng 1 năm và trong vòng "
    "5 năm, theo giới tính và vùng",
    "T11": "Xu hướng tám quý gần nhất, toàn quốc: đăng ký mới, tính kịp thời và mức độ đầy đủ",
}

# Column: (Vietnamese, English). The same name means the same thing in every table.
COLUMNS = {
    "quarter": ("Quý", "Quarter"),
    "province_code": ("Tỉnh, thành phố", "Province"),
    "region_code": ("Vùng", "Region"),
    "event_type": ("Sự kiện", "Event"),
    "reg_kind": ("Loại đăng ký", "Kind of registration"),
    "timeliness": ("Tính kịp thời", "Timeliness"),
    "registrations": ("Số đăng ký", "Registrations"),
    "foreign_element": ("Có yếu tố nước ngoài", "With a foreign element"),
    "male": ("Nam", "Male"),
    "female": ("Nữ", "Female"),
    "unknown": ("Không rõ giới tính", "Sex unknown"),
    "total": ("Tổng số", "Total"),
    "sex_ratio_at_birth": ("Tỷ số giới tính khi sinh", "Sex ratio at birth"),
    "mother_age_band": ("Tuổi của mẹ", "Mother's age"),
    "births": ("Số khai sinh", "Births"),
    "place_of_birth": ("Nơi sinh", "Place of birth"),
    "geography_level": ("Cấp địa bàn", "Geography level"),
    "geography_code": ("Địa bàn", "Geography"),
    "age_band": ("Nhóm tuổi", "Age group"),
    "deaths": ("Số khai tử", "Deaths"),
    "on_time": ("Đúng hạn", "On time"),
    "on_time_pct": ("% đúng hạn", "% on time"),
    "with_cause": ("Có nguyên nhân chết", "With a cause of death"),
    "certified": ("Nguyên nhân do bác sĩ xác nhận", "Cause certified by a physician"),
    "certified_pct": ("% được xác nhận", "% certified"),
    "ill_defined": ("Nguyên nhân không rõ (R00–R99)", "Ill-defined cause (R00–R99)"),
    "ill_defined_pct": ("% không rõ", "% ill-defined"),
    "sex": ("Giới tính", "Sex"),
    "spouses": ("Số người kết hôn", "Spouses"),
    "first_marriages": ("Kết hôn lần đầu", "First marriages"),
    "under_legal_age": ("Dưới tuổi kết hôn", "Under the legal age"),
    "expected_births": ("Số sinh ước tính", "Expected births"),
    "births_on_time": ("Khai sinh đúng hạn", "Births registered on time"),
    "birth_completeness_pct": ("Mức độ đầy đủ (%)", "Birth registration completeness (%)"),
    "expected_deaths": ("Số chết ước tính", "Expected deaths"),
    "deaths_on_time": ("Khai tử đúng hạn", "Deaths registered on time"),
    "death_completeness_pct": ("Mức độ đầy đủ (%)", "Death registration completeness (%)"),
    "facility_live_births": ("Trẻ sinh sống tại cơ sở y tế", "Live births in health facilities"),
    "facility_births_registered": ("Trong đó đã khai sinh", "Of which registered"),
    "facility_linkage_pct": ("% đã khai sinh", "% registered"),
    "period": ("Quý số liệu", "Quarter of the figures"),
    "births_on_time_pct": ("% khai sinh đúng hạn", "% of births registered on time"),
    "deaths_on_time_pct": ("% khai tử đúng hạn", "% of deaths registered on time"),
    "marriages": ("Số kết hôn", "Marriages"),
    "birth_events_on_time": ("Trẻ sinh trong quý được khai sinh đúng hạn", "Births of the quarter registered on time"),
    "death_events_on_time": ("Người chết trong quý được khai tử đúng hạn", "Deaths of the quarter registered on time"),
    "agency": ("Cơ quan", "Agency"),
    "dataset": ("Bộ dữ liệu", "Dataset"),
    "delivery_id": ("Mã lần gửi", "Delivery"),
    "channel": ("Kênh gửi", "Channel"),
    "extracted_at": ("Thời điểm trích xuất (UTC)", "Extracted at (UTC)"),
    "rows_received": ("Số dòng nhận", "Rows received"),
    "rows_loaded": ("Số dòng nạp", "Rows loaded"),
    "rows_rejected": ("Số dòng bị loại", "Rows rejected"),
    "top_rejection_reason": ("Lý do loại chủ yếu", "Main reason for rejection"),
    "registered_within": ("Thời hạn đăng ký", "Registered within"),
    "event_quarter": ("Quý xảy ra sự kiện", "Quarter of the events"),
    "deliveries_cover": ("Dữ liệu đủ cả thời kỳ", "Deliveries cover the period"),
    "expected_total": ("Số ước tính", "Expected"),
    "expected_male": ("Ước tính nam", "Expected, male"),
    "expected_female": ("Ước tính nữ", "Expected, female"),
    "registered_male": ("Đã đăng ký, nam", "Registered, male"),
    "registered_female": ("Đã đăng ký, nữ", "Registered, female"),
    "registered_unknown": ("Đã đăng ký, không rõ giới tính", "Registered, sex unknown"),
    "registered": ("Đã đăng ký", "Registered"),
    "completeness_pct": ("Mức độ đầy đủ (%)", "Completeness (%)"),
    "male_completeness_pct": ("Mức độ đầy đủ, nam (%)", "Completeness, male (%)"),
    "female_completeness_pct": ("Mức độ đầy đủ, nữ (%)", "Completeness, female (%)"),
}

# Contract codes as the reader reads them (Vietnamese).
CODES = {
    "event_type": {"BIRTH": "Khai sinh", "DEATH": "Khai tử", "MARRIAGE": "Kết hôn"},
    "reg_kind": {
        "NEW": "Đăng ký mới",
        "RE_REGISTRATION": "Đăng ký lại",
        "RECORDED_ABROAD": "Ghi vào sổ việc đã đăng ký ở nước ngoài",
    },
    "timeliness": {
        "ON_TIME": "Đúng hạn",
        "LATE": "Muộn, trong vòng 1 năm",
        "DELAYED_1_5Y": "Quá hạn 1–5 năm",
        "DELAYED_5Y_PLUS": "Quá hạn trên 5 năm",
        "NOT_APPLICABLE": "Không áp dụng",
    },
    "place_of_birth": {"FACILITY": "Cơ sở y tế", "HOME": "Tại nhà", "OTHER": "Nơi khác", "ABROAD": "Nước ngoài"},
    "sex": {"male": "Nam", "female": "Nữ", "unknown": "Không rõ"},
    "geography_level": {"NATIONAL": "Toàn quốc", "REGION": "Vùng"},
    "registered_within": {
        "LEGAL": "Trong thời hạn luật định",
        "WITHIN_1Y": "Trong vòng 1 năm",
        "WITHIN_5Y": "Trong vòng 5 năm",
    },
    "deliveries_cover": {"COMPLETE": "Đủ", "PARTIAL": "Thiếu một phần"},
    "agency": {"MOJ": "Bộ Tư pháp", "MOH": "Bộ Y tế", "GSO": "Thống kê (GSO)"},
    "channel": {
        "FILE": "Tệp",
        "FOLDER": "Thư mục",
        "EMAIL": "Thư điện tử",
        "API": "Nền tảng (API)",
        "PLATFORM": "Nền tảng (API)",
    },
    "dataset": {
        "moj_births": "Khai sinh (Bộ Tư pháp)",
        "moj_deaths": "Khai tử (Bộ Tư pháp)",
        "moj_marriages": "Kết hôn (Bộ Tư pháp)",
        "moh_births": "Thông báo sinh (Bộ Y tế)",
        "moh_deaths": "Thông báo tử (Bộ Y tế)",
        "gso_population": "Dân số (GSO)",
        "gso_vital_rates": "Tỷ suất sinh, chết thô (GSO)",
    },
}
UNKNOWN_BAND = "Không rõ"  # the age bands' UNKNOWN
NATIONAL_VI = "Toàn quốc"


def title_vi(code: str) -> str:
    return TABLE_TITLES_VI[code]


def column_vi(name: str) -> str:
    return COLUMNS[name][0]


def column_en(name: str) -> str:
    return COLUMNS[name][1]


def code_vi(column: str, value: str) -> str:
    """A code as printed: 'BIRTH' → 'Khai sinh'; age bands as they are ('UNKNOWN' → 'Không rõ')."""
    if value == "UNKNOWN" and column.endswith("age_band"):
        return UNKNOWN_BAND
    if value == NATIONAL:
        return NATIONAL_VI
    codes = CODES.get(column, {})
    return codes.get(value) or codes.get(str(value).upper()) or value
