"""The official code lists, read from the committed dbt seeds (the same files dbt loads into
`reference`), for the Python parts that need them before or beside dbt: the loader's code checks,
the gate's list of provinces, the sample generator."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from crvs import settings


@lru_cache(maxsize=16)
def _read(path: Path) -> tuple[dict[str, str], ...]:
    if not path.is_file():
        raise FileNotFoundError(f"seed file {path} is missing (regenerate it with scripts/generate_admin_seeds.py)")
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def read_seed(name: str, seeds_dir: Path | None = None) -> tuple[dict[str, str], ...]:
    """The rows of dbt_project/seeds/<name> (or of another seeds folder), as dicts of text."""
    return _read(Path(seeds_dir or settings.SEEDS_DIR).resolve() / name)


def province_codes(code_version: str) -> tuple[str, ...]:
    """The province codes of one official list (`PRE2025`: 63, `2025`: 34), sorted."""
    return tuple(
        sorted(r["province_code"] for r in read_seed("admin_provinces.csv") if r["code_version"] == code_version)
    )
