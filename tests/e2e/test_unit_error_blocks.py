"""Issue 13's first bullet end to end: a GSO delivery whose population is counted in hundreds (a
unit error; a new delivery_id, its manifest in order) makes `crvs report` refuse to publish: exit 1,
the blocking completeness check and its figure named, nothing written.

A small sample quarter (scale 0.002) → ingest.ingest → the later GSO delivery → dbt build →
`crvs report`. The national completeness is worked out by hand from the delivered rows.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest

from crvs import pipeline
from crvs.devtools.sample import generate_quarter, write_delivery
from crvs.feeds import ingest

QUARTER = "2025Q3"
DAYS_IN_Q3, DAYS_IN_2025 = 92, 365
CRVS = str(Path(sys.executable).with_name("crvs"))


def _rows(folder: Path, name: str) -> list[dict]:
    with open(folder / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _one_decimal(value: Fraction) -> str:
    """Round half away from zero to one decimal, as PostgreSQL's round(numeric, 1)."""
    tenths = value * 10
    whole = int(tenths) + (1 if tenths - int(tenths) >= Fraction(1, 2) else 0)
    return f"{whole // 10}.{whole % 10}"


@pytest.fixture(scope="module")
def in_hundreds(module_warehouse, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    moj, moh, gso = generate_quarter(QUARTER, 0.002, inbox)
    # GSO sends 2025 again as GSO-2025-0002 with every population cell in hundreds (value / 100);
    # the same rates. Each cell replaces the earlier delivery's (feeds.md).
    population = [{**r, "population": str(round(int(r["population"]) / 100))} for r in _rows(gso, "population.csv")]
    rates = _rows(gso, "vital_rates.csv")
    resent = write_delivery(
        inbox / "GSO-2025-0002",
        dict(
            delivery_id="GSO-2025-0002",
            agency="GSO",
            extracted_at="2025-10-01T08:00:00+07:00",
            period_start="2025-01-01",
            period_end="2025-12-31",
        ),
        {"population.csv": ("gso_population", population), "vital_rates.csv": ("gso_vital_rates", rates)},
    )
    summaries = ingest.ingest([moj, moh, gso, resent])
    assert [s["outcome"] for s in summaries] == ["LOADED"] * 4, summaries
    pipeline.transform()

    # expected births = Σ over GSO areas of CBR / 1000 × population × 92 / 365 (report.md, T8)
    people = {}
    for r in population:
        people[r["province_code"]] = people.get(r["province_code"], 0) + int(r["population"])
    expected = (
        sum(Fraction(r["crude_birth_rate"]) / 1000 * people[r["province_code"]] for r in rates)
        * DAYS_IN_Q3
        / DAYS_IN_2025
    )
    with psycopg.connect(module_warehouse) as conn:
        # the numerator is the quarter's on-time births, which the unit error does not touch
        (on_time,) = conn.execute(
            "select births_on_time from reports.rpt_t8_completeness where quarter = %s and province_code = 'VN'",
            (QUARTER,),
        ).fetchone()
    return {"pct": _one_decimal(Fraction(on_time) / expected * 100), "on_time": on_time}


def test_crvs_report_refuses_the_quarter_naming_check_and_figure(in_hundreds, tmp_path):
    out = tmp_path / "reports"
    result = subprocess.run(
        [CRVS, "-q", "report", "--quarter", QUARTER, "--out", str(out)],
        cwd=tmp_path,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"quality gate blocked the {QUARTER} report; nothing written."
    blocking = [line for line in lines if line.startswith("  BLOCKING ") and "[birth_completeness]" in line]
    assert len(blocking) == 1, result.stderr
    # about a hundred times the true completeness: far above the blocking band's 150 %
    assert float(in_hundreds["pct"]) > 1000
    assert (
        f"province_code=VN, birth_completeness_pct={in_hundreds['pct']}, births_on_time={in_hundreds['on_time']}"
    ) in blocking[0]
    assert "GSO-2025-0002" in blocking[0]  # the delivery the population came from
    assert "birth completeness within 10-150 %" in blocking[0]
    assert not out.exists() or not any(out.rglob("*"))
