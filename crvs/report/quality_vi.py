"""The quality gate's outcome in plain Vietnamese: the one place its checks become sentences.

The gate speaks the warehouse's language (`rpt_t8_completeness: completeness within 50-120 % — 1
row(s): province_code=01, …`). The readers of the PDF and the workbooks get, instead:

- how many checks ran, how many passed, how many were accepted and why that is allowed, how many
  warned (`front`, for the PDF's front page and the workbooks' cover; `annex`, with what is checked
  and the acceptance rule in full, for the quality annex);
- for each warning, and each accepted finding, what it means for a reader, in words (`warnings`,
  `accepted`, for the quality annex);
- the checks counted by what they are about (`groups`), a report table or the deliveries.

Counts of checks are the only numbers written (the disclosure audit allows "N kiểm tra" and "N cảnh
báo", counts of the document's own things). The public edition names no check, column, value,
province or threshold, and no count of rows (report.md "Two audiences"); the agency edition also
names the provinces, regions or deliveries each finding is about (`audience="agency"`).

    section = quality_section(gate)             # public
    section.front     → ["Trước khi công bố, số liệu của quý 3/2025 đã qua 128 kiểm tra chất lượng tự động.", …]
    section.warnings  → ["Mức độ đầy đủ của đăng ký: … ở một số tỉnh nằm ngoài khoảng thường gặp …"]
"""

from __future__ import annotations

from dataclasses import dataclass

from crvs.quarter import label_vi
from crvs.report import labels
from crvs.report.public_text import public_check_name
from crvs.report.tables import REPORT_TABLES


@dataclass(frozen=True)
class Meaning:
    """A kind of finding: what it is about (short, for the front page) and what it means for a reader."""

    about: str
    meaning: str


# Each WARNING check of the gate (expectations/report_suites.py), by its model and its name without
# thresholds (public_text.public_check_name). tests/unit/test_quality_vi.py checks that every
# warning of the suites has its wording here.
WARNINGS: dict[tuple[str, str], Meaning] = {
    ("rpt_t1_registrations", "every province registered events in the quarter"): Meaning(
        "tỉnh không có đăng ký nào trong quý",
        "Có tỉnh, thành phố không có đăng ký hộ tịch nào trong quý (bảng T1). Có thể dữ liệu của tỉnh đó "
        "chưa được gửi đủ: số của tỉnh và của toàn quốc có thể thấp hơn thực tế.",
    ),
    ("rpt_t2_births_by_sex", "national sex ratio at birth"): Meaning(
        "tỷ số giới tính khi sinh của toàn quốc",
        "Tỷ số giới tính khi sinh của toàn quốc nằm ngoài khoảng thường gặp (bảng T2). Đó có thể là thay "
        "đổi thực tế, hoặc do ghi sai giới tính hay đăng ký chưa đủ: cần thận trọng khi so sánh với các quý "
        "trước.",
    ),
    ("rpt_t2_births_by_sex", "provincial sex ratio at birth"): Meaning(
        "tỷ số giới tính khi sinh của một số tỉnh",
        "Tỷ số giới tính khi sinh của một số tỉnh có nhiều trẻ sinh nằm ngoài khoảng thường gặp (bảng T2). "
        "Tỷ số của các tỉnh đó cần được dùng thận trọng.",
    ),
    ("rpt_t2_births_by_sex", "unknown sex"): Meaning(
        "trẻ không rõ giới tính",
        "Trẻ được khai sinh mà không rõ giới tính nhiều hơn mức thông thường, ở toàn quốc hoặc ở một số tỉnh "
        "(bảng T2). Tỷ số giới tính khi sinh ở đó kém tin cậy hơn.",
    ),
    ("rpt_t6_deaths_quality", "ill-defined causes"): Meaning(
        "nguyên nhân chết không rõ ràng",
        "Khai tử có nguyên nhân chết không rõ ràng chiếm tỷ lệ cao hơn mức khuyến nghị, ở toàn quốc hoặc ở "
        "một số tỉnh (bảng T6). Số liệu về nguyên nhân chết ở đó cần được dùng thận trọng.",
    ),
    ("rpt_t7_marriages_by_age", "no spouse under the legal age"): Meaning(
        "kết hôn dưới tuổi luật định",
        "Có người kết hôn dưới tuổi luật định ở một số vùng (bảng T7). Số liệu được công bố đúng như đã đăng "
        "ký; trường hợp này có thể là thực tế hoặc do ghi sai ngày sinh, cần được cơ quan đăng ký xác minh.",
    ),
    ("rpt_t8_completeness", "completeness"): Meaning(
        "mức độ đầy đủ của đăng ký ở một số tỉnh",
        "Mức độ đầy đủ của đăng ký khai sinh hoặc khai tử ở một số tỉnh nằm ngoài khoảng thường gặp (bảng T8). "
        "Số sinh, số chết ước tính của các tỉnh đó (từ dân số và tỷ suất) có thể chưa sát thực tế, hoặc việc "
        "đăng ký ở đó khác thường: nên so sánh với các quý trước.",
    ),
    ("rpt_t9_data_quality", "rows rejected"): Meaning(
        "dữ liệu bị loại khi nạp",
        "Một số lần gửi dữ liệu có nhiều bản ghi sai bị loại hơn mức thông thường (bảng T9). Các bản ghi bị "
        "loại không được tính, nên số liệu liên quan có thể thấp hơn thực tế.",
    ),
    ("rpt_gate_registration_changes", "registrations"): Meaning(
        "số đăng ký thay đổi nhiều so với quý trước",
        "Số đăng ký của một số tỉnh thay đổi nhiều so với quý trước. Đó có thể là thay đổi thực tế, hoặc do dữ "
        "liệu gửi muộn hay gửi thiếu: cần xem xét trước khi so sánh giữa các quý.",
    ),
    ("fct_registration", "mother's age at the birth"): Meaning(
        "tuổi của mẹ khác thường",
        "Có khai sinh ghi tuổi của mẹ ngoài khoảng thường gặp, có thể do ghi sai ngày sinh của mẹ. Các trường "
        "hợp này được tính vào nhóm tuổi thấp nhất hoặc cao nhất của bảng T3.",
    ),
}

