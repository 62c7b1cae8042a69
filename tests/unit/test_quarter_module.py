"""crvs.quarter: the one place that parses quarter labels."""

from datetime import date

import pytest

from crvs.quarter import (
    check_quarter,
    first_day,
    is_quarter,
    label_vi,
    next_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    year_and_number,
)


def test_quarter_bounds():
    assert quarter_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_bounds("2024Q4") == (date(2024, 10, 1), date(2024, 12, 31))
    assert quarter_bounds("2025Q2") == (date(2025, 4, 1), date(2025, 6, 30))


@pytest.mark.parametrize("label", ["2025Q5", "2025q3", "25Q3", "2025Q3 "])
def test_quarter_bounds_refuses_a_label_that_is_not_a_quarter(label):
    with pytest.raises(ValueError, match="a quarter looks like 2025Q3"):
        quarter_bounds(label)


def test_quarter_of_previous_next_and_the_vietnamese_label():
    assert quarter_of(date(2025, 9, 30)) == "2025Q3" and quarter_of(date(2025, 10, 1)) == "2025Q4"
    assert previous_quarter("2025Q1") == "2024Q4" and previous_quarter("2025Q3") == "2025Q2"
    assert next_quarter("2024Q4") == "2025Q1" and next_quarter("2025Q2") == "2025Q3"
    assert year_and_number("2025Q3") == (2025, 3) and first_day("2025Q4") == date(2025, 10, 1)
    assert label_vi("2025Q3") == "quý 3/2025"


@pytest.mark.parametrize("label", ["2025Q5", "2025Q3\n", "２０２５Q3", 20253])
def test_every_reader_refuses_what_is_not_a_quarter(label):
    assert not is_quarter(label)
    for read in (check_quarter, year_and_number, previous_quarter, next_quarter):
        with pytest.raises(ValueError, match="a quarter looks like 2025Q3"):
            read(label)
