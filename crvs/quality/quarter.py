"""Quarter labels (`2025Q3`): the one place that parses them, for the gate and the report writer."""

from __future__ import annotations

import re
from datetime import date, timedelta

_QUARTER = re.compile(r"(\d{4})Q([1-4])")


def check_quarter(quarter: str) -> str:
    """Return the label unchanged when it looks like `2025Q3`, else raise ValueError saying so."""
    if not isinstance(quarter, str) or not _QUARTER.fullmatch(quarter):
        raise ValueError(f"a quarter looks like 2025Q3 (year, 'Q', 1-4); got {quarter!r}")
    return quarter


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of the quarter."""
    match = _QUARTER.fullmatch(check_quarter(quarter))
    year, number = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after - timedelta(days=1)