# Each BLOCKING plausibility band that a statistician may accept (suites.band_check), by its short name.
ACCEPTED: dict[str, Meaning] = {
    "sex_ratio_at_birth": Meaning(
        "tỷ số giới tính khi sinh của toàn quốc",
        "Tỷ số giới tính khi sinh của toàn quốc nằm ngoài khoảng được coi là có thể xảy ra (bảng T2).",
    ),
    "birth_completeness": Meaning(
        "mức độ đầy đủ của đăng ký khai sinh",
        "Mức độ đầy đủ của đăng ký khai sinh, của toàn quốc hoặc của một số tỉnh, nằm ngoài khoảng được coi là "
        "có thể xảy ra (bảng T8).",
    ),
    "death_completeness": Meaning(
        "mức độ đầy đủ của đăng ký khai tử",
        "Mức độ đầy đủ của đăng ký khai tử, của toàn quốc hoặc của một số tỉnh, nằm ngoài khoảng được coi là có "
        "thể xảy ra (bảng T8).",
    ),
    "registrations_change": Meaning(
        "số đăng ký thay đổi gấp nhiều lần so với quý trước",
        "Số đăng ký, của toàn quốc hoặc của một số tỉnh, tăng hoặc giảm gấp nhiều lần so với quý trước.",
    ),
    "population_change": Meaning(
        "dân số thay đổi nhiều so với năm trước",
        "Dân số do cơ quan thống kê cung cấp, dùng để ước tính số sinh và số chết (bảng T8), thay đổi nhiều so "
        "với năm trước, ở toàn quốc hoặc ở một số tỉnh.",
    ),
}

WHY_ACCEPTED = (
    "Kiểm tra được chấp nhận là kiểm tra về tính hợp lý mà số liệu vượt ngưỡng chặn công bố. Quy trình cho "
    "phép cán bộ thống kê, sau khi xem xét và xác nhận số liệu phản ánh đúng dữ liệu nhận được (một sự kiện có "
    "thật, một thay đổi có giải thích), chấp nhận kết quả đó cho riêng quý này; người chấp nhận, thời điểm và lý "
    "do được ghi lại. Các kiểm tra về cấu trúc và tính nhất quán của số liệu không thể được chấp nhận."
)
WHY_ACCEPTED_SHORT = (
    "Việc chấp nhận chỉ được phép với kiểm tra về tính hợp lý, cho riêng quý này, khi số liệu phản ánh đúng "
    "dữ liệu nhận được."
)
WHAT_WARNINGS_ARE = (
    "Cảnh báo không ngăn việc công bố: cảnh báo đánh dấu số liệu khác thường để người đọc lưu ý khi sử dụng."
)
WHAT_IS_CHECKED = (
    "cấu trúc của từng bảng (đủ các tỉnh, vùng; không thiếu, không trùng), tính nhất quán giữa các bảng, tính "
    "hợp lý của số liệu, thời hạn gửi dữ liệu của các cơ quan và việc không có thông tin định danh cá nhân"
)
WHERE_DETAIL = {
    "public": "Ý nghĩa của từng cảnh báo và các kiểm tra theo nội dung ở phần Phụ lục: chất lượng dữ liệu.",
    "agency": "Chi tiết từng phát hiện (giá trị, tỉnh, người chấp nhận và lý do) ở trang Notes của bảng tính.",
}

