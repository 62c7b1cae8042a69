"""The 34 province codes of the 2025 list, read from the admin seed (the same file dbt loads)."""

from __future__ import annotations

from functools import lru_cache

from crvs import reference

NATIONAL_CODE = "VN"
CODE_VERSION = "2025"


@lru_cache(maxsize=1)
def province_codes() -> tuple[str, ...]:
    codes = reference.province_codes(CODE_VERSION)
    if len(codes) != 34:
        raise RuntimeError(
            f"admin_provinces.csv lists {len(codes)} provinces with code_version {CODE_VERSION}, expected 34"
        )
    return codes
