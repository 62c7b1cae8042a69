"""How the PDF lays out each published table for a reader: Vietnamese headings (crvs/report/labels.py),
names instead of codes, the Vietnamese number format, and pivots that fit the page (T1: provinces
down, event × kind across; its timeliness as a second table).

A layout turns the published rows into a grid of text (headings of one or two levels, then the body
rows); the PDF only draws it. Every number of the grid is a published cell, or (T1's pivot only) the
sum of published cells over the timeliness of one province, event and kind, which anyone holding the
CSV computes the same way; a sum with a hidden part is hidden (x).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crvs import reference
from crvs.model_contracts import COUNT, ESTIMATE, RATE, TALLY
from crvs.quarter import label_vi
from crvs.report import labels
from crvs.report.disclosure import SUPPRESSED
from crvs.report.labels import column_vi, vn_number
from crvs.report.tables import MOTHER_AGE_BANDS, TIMELINESS_ORDER, ReportTable

EVENTS = ("BIRTH", "DEATH", "MARRIAGE")
KINDS = ("NEW", "RE_REGISTRATION", "RECORDED_ABROAD")
KIND_SHORT = {"NEW": "Mới", "RE_REGISTRATION": "Đăng ký lại", "RECORDED_ABROAD": "Ghi vào sổ (nước ngoài)"}


@dataclass(frozen=True)
class Col:
    """One column of numbers: its heading (one or two levels), the value column it prints, the key
    values that pick its row(s) within a row of the layout."""

    heading: tuple[str, ...]
    value: str
    pick: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Layout:
    code: str
    title: str
    down: tuple[str, ...]  # key columns down the side (their labels are the row's name)
    columns: tuple[Col, ...]
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()  # only rows whose key is one of these values
    sum_over: bool = False  # several rows per cell, added up (T1's pivot); none means 0
    every_province: bool = False  # one row for each of the 34 provinces, even without rows
    note: str = ""


@dataclass
class Grid:
    """A laid-out table: heading rows (cells of (text, colspan, rowspan)), body rows of text, and
    which columns hold labels (left-aligned) rather than numbers."""

    title: str
    headings: list[list[tuple[str, int, int]]]
    body: list[list[str]]
    label_columns: int
    note: str = ""


def _cols(values: tuple[str, ...]) -> tuple[Col, ...]:
    return tuple(Col((column_vi(v),), v) for v in values)


def _across(group: str, key: str, codes: tuple[str, ...], value: str, short=None, **pick) -> tuple[Col, ...]:
    """Columns under one group heading, one per code of `key`."""
    extra = tuple(pick.items())
    return tuple(Col((group, (short or {}).get(c) or labels.code_vi(key, c)), value, ((key, c), *extra)) for c in codes)


T1_PIVOT = Layout(
    "T1",
    labels.title_vi("T1"),
    ("province_code",),
    tuple(
        Col((labels.code_vi("event_type", e), KIND_SHORT[k]), "registrations", (("event_type", e), ("reg_kind", k)))
        for e in EVENTS
        for k in KINDS
    )
    + (Col((column_vi("foreign_element"),), "foreign_element"),),
    sum_over=True,
    every_province=True,
    note="Số đăng ký theo tỉnh nơi đăng ký, mọi loại đăng ký, cộng theo tính kịp thời. «Ghi vào sổ (nước ngoài)»: "
    "ghi vào sổ hộ tịch việc hộ tịch đã đăng ký ở nước ngoài. Tính kịp thời của khai sinh, khai tử mới: bảng "
    "tiếp theo; theo từng loại đăng ký: tệp T1_registrations.csv.",
)
T1_TIMELINESS = Layout(
    "T1",
    "Khai sinh, khai tử mới theo tỉnh đăng ký và tính kịp thời",
    ("province_code",),
    _across("Khai sinh mới", "timeliness", TIMELINESS_ORDER, "registrations", event_type="BIRTH", reg_kind="NEW")
    + _across("Khai tử mới", "timeliness", TIMELINESS_ORDER, "registrations", event_type="DEATH", reg_kind="NEW"),
    sum_over=True,
    every_province=True,
    note="Đúng hạn: khai sinh trong vòng 60 ngày, khai tử trong vòng 15 ngày kể từ ngày sinh, ngày chết.",
)

T10_PARTS = (
    (
        "BIRTH",
        "Khai sinh: mức độ đầy đủ trong thời hạn luật định, trong vòng 1 năm và trong vòng 5 năm",
        "Mỗi thời hạn tính trên các trẻ sinh trong quý gần nhất mà mọi trẻ đã qua hết thời hạn vào cuối quý báo cáo: "
        "thời hạn luật định (trong vòng 60 ngày) cho trẻ sinh quý trước, trong vòng 1 năm (365 ngày) cho trẻ sinh "
        "cùng quý năm trước, trong vòng 5 năm (1825 ngày) cho trẻ sinh cùng quý năm năm trước; vì vậy không số nào "
        "là tạm tính. Số ước tính theo giới tính: tỷ suất sinh thô × dân số nam (nữ), nên mức độ đầy đủ của bé trai "
        "có thể cao hơn thực tế, của bé gái thấp hơn. «Thiếu một phần»: dữ liệu của Bộ Tư pháp chưa phủ hết thời kỳ, "
        "số đã đăng ký có thể thấp hơn thực tế.",
    ),
    (
        "DEATH",
        "Khai tử: mức độ đầy đủ trong thời hạn luật định, trong vòng 1 năm và trong vòng 5 năm",
        "Như bảng khai sinh, với thời hạn luật định của khai tử (trong vòng 15 ngày). Số chết ước tính theo giới "
        "tính dùng cùng tỷ suất chết thô cho nam và nữ.",
    ),
)


def _t10_layout(event: str, title: str, note: str) -> Layout:
    """T10 for one event: time limit, cohort and region down; total, male, female across."""
    measures = (("Ước tính", "expected"), ("Đã đăng ký", "registered"), ("Đầy đủ (%)", "completeness_pct"))
    columns = {
        ("Tổng số", "expected"): "expected_total",
        ("Tổng số", "registered"): "registered",
        ("Tổng số", "completeness_pct"): "completeness_pct",
    } | {
        (group, measure): f"{measure}_{sex}" if measure != "completeness_pct" else f"{sex}_{measure}"
        for group, sex in (("Nam", "male"), ("Nữ", "female"))
        for _, measure in measures
    }
    return Layout(
        "T10",
        title,
        ("registered_within", "event_quarter", "region_code"),
        tuple(
            Col((group, heading), columns[group, measure])
            for group in ("Tổng số", "Nam", "Nữ")
            for heading, measure in measures
        )
        + _cols(("registered_unknown", "deliveries_cover")),
        where=(("event_type", (event,)),),
        note=note,
    )


LAYOUTS: dict[str, tuple[Layout, ...]] = (
    {"T1": (T1_PIVOT, T1_TIMELINESS)}
    | {
        layout.code: (layout,)
        for layout in (
            Layout(
                "T2",
                labels.title_vi("T2"),
                ("province_code",),
                _cols(("male", "female", "unknown", "total", "sex_ratio_at_birth")),
                note="Theo tỉnh cư trú của mẹ. Tỷ số giới tính khi sinh: số bé trai trên 100 bé gái.",
            ),
            Layout(
                "T3",
                labels.title_vi("T3"),
                ("region_code",),
                _across("Nhóm tuổi của mẹ", "mother_age_band", MOTHER_AGE_BANDS, "births"),
            ),
            Layout(
                "T4",
                labels.title_vi("T4"),
                ("region_code", "place_of_birth"),
                _across("Tính kịp thời của khai sinh", "timeliness", TIMELINESS_ORDER, "births"),
            ),
            Layout(
                "T5",
                labels.title_vi("T5"),
                ("geography_code", "age_band"),
                _cols(("male", "female", "unknown", "total")),
                note="Theo vùng cư trú của người chết.",
            ),
            Layout(
                "T6",
                labels.title_vi("T6"),
                ("province_code",),
                _cols(
                    (
                        "deaths",
                        "on_time",
                        "on_time_pct",
                        "with_cause",
                        "certified",
                        "certified_pct",
                        "ill_defined",
                        "ill_defined_pct",
                    )
                ),
                note="Đúng hạn: trong vòng 15 ngày. % không rõ: trên số khai tử có nguyên nhân chết.",
            ),
            Layout(
                "T7",
                labels.title_vi("T7"),
                ("region_code", "age_band"),
                tuple(
                    Col((labels.code_vi("sex", s), column_vi(v)), v, (("sex", s),))
                    for s in ("male", "female")
                    for v in ("spouses", "first_marriages", "under_legal_age")
                ),
                note="Dưới tuổi kết hôn: nữ dưới 18 tuổi, nam dưới 20 tuổi (Luật Hôn nhân và gia đình).",
            ),
            Layout(
                "T8",
                labels.title_vi("T8"),
                ("province_code",),
                tuple(
                    Col((group, column_vi(v)), v)
                    for group, values in (
                        ("Khai sinh", ("expected_births", "births_on_time", "birth_completeness_pct")),
                        ("Khai tử", ("expected_deaths", "deaths_on_time", "death_completeness_pct")),
                        (
                            "Sinh tại cơ sở y tế",
                            ("facility_live_births", "facility_births_registered", "facility_linkage_pct"),
                        ),
                    )
                    for v in values
                ),
                note="Sự kiện xảy ra trong quý. Mức độ đầy đủ: số đăng ký đúng hạn trên số ước tính từ tỷ suất sinh, "
                "chết thô và dân số × 100.",
            ),
            Layout(
                "T11",
                labels.title_vi("T11"),
                ("period",),
                tuple(
                    Col((group, column_vi(v)), v)
                    for group, values in (
                        ("Khai sinh đăng ký trong quý", ("births", "births_on_time_pct")),
                        ("Khai tử đăng ký trong quý", ("deaths", "deaths_on_time_pct")),
                        ("Kết hôn", ("marriages",)),
                    )
                    for v in values
                )
                + (
                    Col(("Mức độ đầy đủ, % (sự kiện trong quý)", "Khai sinh"), "birth_completeness_pct"),
                    Col(("Mức độ đầy đủ, % (sự kiện trong quý)", "Khai tử"), "death_completeness_pct"),
                ),
                note="Toàn quốc. Số liệu các quý trước tính lại từ toàn bộ dữ liệu hiện có, nên đã gồm các đăng ký "
                "muộn, cải chính và hủy gửi đến sau khi quý đó được công bố lần đầu; số đúng hạn và số ước tính: "
                "tệp T11_trends.csv.",
            ),
            Layout(
                "T9",
                labels.title_vi("T9"),
                ("agency", "dataset", "delivery_id", "channel", "extracted_at"),
                _cols(("rows_received", "rows_loaded", "rows_rejected", "top_rejection_reason")),
            ),
        )
    }
    | {"T10": tuple(_t10_layout(event, title, note) for event, title, note in T10_PARTS)}
)


def names() -> dict[str, dict[str, str]]:
    """Province and region names from the seeds (crvs/reference.py): 'Hà Nội', 'Đồng bằng sông Hồng'."""
    provinces = {
        r["province_code"]: short_name(r["province_name"])
        for r in reference.read_seed("admin_provinces.csv")
        if r["code_version"] == "2025"
    }
    regions = {r["region_code"]: r["region_name_vi"] for r in reference.read_seed("regions.csv")}
    return {"province_code": provinces, "region_code": regions, "geography_code": regions}


def short_name(province_name: str) -> str:
    """'Thành phố Hà Nội' → 'Hà Nội', 'Tỉnh Cao Bằng' → 'Cao Bằng': the tables' and charts' spelling."""
    for prefix in ("Thành phố ", "Tỉnh "):
        if province_name.startswith(prefix):
            return province_name[len(prefix) :]
    return province_name


def label(column: str, value, names: dict[str, dict[str, str]]) -> str:
    if value is None:
        return ""
    if column in names and value in names[column]:
        return names[column][value]
    if column == "event_quarter":  # 2024Q3 → Quý 3/2024
        return f"Quý {str(value)[-1]}/{str(value)[:4]}"
    if column == "period":  # a quarter label: 2025Q3 → quý 3/2025
        return label_vi(value)
    if column == "extracted_at":
        return str(value).replace("T", " ").removesuffix("+00:00").removesuffix("Z")[:16]
    return labels.code_vi(column, str(value))


def number(table: ReportTable, column: str, value) -> str:
    """A published cell in the Vietnamese format: 1.234 and 12,5; x as x; nothing as empty."""
    if value is None or value == "":
        return ""
    if value == SUPPRESSED:
        return SUPPRESSED
    kind = next(c.kind for c in table.columns if c.name == column)
    if kind in (COUNT, TALLY):
        return vn_number(value)
    if kind == RATE or (kind == ESTIMATE and isinstance(value, Decimal) and value != value.to_integral_value()):
        return vn_number(value, 1)
    if kind == ESTIMATE:
        return vn_number(value, 1 if isinstance(value, Decimal) else 0)
    return labels.code_vi(column, str(value))


def _down_values(layout: Layout, rows: list[dict], names) -> list[tuple]:
    """The layout's rows, in the table's order (its model's), or every province for T1's pivots."""
    if layout.every_province:
        provinces = sorted(names["province_code"])
        return [(p,) for p in provinces]
    seen = []
    for row in rows:
        key = tuple(row[k] for k in layout.down)
        if key not in seen:
            seen.append(key)
    return seen


def grid(layout: Layout, table: ReportTable, rows: list[dict], names: dict) -> Grid:
    rows = [r for r in rows if all(r.get(k) in values for k, values in layout.where)]
    by_key: dict[tuple, list[dict]] = {}
    for row in rows:
        by_key.setdefault(tuple(row[k] for k in layout.down), []).append(row)
    two_levels = any(len(c.heading) > 1 for c in layout.columns)
    top = [(column_vi(k), 1, 2 if two_levels else 1) for k in layout.down]
    second = []
    for col in layout.columns:
        if len(col.heading) == 1:
            top.append((col.heading[0], 1, 2 if two_levels else 1))
        elif top and top[-1][0] == col.heading[0] and top[-1][2] == 1 and len(top) > len(layout.down):
            top[-1] = (col.heading[0], top[-1][1] + 1, 1)
            second.append((col.heading[1], 1, 1))
        else:
            top.append((col.heading[0], 1, 1))
            second.append((col.heading[1], 1, 1))
    body, previous = [], None
    for key in _down_values(layout, rows, names):
        group = by_key.get(key, [])
        shown = [label(k, v, names) for k, v in zip(layout.down, key)]
        for j in range(len(layout.down) - 1):  # each group's name once, on its first row
            if previous is not None and key[: j + 1] == previous[: j + 1]:
                shown[j] = ""
        previous = key
        body.append(shown + [_cell(layout, table, group, col) for col in layout.columns])
    return Grid(layout.title, [top, second] if two_levels else [top], body, len(layout.down), layout.note)


def _cell(layout: Layout, table: ReportTable, group: list[dict], col: Col) -> str:
    picked = [r for r in group if all(r.get(k) == v for k, v in col.pick)]
    if not layout.sum_over:
        return number(table, col.value, picked[0][col.value]) if picked else ""
    values = [r[col.value] for r in picked]
    if any(v == SUPPRESSED for v in values):
        return SUPPRESSED
    return vn_number(sum(int(v) for v in values if v is not None))


def grids(table: ReportTable, rows: list[dict], names: dict | None = None) -> list[Grid]:
    """The PDF's grids of one published table (T1 gives two); `names` as names() gives them."""
    given = names if names is not None else globals()["names"]()
    return [grid(layout, table, rows, given) for layout in LAYOUTS[table.code]]