# What the checks that are about no report table are about.
_GROUPS = {
    "rpt_gate_registration_changes": "Số đăng ký so với quý trước",
    "rpt_gate_population_changes": "Dân số so với năm trước",
    "fct_registration": "Tuổi của mẹ trong các khai sinh",
    "delivery_freshness": "Thời hạn gửi dữ liệu của các cơ quan",
    "feed_checks": "Kiểm tra từng lần gửi dữ liệu khi nạp",
    "personal_identifiers": "Không có thông tin định danh cá nhân trong các bảng",
    "gate": "Việc chạy các kiểm tra",
}
_OTHER_GROUP = "Các kiểm tra khác"
_TABLE_GROUPS = {
    "T1": "Số đăng ký hộ tịch",
    "T2": "Khai sinh theo giới tính",
    "T3": "Khai sinh theo tuổi của mẹ",
    "T4": "Khai sinh theo nơi sinh",
    "T5": "Khai tử theo tuổi và giới tính",
    "T6": "Khai tử: tính kịp thời và nguyên nhân chết",
    "T7": "Người kết hôn theo tuổi",
    "T8": "Mức độ đầy đủ của đăng ký",
    "T9": "Các lần gửi dữ liệu dùng cho quý",
}
_AREA_NAMES = {"province_code": "province_code", "region_code": "region_code", "geography_code": "region_code"}


@dataclass(frozen=True)
class CheckGroup:
    """The checks about one report table (or the deliveries, the identifiers, …), counted by outcome."""

    label: str
    checks: int
    passed: int
    accepted: int
    warnings: int
    failed: int

    def line(self) -> str:
        parts = [f"{self.passed} kiểm tra đạt"] if self.passed else []
        if self.accepted:
            parts.append(f"{self.accepted} kiểm tra được chấp nhận")
        if self.warnings:
            parts.append(f"{self.warnings} cảnh báo")
        if self.failed:
            parts.append(f"{self.failed} kiểm tra không đạt")
        if self.passed == self.checks:
            return f"{self.label}: {self.checks} kiểm tra, đều đạt."
        return f"{self.label}: {self.checks} kiểm tra; " + ", ".join(parts) + "."


@dataclass(frozen=True)
class QualitySection:
    """The gate's outcome for one edition, in Vietnamese sentences; the counts it was made from."""

    quarter: str
    audience: str
    checks: int
    passed: int
    accepted_count: int
    warning_count: int
    failed: int
    front: list[str]  # the front page's (and the workbook cover's) paragraph, sentence by sentence
    annex: list[str]  # the quality annex's opening paragraph: what is checked, the outcome, why accepted
    warnings: list[str]  # each warning: what it means for a reader
    accepted: list[str]  # each accepted finding: what it was
    groups: list[CheckGroup]

    @property
    def front_text(self) -> str:
        """The outcome and where the detail is, one paragraph (the front page, the workbook's cover)."""
        return " ".join(self.front)

    @property
    def annex_text(self) -> str:
        return " ".join(self.annex)


def _group_label(model: str) -> str:
    for table in REPORT_TABLES:
        if table.model == model:
            return f"Bảng {table.code} — {_TABLE_GROUPS.get(table.code) or labels.title_vi(table.code)}"
    return _GROUPS.get(model, _OTHER_GROUP)


def warning_meaning(outcome) -> Meaning:
    """A warning's wording; a warning not in WARNINGS still reads as Vietnamese, naming no check."""
    found = WARNINGS.get((outcome.table, public_check_name(outcome.name)))
    if found is not None:
        return found
    where = _group_label(outcome.table)
    return Meaning(
        "một kiểm tra về tính hợp lý",
        f"Một kiểm tra về tính hợp lý có kết quả khác thường ({where.split(' — ')[0]}): số liệu liên quan "
        "cần được dùng thận trọng.",
    )


