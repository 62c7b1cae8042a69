"""Quarter labels (`2025Q3`): the one place that parses, checks, bounds and names them, for every room
(feeds, gate, report, schedule, command line)."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, timedelta

# The label's pattern, as the quarterly report DAG's `quarter` Param declares it (JSON schema).
PATTERN = r"^[0-9]{4}Q[1-4]$"
_QUARTER = re.compile(PATTERN)


def check_quarter(quarter: str) -> str:
    """Return the label unchanged when it looks like `2025Q3`, else raise ValueError saying so."""
    if not is_quarter(quarter):
        raise ValueError(f"a quarter looks like 2025Q3 (year, 'Q', 1-4); got {quarter!r}")
    return quarter


def is_quarter(quarter: object) -> bool:
    return isinstance(quarter, str) and _QUARTER.fullmatch(quarter) is not None


def year_and_number(quarter: str) -> tuple[int, int]:
    """2025Q3 → (2025, 3)."""
    check_quarter(quarter)
    return int(quarter[:4]), int(quarter[5])


def first_day(quarter: str) -> date:
    year, number = year_and_number(quarter)
    return date(year, 3 * number - 2, 1)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of the quarter."""
    year, number = year_and_number(quarter)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first_day(quarter), after - timedelta(days=1)


def quarter_of(day: dt.date | dt.datetime) -> str:
    """The quarter label (e.g. 2024Q3) of a date or datetime (a datetime's own calendar date)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarter(quarter: str) -> str:
    """2025Q1 → 2024Q4; 2025Q3 → 2025Q2."""
    year, number = year_and_number(quarter)
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def next_quarter(quarter: str) -> str:
    """2024Q4 → 2025Q1; 2025Q2 → 2025Q3."""
    year, number = year_and_number(quarter)
    return f"{year + 1}Q1" if number == 4 else f"{year}Q{number + 1}"


def label_vi(quarter: str) -> str:
    """The Vietnamese name of a quarter: 2025Q3 → quý 3/2025."""
    text = str(quarter)
    return f"quý {text[-1]}/{text[:4]}"
