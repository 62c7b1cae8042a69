"""Feed checks over a delivery's profile (crvs/quality/profile.py, expectations/feed_suites.py):
the profile holds what the loader counted and one set-based pass over what it stored; the suites
check those aggregates, and each must fail on a delivery whose aggregates are wrong. Figures are
worked out by hand from the rows below."""

from __future__ import annotations

import pytest

from crvs.devtools.sample import write_delivery
from crvs.feeds import loader
from crvs.quality import feeds
from crvs.quality.suites import load_suite_file
from tests.integration.test_ingest import fetch, manifest
from tests.integration.test_loader_fast_path import moh_birth

COUNTS = "rows received, loaded and quarantined add up"
SEX_DRIFT = "sex distribution close to the previous delivery's"


def moh_delivery(tmp_path, delivery_id: str, sexes: str, extracted_at: str, **bad) -> None:
    """A MOH births delivery, one row per letter of `sexes`; `bad` changes the last row."""
    rows = [moh_birth(notification_id=f"{delivery_id}-{i}", sex=s) for i, s in enumerate(sexes)]
    rows[-1].update(bad)
    folder = write_delivery(
        tmp_path / delivery_id,
        manifest(delivery_id, agency="MOH", extracted_at=extracted_at),
        {"births.csv": ("moh_births", rows)},
    )
    assert loader.ingest_path(folder).outcome == loader.LOADED


def outcome(result, name: str):
    return next(o for o in result.outcomes if o.table == "moh_births" and o.name == name)


def profile(db, delivery_id: str) -> dict:
    return {
        (m, c, v): n
        for m, c, v, n in fetch(
            db,
            "select measure, column_name, coalesce(code_version || ' ', '') || coalesce(value, ''), rows"
            " from quality.delivery_profile where delivery_id = %s",
            delivery_id,
        )
    }


def test_the_profile_counts_what_the_loader_counted_and_stored(warehouse, db, tmp_path):
    # 10 rows; the last weighs 9 g: quarantined (out_of_range), 9 loaded.
    moh_delivery(tmp_path, "MOH-2025Q3-0001", "FFFFFFMMMM", "2025-10-05T08:00:00+07:00", birth_weight_g="9")

    result = feeds.check_delivery("MOH", "MOH-2025Q3-0001")

    assert result.passed, result.summary()
    found = profile(db, "MOH-2025Q3-0001")
    assert {k: found[k] for k in [("manifest_rows", "", ""), ("received", "", ""), ("loaded", "", "")]} == {
        ("manifest_rows", "", ""): 10,
        ("received", "", ""): 10,
        ("loaded", "", ""): 9,
    }
    assert found[("quarantined", "", "")] == 1 and found[("quarantined_by", "birth_weight_g", "out_of_range")] == 1
    assert found[("rows", "", "")] == 9 and found[("duplicate_key", "", "")] == 0
    # the quarantined row was an M: 6 F and 3 M stored, all in province 01 of the 2025 list
    assert found[("value", "sex", "F")] == 6 and found[("value", "sex", "M")] == 3
    assert found[("value", "facility_province_code", "2025 01")] == 9
    assert found[("not_pseudonym", "mother_pid", "")] == 0


def test_rows_that_do_not_add_up_fail_the_counts_check(warehouse, db, tmp_path):
    moh_delivery(tmp_path, "MOH-2025Q3-0001", "FFFFFFMMMM", "2025-10-05T08:00:00+07:00", birth_weight_g="9")
    assert outcome(feeds.check_delivery("MOH", "MOH-2025Q3-0001"), COUNTS).success

    # A stored row lost (a hand edit, a loader defect): 8 in raw.* where the loader loaded 9.
    db.execute("delete from raw.moh_births where source_row = 1")
    result = feeds.check_delivery("MOH", "MOH-2025Q3-0001")
    assert [o.name for o in result.failures] == [COUNTS]
    assert outcome(result, COUNTS).observed == (
        "1 row(s): manifest_rows=10, received=10, loaded=9, quarantined=1, stored=8, quarantined_by_rule=1"
    )
    assert ("MOH", "MOH-2025Q3-0001") in {
        (a, d) for a, d, *_ in fetch(db, "select agency, delivery_id from quality.feed_checks where not passed")
    }

    # The quarantined row's entry gone too, and the file's record saying 8 loaded: 8 + 1 <> 10 then
    # and the rule counts (0) disagree with the loader's 1.
    db.execute("delete from quarantine.rows")
    db.execute("update raw.delivery_files set rows_loaded = 8")
    observed = outcome(feeds.check_delivery("MOH", "MOH-2025Q3-0001"), COUNTS).observed
    assert observed == (
        "1 row(s): manifest_rows=10, received=10, loaded=8, quarantined=1, stored=8, quarantined_by_rule=0"
    )


