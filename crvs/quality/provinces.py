"""The 34 province codes of the 2025 list, read from the admin seed (the same file dbt loads)."""

from __future__ import annotations

import csv
from functools import lru_cache

from crvs import settings

NATIONAL_CODE = "VN"
CODE_VERSION = "2025"


@lru_cache(maxsize=1)
def province_codes() -> tuple[str, ...]:
    path = settings.SEEDS_DIR / "admin_provinces.csv"
    with path.open(newline="", encoding="utf-8") as f:
        codes = sorted(row["province_code"] for row in csv.DictReader(f) if row["code_version"] == CODE_VERSION)
    if len(codes) != 34:
        raise RuntimeError(f"{path} lists {len(codes)} provinces with code_version {CODE_VERSION}, expected 34")
    return tuple(codes)
