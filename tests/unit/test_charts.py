"""The PDF's charts over rows built by hand in the shape report.md gives (T5: quarter,
geography_level, geography_code, age_band, male, female, unknown, total)."""

from __future__ import annotations

import struct
from decimal import Decimal

from crvs.report import charts
from crvs.report.disclosure import SUPPRESSED as X

BANDS = [
    "<1",
    "1-4",
    "5-9",
    "10-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85+",
]


def t5_row(level, code, band, male, female, unknown=0):
    total = None if X in (male, female, unknown) else male + female + unknown
    return {
        "quarter": "2025Q3",
        "geography_level": level,
        "geography_code": code,
        "age_band": band,
        "male": male,
        "female": female,
        "unknown": unknown,
        "total": total,
    }


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_pyramid_reads_the_national_rows_youngest_first():
    rows = [
        # out of order, with a region row and an UNKNOWN band that must not be drawn
        t5_row("NATIONAL", "VN", "85+", 40, 75),
        t5_row("REGION", "RRD", "85+", 900, 900),
        t5_row("NATIONAL", "VN", "<1", 12, 9),
        t5_row("NATIONAL", "VN", "UNKNOWN", 3, 0),
        t5_row("NATIONAL", "VN", "60-64", 55, X),
        t5_row("NATIONAL", "VN", "1-4", 0, 0),
    ]
    bands, males, females, hidden = charts.pyramid_bars(rows)

    assert bands == BANDS  # report.md's death bands, <1 at the bottom
    assert males[0] == 12 and females[0] == 9
    assert males[1] == 0 and females[1] == 0
    assert males[13] == 55 and females[13] is None  # 60-64: the hidden female count is not drawn
    assert males[18] == 40 and females[18] == 75  # 85+ from the NATIONAL row, not the region's 900
    assert all(males[i] is None for i in range(2, 13))  # bands without rows
    assert hidden == [(13, "female")]


def test_the_pyramid_is_a_png_and_the_same_rows_give_the_same_bytes():
    rows = [t5_row("NATIONAL", "VN", band, 10 * n + 1, 8 * n + 2) for n, band in enumerate(BANDS)]
    first = charts.deaths_pyramid(rows)
    assert first == charts.deaths_pyramid(rows)
    width, height = png_size(first)
    assert (width, height) == (7.5 * charts.DPI, 5.0 * charts.DPI)
    assert b"Software" not in first and b"Matplotlib" not in first  # no version stamp in the file


def test_every_chart_draws_published_rows_with_hidden_cells():
    province_names = {"01": "Hà Nội", "04": "Cao Bằng"}
    c1 = [
        {"quarter": "2025Q3", "province_code": "01", "births": 120, "deaths": X, "marriages": 40},
        {"quarter": "2025Q3", "province_code": "04", "births": 30, "deaths": X, "marriages": 0},
        {"quarter": "2025Q3", "province_code": "VN", "births": 150, "deaths": 60, "marriages": 40},
    ]
    t8 = [
        {"province_code": "01", "birth_completeness_pct": Decimal("91.0"), "death_completeness_pct": X},
        {"province_code": "04", "birth_completeness_pct": None, "death_completeness_pct": Decimal("70.1")},
        {"province_code": "VN", "birth_completeness_pct": Decimal("90.0"), "death_completeness_pct": Decimal("75.0")},
    ]
    c2 = [
        {"event_type": "BIRTH", "on_time": 80, "late": 15, "delayed_1_5y": X, "delayed_5y_plus": X, "total": 100},
        {"event_type": "DEATH", "on_time": 0, "late": 0, "delayed_1_5y": 0, "delayed_5y_plus": 0, "total": 0},
    ]
    c3 = [
        {"region_code": "RRD", "male": 600, "female": 500, "sex_ratio_at_birth": Decimal("120.0")},
        {"region_code": "CHL", "male": X, "female": X, "sex_ratio_at_birth": X},
        {"region_code": "VN", "male": 1200, "female": 1100, "sex_ratio_at_birth": Decimal("109.1")},
    ]
    for png in (
        charts.registrations_by_province(c1, province_names),
        charts.completeness_by_province(t8, province_names, 100.0, 80.0),
        charts.timeliness(c2),
        charts.srb_by_region(c3, {"RRD": "Đồng bằng sông Hồng"}),
    ):
        width, height = png_size(png)
        assert width == 7.5 * charts.DPI and height > 200


def test_vietnamese_number_spelling():
    assert charts.vn_number(1234567) == "1.234.567"
    assert charts.vn_number(Decimal("109.7"), 1) == "109,7"
    assert charts.vn_number(Decimal("0.0"), 1) == "0,0"
    assert charts.vn_number(X) == X
    assert charts.vn_number(None) == "—"