def test_each_contract_check_fails_from_the_profile(warehouse, db, tmp_path):
    moh_delivery(tmp_path, "MOH-2025Q3-0001", "FFFFFFMMMM", "2025-10-05T08:00:00+07:00")
    db.execute("update raw.moh_births set facility_province_code = '02', sex = 'X' where source_row in (1, 2)")
    db.execute("update raw.moh_births set mother_pid = '079195000002'::bytea where source_row = 3")
    db.execute("update raw.moh_births set facility_code = null where source_row in (4, 5, 6)")
    db.execute("update raw.moh_births set notification_id = 'MOH-2025Q3-0001-0' where source_row in (8, 9)")
    db.execute("update raw.moh_births set birth_date = '2025-10-06' where source_row = 10")  # after extraction

    result = feeds.check_delivery("MOH", "MOH-2025Q3-0001")

    failed = {o.name: o.observed for o in result.failures}
    assert failed == {
        # 02 is a province of the PRE2025 list only
        "facility_province_code valid for its admin_code_version": "1 row(s): code_version=2025, value=02, rows=2",
        "sex is in its code list": "1 row(s): value=X, rows=2",
        "mother_pid is an HMAC-SHA256 pseudonym": "1 row(s): column_name=mother_pid, rows=1",
        "facility_code is never null": "1 row(s): column_name=facility_code, rows=3",
        # rows 8 and 9 repeat row 1's notification_id: 10 rows, 8 distinct keys
        "notification_id unique in the delivery": "1 row(s): column_name=, rows=2",
        "event_after_extraction (birth_date)": "1 row(s): column_name=event_after_extraction, rows=1",
    }


@pytest.fixture
def drift_from_ten_rows(monkeypatch):
    monkeypatch.setattr(load_suite_file("feed_suites"), "DRIFT_MIN_ROWS", 10)


def test_a_distribution_far_from_the_previous_deliverys_warns(warehouse, db, tmp_path, drift_from_ten_rows):
    moh_delivery(tmp_path, "MOH-2025Q3-0001", "FFFFFFMMMM", "2025-10-05T08:00:00+07:00")
    first = feeds.check_delivery("MOH", "MOH-2025Q3-0001")
    assert outcome(first, SEX_DRIFT).success  # nothing before it to compare with

    # 60 % F before; 90 % F now: 30 points, more than 10.
    moh_delivery(tmp_path, "MOH-2025Q4-0001", "FFFFFFFFFM", "2026-01-05T08:00:00+07:00")
    second = feeds.check_delivery("MOH", "MOH-2025Q4-0001")
    drift = outcome(second, SEX_DRIFT)
    assert (drift.severity, drift.success) == ("WARNING", False)
    assert drift.observed == (
        "2 row(s): value=F, share_pct=90.0, previous_pct=60.0, value=M, share_pct=10.0, previous_pct=40.0"
    )
    assert second.passed and "1 warning(s)" in second.summary()
    # a third like the second: 0 points from its previous delivery
    moh_delivery(tmp_path, "MOH-2026Q1-0001", "FFFFFFFFFM", "2026-04-05T08:00:00+07:00")
    assert outcome(feeds.check_delivery("MOH", "MOH-2026Q1-0001"), SEX_DRIFT).success
    # 7 F of 10 against 6 F of 10: 10 points, not more than 10
    moh_delivery(tmp_path, "MOH-2026Q2-0001", "FFFFFFFMMM", "2026-07-05T08:00:00+07:00")
    db.execute("delete from quality.delivery_profile where delivery_id in ('MOH-2025Q4-0001', 'MOH-2026Q1-0001')")
    assert outcome(feeds.check_delivery("MOH", "MOH-2026Q2-0001"), SEX_DRIFT).success
