"""crvs.quality.quarter: the one place that parses quarter labels."""

from datetime import date

import pytest

from crvs.quality.quarter import quarter_bounds


def test_quarter_bounds():
    assert quarter_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_bounds("2024Q4") == (date(2024, 10, 1), date(2024, 12, 31))
    assert quarter_bounds("2025Q2") == (date(2025, 4, 1), date(2025, 6, 30))


@pytest.mark.parametrize("label", ["2025Q5", "2025q3", "25Q3", "2025Q3 "])
def test_quarter_bounds_refuses_a_label_that_is_not_a_quarter(label):
    with pytest.raises(ValueError, match="a quarter looks like 2025Q3"):
        quarter_bounds(label)
