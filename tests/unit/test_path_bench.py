"""`crvs bench path`'s day of MOJ delivery, made from the quarter's sample (no database needed)."""

from __future__ import annotations

import csv
import datetime as dt
import json

from crvs.devtools.bench_path import day_delivery, history_quarters
from crvs.devtools.sample import generate_quarter


def _rows(folder, name):
    with open(folder / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_day_of_moj_corrects_the_first_records_of_each_file_a_day_later(tmp_path):
    folders = generate_quarter("2025Q3", 0.002, tmp_path / "quarter")
    moj = next(f for f in folders if f.name.startswith("MOJ"))
    day = day_delivery(folders, 40, tmp_path / "day")

    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    quarter = json.loads((moj / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["delivery_id"], manifest["agency"]) == ("MOJ-2025Q3-0002", "MOJ")
    extracted = dt.datetime.fromisoformat(manifest["extracted_at"]) - dt.datetime.fromisoformat(quarter["extracted_at"])
    assert extracted == dt.timedelta(days=1)
    assert (manifest["period_start"], manifest["period_end"]) == (quarter["period_start"], quarter["period_end"])
    assert [f["name"] for f in manifest["files"]] == [f["name"] for f in quarter["files"]]
    # the 40 rows are shared among the files by their size: each file keeps at least one
    assert 40 - len(manifest["files"]) <= sum(f["rows"] for f in manifest["files"]) <= 40 + len(manifest["files"])
    for entry in manifest["files"]:
        corrected, original = _rows(day, entry["name"]), _rows(moj, entry["name"])
        assert len(corrected) == entry["rows"] >= 1
        for new, old in zip(corrected, original):  # the first records, one version later
            assert new["record_id"] == old["record_id"]
            assert int(new["record_version"]) == int(old["record_version"]) + 1
            assert {k: v for k, v in new.items() if k != "record_version"} == {
                k: v for k, v in old.items() if k != "record_version"
            }


def test_a_history_of_years_is_its_quarters_oldest_first_ending_at_the_given_one():
    assert history_quarters("2025Q3", 1) == ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]
    assert history_quarters("2026Q4", 1) == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    ten = history_quarters("2025Q3", 10)
    assert (len(ten), ten[0], ten[-1], len(set(ten))) == (40, "2015Q4", "2025Q3", 40)