def accepted_meaning(outcome) -> Meaning:
    found = ACCEPTED.get(outcome.check)
    if found is not None:
        return found
    return Meaning("một kiểm tra về tính hợp lý", "Một số liệu nằm ngoài khoảng được coi là có thể xảy ra.")


def _areas(outcome) -> str:
    """Agency edition: the provinces, regions or deliveries a finding is about, by name."""
    from crvs.report.pdf_tables import names

    rows = [r for r in (outcome.details or {}).get("rows") or [] if isinstance(r, dict) and r]
    if not rows:
        return ""
    column = next(iter(rows[0]))
    known = names().get(_AREA_NAMES.get(column, column), {})
    values = list(dict.fromkeys(str(r[column]) for r in rows if r.get(column) is not None))
    return ", ".join(known.get(v, labels.NATIONAL_VI if v == labels.NATIONAL else v) for v in values)


def _with_areas(text: str, outcome, audience: str) -> str:
    if audience != "agency":
        return text
    areas = _areas(outcome)
    return f"{text} Nơi có phát hiện: {areas}." if areas else text


def quality_section(gate, audience: str = "public") -> QualitySection:
    """The gate's outcome (crvs.quality.GateResult) as `audience` reads it, in Vietnamese."""
    accepted_ids = {id(o) for o, _ in gate.accepted}
    warning_ids = {id(o) for o in gate.warnings}
    failed_ids = {id(o) for o in gate.blocking_failures}
    order: dict[str, list[int]] = {}
    for o in gate.outcomes:
        counts = order.setdefault(_group_label(o.table), [0, 0, 0, 0, 0])
        counts[0] += 1
        counts[1] += bool(o.success)
        counts[2] += id(o) in accepted_ids
        counts[3] += id(o) in warning_ids
        counts[4] += id(o) in failed_ids
    groups = [CheckGroup(label, *counts) for label, counts in order.items()]
    checks = len(gate.outcomes)
    passed = sum(o.success for o in gate.outcomes)
    n_accepted, n_warnings, n_failed = len(accepted_ids), len(warning_ids), len(failed_ids)

    warning_kinds = list(dict.fromkeys(warning_meaning(o) for o in gate.warnings))
    accepted_kinds = list(dict.fromkeys(accepted_meaning(o) for o, _ in gate.accepted))
    intro = f"Trước khi công bố, số liệu của {label_vi(gate.quarter)} đã qua {checks} kiểm tra chất lượng tự động."
    if passed == checks:
        results = f"Cả {checks} kiểm tra đều đạt; không có cảnh báo."
    else:
        parts = [f"{passed} kiểm tra đạt"]
        if n_accepted:
            parts.append(
                f"{n_accepted} kiểm tra có số liệu vượt ngưỡng đã được cán bộ thống kê xem xét và chấp nhận "
                f"({'; '.join(m.about for m in accepted_kinds)})"
            )
        if n_warnings:
            parts.append(f"{n_warnings} cảnh báo ({'; '.join(m.about for m in warning_kinds)})")
        if n_failed:
            parts.append(f"{n_failed} kiểm tra không đạt, nên báo cáo không được công bố")
        results = "Kết quả: " + "; ".join(parts) + "."
    front = [
        intro,
        results,
        *([WHY_ACCEPTED_SHORT] if n_accepted else []),
        *([WHAT_WARNINGS_ARE] if n_warnings else []),
    ]
    annex = [
        intro.removesuffix(".") + f": {WHAT_IS_CHECKED}.",
        results,
        *([WHY_ACCEPTED] if n_accepted else []),
        *([WHAT_WARNINGS_ARE] if n_warnings else []),
    ]
    if audience == "agency":
        warnings = [_with_areas(warning_meaning(o).meaning, o, audience) for o in gate.warnings]
        accepted = [_with_areas(accepted_meaning(o).meaning, o, audience) for o, _ in gate.accepted]
    else:
        warnings = [m.meaning for m in warning_kinds]
        accepted = [m.meaning for m in accepted_kinds]
    return QualitySection(
        quarter=gate.quarter,
        audience=audience,
        checks=checks,
        passed=passed,
        accepted_count=n_accepted,
        warning_count=n_warnings,
        failed=n_failed,
        front=[*front, WHERE_DETAIL[audience]],
        annex=annex,
        warnings=warnings,
        accepted=accepted,
        groups=groups,
    )
