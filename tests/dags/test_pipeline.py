"""Without Airflow: quarters (crvs.schedule), Asset URIs (crvs.assets), the inbox scan and archiving
(crvs.feeds.inbox) and the ingest entry's summaries (crvs.feeds.ingest)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from handmade_delivery import write_vital_rates_delivery

from crvs import assets, schedule
from crvs.errors import RunBlocked
from crvs.feeds import inbox, ingest


@pytest.mark.parametrize(
    "day, quarter",
    [
        (dt.date(2025, 1, 1), "2025Q1"),
        (dt.date(2025, 3, 31), "2025Q1"),
        (dt.date(2025, 4, 1), "2025Q2"),
        (dt.date(2025, 9, 30), "2025Q3"),
        (dt.datetime(2025, 12, 31, 23, 59), "2025Q4"),
    ],
)
def test_quarter_of(day, quarter):
    assert schedule.quarter_of(day) == quarter


@pytest.mark.parametrize(
    "day, quarter",
    [
        (dt.date(2025, 10, 5), "2025Q3"),
        (dt.date(2025, 1, 1), "2024Q4"),
        (dt.date(2025, 3, 31), "2024Q4"),
        (dt.date(2025, 7, 1), "2025Q2"),
    ],
)
def test_last_complete_quarter(day, quarter):
    assert schedule.last_complete_quarter(day) == quarter


def test_resolve_quarter_prefers_the_parameter():
    assert schedule.resolve_quarter("2023Q2", dt.date(2025, 10, 5)) == "2023Q2"
    assert schedule.resolve_quarter(None, dt.date(2025, 10, 5)) == "2025Q3"
    assert schedule.resolve_quarter("", dt.date(2025, 10, 5)) == "2025Q3"


@pytest.mark.parametrize("bad", ["2025Q5", "2025-Q3", "25Q3", "2025q3"])
def test_resolve_quarter_rejects_bad_labels(bad):
    with pytest.raises(ValueError, match="expected a label like 2025Q3"):
        schedule.resolve_quarter(bad, None)


def test_resolve_quarter_needs_a_date_or_a_parameter():
    with pytest.raises(ValueError, match="pass the `quarter` parameter"):
        schedule.resolve_quarter(None, None)


def test_raw_asset_uris_cover_every_dataset():
    assert assets.raw_asset_uri("moj_births") == "crvs://raw/moj_births"
    assert len(assets.raw_asset_uris()) == 7
    with pytest.raises(ValueError, match="unknown dataset"):
        assets.raw_asset_uri("moj_divorces")


def test_ingest_schedule(monkeypatch):
    monkeypatch.delenv("CRVS_SCHEDULE_MOJ", raising=False)
    assert schedule.ingest_schedule("MOJ") == "@daily"
    monkeypatch.setenv("CRVS_SCHEDULE_MOJ", "@hourly")
    assert schedule.ingest_schedule("MOJ") == "@hourly"


def _delivery(inbox, name, extracted_at=None, manifest_text=None):
    folder = inbox / name
    folder.mkdir(parents=True)
    text = manifest_text if manifest_text is not None else json.dumps({"extracted_at": extracted_at})
    (folder / "manifest.json").write_text(text)
    return folder


def test_scan_inbox_lists_waiting_deliveries_oldest_first(tmp_path):
    # 09:00+07:00 is 02:00 UTC, earlier than 05:00+00:00 although its text sorts later.
    _delivery(tmp_path, "b", "2025-10-05T05:00:00+00:00")
    _delivery(tmp_path, "a", "2025-10-05T09:00:00+07:00")
    _delivery(tmp_path, "c", "2025-10-01T00:00:00+07:00")
    _delivery(tmp_path, "broken", manifest_text="{not json")
    _delivery(tmp_path, ".copying", "2025-01-01T00:00:00+07:00")
    _delivery(tmp_path, "processed/old", "2025-01-01T00:00:00+07:00")
    _delivery(tmp_path, "rejected/old", "2025-01-01T00:00:00+07:00")
    (tmp_path / "no-manifest").mkdir()
    (tmp_path / "stray.csv").write_text("x\n")

    found = inbox.scan_inbox(tmp_path)

    assert [p.rsplit("/", 1)[1] for p in found] == ["broken", "c", "a", "b"]
    assert all(p.startswith(str(tmp_path)) for p in found)


def test_scan_inbox_for_an_agency_takes_its_folders_and_the_unattributable_go_to_moj(tmp_path):
    for name, agency in (("MOJ-1", "MOJ"), ("moh-1", "MOH"), ("x", "GSO"), ("GSO-9", "MOH"), ("y", "WHO")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text(json.dumps({"agency": agency, "extracted_at": None}))
    _delivery(tmp_path, "MOH-broken", manifest_text="{not json")
    _delivery(tmp_path, "broken", manifest_text="{not json")

    def names(agency):
        return sorted(p.rsplit("/", 1)[1] for p in inbox.scan_inbox(tmp_path, agency=agency))

    # the manifest's agency wins over the folder name; the name decides when the manifest cannot
    assert names("MOH") == ["GSO-9", "MOH-broken", "moh-1"]
    assert names("GSO") == ["x"]
    assert names("MOJ") == ["MOJ-1", "broken", "y"]


def test_raw_updates_are_one_event_per_dataset_of_a_loaded_delivery():
    summary = {
        "agency": "MOJ",
        "delivery_id": "MOJ-2025Q3-0001",
        "channel": "API",
        "outcome": "LOADED",
        "rows_loaded": 5,
        "rows_quarantined": 1,
        "datasets": ["moj_births", "moj_deaths"],
    }
    extra = {
        "delivery_agency": "MOJ",
        "delivery_id": "MOJ-2025Q3-0001",
        "delivery_channel": "API",
        "delivery_rows_loaded": 5,
        "delivery_rows_quarantined": 1,
    }
    assert assets.raw_updates(summary) == [("crvs://raw/moj_births", extra), ("crvs://raw/moj_deaths", extra)]
    assert assets.raw_updates({**summary, "outcome": "ALREADY_LOADED"}) == []


def test_scan_inbox_without_an_inbox(tmp_path):
    assert inbox.scan_inbox(tmp_path / "missing") == []


def test_archive_keeps_files_and_never_overwrites(tmp_path):
    first = _delivery(tmp_path, "MOJ-1", "2025-10-05T08:00:00+07:00")
    assert inbox.archive(first, rejected=False) == tmp_path / "processed" / "MOJ-1"
    again = _delivery(tmp_path, "MOJ-1", "2025-10-05T08:00:00+07:00")
    assert inbox.archive(again, rejected=False) == tmp_path / "processed" / "MOJ-1.2"
    bad = _delivery(tmp_path, "MOJ-2", "2025-10-05T08:00:00+07:00")
    assert inbox.archive(bad, rejected=True) == tmp_path / "rejected" / "MOJ-2"
    assert (tmp_path / "rejected" / "MOJ-2" / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed", "rejected"]


def test_ingest_summarises_each_delivery_and_archives_it(warehouse, db, tmp_path):
    good = write_vital_rates_delivery(tmp_path, "GSO-2025-0101", extracted_at="2025-03-01T08:00:00+07:00")
    bad = write_vital_rates_delivery(
        tmp_path, "GSO-2025-0102", extracted_at="2025-03-02T08:00:00+07:00", wrong_sha256=True
    )

    summaries = ingest.ingest([good, bad])

    assert summaries[0] == {
        "folder": "GSO-2025-0101",
        "channel": "FILE",
        "agency": "GSO",
        "delivery_id": "GSO-2025-0101",
        "outcome": "LOADED",
        "reason": None,
        "rows_loaded": 2,
        "rows_quarantined": 1,
        "datasets": ["gso_vital_rates"],
        "feed_checks": {"passed": True, "failed": []},
        "archived_to": str(tmp_path / "processed" / "GSO-2025-0101"),
    }
    assert summaries[1]["outcome"] == "REJECTED"
    assert summaries[1]["archived_to"] == str(tmp_path / "rejected" / "GSO-2025-0102")
    assert json.loads(json.dumps(summaries)) == summaries
    with pytest.raises(RunBlocked) as rejected:
        ingest.require_all_loaded(summaries)
    assert str(rejected.value) == ingest.describe(summaries[1])
    assert ingest.require_loaded(summaries[0]) is summaries[0]
    with pytest.raises(RunBlocked, match="GSO-2025-0102: REJECTED"):
        ingest.require_loaded(summaries[1])
    ingest.require_all_loaded(summaries[:1])  # all loaded: nothing to say
    assert ingest.describe(summaries[1]).startswith("GSO-2025-0102: REJECTED — vital_rates.csv: sha256")

    # the same delivery again: nothing changes, it is archived beside the first copy
    again = write_vital_rates_delivery(tmp_path, "GSO-2025-0101", extracted_at="2025-03-01T08:00:00+07:00")
    (summary,) = ingest.ingest([again])
    assert summary["outcome"] == "ALREADY_LOADED"
    assert summary["archived_to"] == str(tmp_path / "processed" / "GSO-2025-0101.2")
    assert db.execute("select count(*) from raw.gso_vital_rates").fetchone()[0] == 2
