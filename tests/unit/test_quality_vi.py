"""The gate's outcome in plain Vietnamese (crvs/report/quality_vi.py), from a hand-made gate result
(no database): the counts of checks worked out by hand, each kind of warning's meaning, no machine
text in the public wording, and the same in the PDF's front page and quality annex."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from crvs.quality.acceptances import Acceptance
from crvs.quality.gate import GateResult
from crvs.quality.runner import ExpectationOutcome
from crvs.quality.suites import BLOCKING, WARNING, report_suites
from crvs.report import quality_vi
from crvs.report.pdf import PdfInputs, write_pdf
from crvs.report.public_text import public_check_name
from crvs.report.quality_vi import quality_section
from crvs.report.tables import T2

# Words of the gate's own output, written from its check names (expectations/report_suites.py), its
# summary ("Gate 2025Q3 passed with …", "[WARNING]") and the columns its findings name: none may
# reach the public quality section.
MACHINE_WORDS = (
    "Gate",
    "passed",
    "FAILED",
    "BLOCKING",
    "WARNING",
    "warning",
    "check",
    "accepted",
    "row(s)",
    "rpt_",
    "_pct",
    "province_code",
    "region_code",
    "under_legal_age",
    "birth_completeness",
    "sex_ratio_at_birth",
    "completeness",
    "sex ratio",
    "within",
    "every province",
    "no spouse under the legal age",
    "registrations",
    "rows rejected",
    "outside its expected range",
    "agency edition",
    "the Notes",
    "=",
)


def outcome(name, table, severity, success, rows=(), **band):
    return ExpectationOutcome(
        name=name,
        table=table,
        severity=severity,
        success=success,
        observed="" if success else f"{len(rows)} row(s): " + "; ".join(f"{r}" for r in rows),
        expectation="unexpected_rows_expectation",
        details={"rows": list(rows)} if rows else {},
        **band,
    )


@pytest.fixture
def gate() -> GateResult:
    """Six checks: three pass (T2 every province; T2 total; the deliveries' freshness), one BLOCKING
    band fails and is accepted (birth completeness, Hồ Chí Minh 160.0 %), two warnings fail (T8
    completeness for Hà Nội 12.0 %; T7 a spouse under the legal age in NMM, 3 of them)."""
    outcomes = [
        outcome("every province and VN present", "rpt_t2_births_by_sex", BLOCKING, True),
        outcome("total = male + female + unknown", "rpt_t2_births_by_sex", BLOCKING, True),
        outcome(
            "completeness within 50-120 %",
            "rpt_t8_completeness",
            WARNING,
            False,
            [{"province_code": "01", "birth_completeness_pct": 90.0, "death_completeness_pct": 12.0}],
        ),
        outcome(
            "birth completeness within 10-150 % (VN, provinces expecting >= 50 births)",
            "rpt_t8_completeness",
            BLOCKING,
            False,
            [{"province_code": "79", "birth_completeness_pct": 160.0, "births_on_time": 1600}],
            check="birth_completeness",
            band="10-150 %",
            area_column="province_code",
            figure_column="birth_completeness_pct",
            acceptable=True,
        ),
        outcome(
            "no spouse under the legal age",
            "rpt_t7_marriages_by_age",
            WARNING,
            False,
            [{"region_code": "NMM", "under_legal_age": 3}],
        ),
        outcome("every agency delivered the quarter within its agreed window", "delivery_freshness", BLOCKING, True),
    ]
    acceptance = Acceptance(
        "2025Q3",
        "birth_completeness",
        "new maternity hospital",
        "thu.nguyen",
        datetime(2025, 10, 6, tzinfo=timezone.utc),
        [],
    )
    result = GateResult(
        "2025Q3", "run-1", datetime(2025, 10, 6, tzinfo=timezone.utc), outcomes, {"birth_completeness": acceptance}
    )
    assert result.passed and len(result.warnings) == 2 and len(result.accepted) == 1
    return result


def machine_words_in(text: str) -> list[str]:
    return [w for w in MACHINE_WORDS if w in text]


def test_a_warning_and_an_accepted_check_read_as_worked_out_by_hand(gate):
    section = quality_section(gate)
    # 6 checks: 3 met, 1 accepted, 2 warnings; 3 + 1 + 2 = 6, none failed.
    assert (section.checks, section.passed, section.accepted_count, section.warning_count, section.failed) == (
        6,
        3,
        1,
        2,
        0,
    )
    assert section.front_text == (
        "Trước khi công bố, số liệu của quý 3/2025 đã qua 6 kiểm tra chất lượng tự động. "
        "Kết quả: 3 kiểm tra đạt; 1 kiểm tra có số liệu vượt ngưỡng đã được cán bộ thống kê xem xét và chấp nhận "
        "(mức độ đầy đủ của đăng ký khai sinh); 2 cảnh báo (mức độ đầy đủ của đăng ký ở một số tỉnh; kết hôn dưới "
        "tuổi luật định). "
        "Việc chấp nhận chỉ được phép với kiểm tra về tính hợp lý, cho riêng quý này, khi số liệu phản ánh đúng dữ "
        "liệu nhận được. "
        "Cảnh báo không ngăn việc công bố: cảnh báo đánh dấu số liệu khác thường để người đọc lưu ý khi sử dụng. "
        "Ý nghĩa của từng cảnh báo và các kiểm tra theo nội dung ở phần Phụ lục: chất lượng dữ liệu."
    )
    # The annex says what is checked and why an acceptance is allowed, in full.
    assert section.annex[0].startswith(
        "Trước khi công bố, số liệu của quý 3/2025 đã qua 6 kiểm tra chất lượng tự động: cấu trúc"
    )
    assert quality_vi.WHY_ACCEPTED in section.annex
    # Each warning's meaning, in the gate's order: T8's, then T7's; the accepted finding's.
    assert section.warnings == [
        quality_vi.WARNINGS[("rpt_t8_completeness", "completeness")].meaning,
        quality_vi.WARNINGS[("rpt_t7_marriages_by_age", "no spouse under the legal age")].meaning,
    ]
    assert section.accepted == [quality_vi.ACCEPTED["birth_completeness"].meaning]
    # By what they are about: T2 2 (both met), T8 2 (1 accepted, 1 warning), T7 1 (a warning), freshness 1.
    assert [g.line() for g in section.groups] == [
        "Bảng T2 — Khai sinh theo giới tính: 2 kiểm tra, đều đạt.",
        "Bảng T8 — Mức độ đầy đủ của đăng ký: 2 kiểm tra; 1 kiểm tra được chấp nhận, 1 cảnh báo.",
        "Bảng T7 — Người kết hôn theo tuổi: 1 kiểm tra; 1 cảnh báo.",
        "Thời hạn gửi dữ liệu của các cơ quan: 1 kiểm tra, đều đạt.",
    ]


def test_the_public_wording_has_no_machine_text_and_no_figure_but_counts_of_checks(gate):
    section = quality_section(gate)
    texts = [*section.front, *section.annex, *section.warnings, *section.accepted, *(g.line() for g in section.groups)]
    everything = " ".join(texts)
    assert machine_words_in(everything) == []
    for o in gate.outcomes:
        assert o.name not in everything and public_check_name(o.name) not in everything
    # No province, region, value or row count: the only numbers are counts of checks (and the quarter).
    for leaked in ("Hà Nội", "Hồ Chí Minh", "Trung du", "12,0", "12.0", "160", "1600", " 3 người"):
        assert leaked not in everything, leaked
    numbers = re.findall(r"(?<!\w)\d+(?: (?:kiểm tra|cảnh báo))?", everything.replace("quý 3/2025", ""))
    assert all(n.endswith(("kiểm tra", "cảnh báo")) for n in numbers), numbers


def test_the_agency_edition_also_names_where_each_finding_is(gate):
    section = quality_section(gate, "agency")
    assert section.warnings[0].endswith("Nơi có phát hiện: Hà Nội.")
    assert section.warnings[1].endswith("Nơi có phát hiện: Trung du và miền núi phía Bắc.")
    assert section.accepted == [quality_vi.ACCEPTED["birth_completeness"].meaning + " Nơi có phát hiện: Hồ Chí Minh."]
    assert section.front[-1] == quality_vi.WHERE_DETAIL["agency"]


def test_a_gate_with_every_check_met_says_so():
    result = GateResult(
        "2025Q4",
        "run-2",
        datetime(2026, 1, 5, tzinfo=timezone.utc),
        [outcome("every province and VN present", "rpt_t2_births_by_sex", BLOCKING, True)] * 4,
    )
    section = quality_section(result)
    assert section.front[:2] == [
        "Trước khi công bố, số liệu của quý 4/2025 đã qua 4 kiểm tra chất lượng tự động.",
        "Cả 4 kiểm tra đều đạt; không có cảnh báo.",
    ]
    assert section.warnings == [] and section.accepted == []


def test_every_warning_and_every_acceptable_check_of_the_gate_has_its_vietnamese_wording():
    """The suites as the gate runs them: a warning or band added there without wording here fails."""
    warnings, acceptable = set(), set()
    for suite in report_suites():
        for expectation in suite.expectations:
            if expectation.meta["severity"] == WARNING:
                warnings.add((suite.model, public_check_name(expectation.description)))
            if expectation.meta.get("acceptable"):
                acceptable.add(expectation.meta["check"])
    assert len(warnings) == 10 and len(acceptable) == 5
    assert warnings <= set(quality_vi.WARNINGS), warnings - set(quality_vi.WARNINGS)
    assert acceptable <= set(quality_vi.ACCEPTED), acceptable - set(quality_vi.ACCEPTED)
    # A warning the table does not know still reads as Vietnamese and names no check.
    unknown = outcome("new check within 3 %", "rpt_t3_births_by_mother_age", WARNING, False)
    assert quality_vi.warning_meaning(unknown).meaning.startswith(
        "Một kiểm tra về tính hợp lý có kết quả khác thường (Bảng T3)"
    )


def test_the_pdf_prints_the_vietnamese_quality_section_on_its_front_page_and_annex(gate, tmp_path):
    inputs = PdfInputs(quarter="2025Q3", tables=[(T2, [])], quality=quality_section(gate))
    write_pdf(tmp_path / "report.pdf", inputs)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(tmp_path / "report.pdf").pages]
    front = pages[0]
    quality = front[front.index("Kiểm tra chất lượng dữ liệu") :]
    assert "đã qua 6 kiểm tra chất lượng tự động" in quality and "3 kiểm tra đạt" in quality and "2 cảnh báo" in quality
    annex = next(p for p in pages if p.startswith("Phụ lục: chất lượng dữ liệu"))
    annex = annex[: annex.index("Dữ liệu sử dụng")]
    for text in (*quality_section(gate).warnings, *quality_section(gate).accepted):
        assert f"• {text}" in annex, text
    assert "• Bảng T8 — Mức độ đầy đủ của đăng ký: 2 kiểm tra; 1 kiểm tra được chấp nhận, 1 cảnh báo." in annex
    # (the annex's heading keeps its English gloss, "(Quality annex)", like every section of the PDF)
    assert machine_words_in(quality) == [] and machine_words_in(annex.replace("(Quality annex)", "")) == []
