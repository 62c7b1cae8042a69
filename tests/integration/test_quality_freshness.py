"""Freshness: the rule on hand-made delivery records, its configuration, `crvs freshness` and the
daily crvs_freshness DAG (with its alert)."""

from __future__ import annotations

import datetime as dt

import pytest

from crvs import cli, pipeline
from crvs.airflow import runs
from crvs.feeds.tables import ensure_tables
from crvs.quality import alerts, freshness
from tests.alert_log import read_alerts

QUARTER = "2025Q3"  # 2025-07-01..2025-09-30; the default windows close on 2025-10-30
OWED = {
    "MOJ": ["moj_births", "moj_deaths", "moj_marriages"],
    "MOH": ["moh_births", "moh_deaths"],
    "GSO": ["gso_population", "gso_vital_rates"],
}


def deliver(db, delivery_id, agency, extracted_at, start, end, datasets=None):
    db.execute(
        "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, "
        "period_start, period_end, source, manifest) values (%s, %s, 'FILE', '1.0', %s, %s, %s, 'test', '{}')",
        (delivery_id, agency, extracted_at, start, end),
    )
    for dataset in datasets or OWED[agency]:
        db.execute(
            "insert into raw.delivery_files values (%s, %s, %s, null, 1, 1, 0, %s)",
            (delivery_id, dataset, dataset + ".csv", agency),
        )


@pytest.fixture
def on_time(db):
    """Every agency in on time: MOJ 5 days after the end (local time), MOH 3 days, GSO in April."""
    ensure_tables(db)
    deliver(db, "MOJ-Q3", "MOJ", "2025-10-05T08:00:00+07:00", "2025-07-01", "2025-09-30")
    deliver(db, "MOH-Q3", "MOH", "2025-10-03T08:00:00+07:00", "2025-07-01", "2025-09-30")
    deliver(db, "GSO-2025", "GSO", "2025-04-01T08:00:00+07:00", "2025-01-01", "2025-12-31")
    return db


def verdicts(today=None):
    return {(r.agency, r.dataset): (r.verdict, r.status) for r in freshness.check(QUARTER, today=today)}


def test_every_agency_on_time_is_fresh(on_time):
    assert set(verdicts(dt.date(2026, 6, 1)).values()) == {("FRESH", "FRESH")}
    assert len(verdicts()) == 7


def test_a_late_stale_or_missing_delivery_is_named(on_time):
    on_time.execute("update raw.deliveries set extracted_at = '2025-11-02T08:00:00+07:00' where delivery_id = 'MOJ-Q3'")
    # MOH extracted at 23:30 on the quarter's last day in Vietnam (16:30 UTC): before the end, stale.
    on_time.execute("update raw.deliveries set extracted_at = '2025-09-30T16:30:00+00:00' where delivery_id = 'MOH-Q3'")
    on_time.execute("delete from raw.delivery_files where delivery_id = 'GSO-2025' and dataset = 'gso_vital_rates'")

    found = {r.dataset: r for r in freshness.check(QUARTER, today=dt.date(2025, 12, 1))}

    assert {d: (r.verdict, r.status) for d, r in found.items()} == {
        "moj_births": ("LATE", "OVERDUE"),
        "moj_deaths": ("LATE", "OVERDUE"),
        "moj_marriages": ("LATE", "OVERDUE"),
        "moh_births": ("STALE", "OVERDUE"),
        "moh_deaths": ("STALE", "OVERDUE"),
        "gso_population": ("FRESH", "FRESH"),
        "gso_vital_rates": ("MISSING", "OVERDUE"),
    }
    assert found["moj_births"].problem == (
        "MOJ moj_births late: no deliveries extracted 2025-10-01..2025-10-30 cover 2025-07-01..2025-09-30; "
        "extracted after the window: MOJ-Q3 (extracted 2025-11-02)"
    )
    assert found["moh_deaths"].problem.endswith("extracted before the quarter ended: MOH-Q3 (extracted 2025-09-30)")
    assert found["gso_vital_rates"].problem == (
        "GSO gso_vital_rates missing: no deliveries extracted by 2025-10-30 cover 2025-01-01..2025-12-31"
    )


def test_deliveries_cover_the_quarter_together_and_later_ones_change_nothing(db):
    ensure_tables(db)
    # MOJ in two parts, both extracted within the window: together they cover the quarter.
    deliver(db, "MOJ-JUL-AUG", "MOJ", "2025-10-02T09:00:00+07:00", "2025-07-01", "2025-08-31")
    deliver(db, "MOJ-SEP", "MOJ", "2025-10-20T09:00:00+07:00", "2025-09-01", "2025-09-30")
    # MOH: July to August only in the window; the September part came next year.
    deliver(db, "MOH-JUL-AUG", "MOH", "2025-10-02T09:00:00+07:00", "2025-07-01", "2025-08-31")
    deliver(db, "GSO-2025", "GSO", "2025-04-01T08:00:00+07:00", "2025-01-01", "2025-12-31")
    before = verdicts(dt.date(2025, 11, 15))
    assert before[("MOJ", "moj_births")] == ("FRESH", "FRESH")
    assert before[("MOH", "moh_births")] == ("MISSING", "OVERDUE")

    # A year later: a correction of the whole quarter and the missing MOH month arrive. What passes
    # is judged from the deliveries of the window only, so a rebuilt quarter gets the same gate; the
    # explanation now names the late delivery (MISSING becomes LATE, still not FRESH).
    deliver(db, "MOJ-FIX", "MOJ", "2026-10-01T09:00:00+07:00", "2025-07-01", "2025-09-30")
    deliver(db, "MOH-SEP", "MOH", "2026-10-01T09:00:00+07:00", "2025-09-01", "2025-09-30")
    after = verdicts(dt.date(2026, 11, 15))
    assert {k: v[0] == "FRESH" for k, v in after.items()} == {k: v[0] == "FRESH" for k, v in before.items()}
    assert after[("MOH", "moh_births")] == ("LATE", "OVERDUE")


def test_an_open_window_is_waiting_not_overdue(db):
    ensure_tables(db)
    assert set(verdicts(dt.date(2025, 10, 30)).values()) == {("MISSING", "WAITING")}
    assert set(verdicts(dt.date(2025, 10, 31)).values()) == {("MISSING", "OVERDUE")}


def test_windows_come_from_the_configuration(on_time, tmp_path, monkeypatch):
    config = tmp_path / "windows.toml"
    text = freshness.config_file().read_text().replace("window_days = 30", "window_days = 3")
    config.write_text(text)
    monkeypatch.setenv("CRVS_FRESHNESS_CONFIG", str(config))

    found = verdicts(dt.date(2026, 1, 1))

    # 3-day windows (to 2025-10-03): MOH (extracted 10-03) still counts, MOJ (10-05) does not.
    assert found[("MOH", "moh_births")] == ("FRESH", "FRESH")
    assert found[("MOJ", "moj_births")] == ("LATE", "OVERDUE")


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("[agencies.MOJ]", "[agencies.MOJX]", "[agencies.MOJX]: MOJX is not an agency of the feed contract"),
        ("[agencies.GSO]", "[other.GSO]", "no window for GSO"),
        (
            "window_days = 30",
            "window_days = -1",
            "[agencies.MOJ]: window_days must be a whole number of days ≥ 0, got -1",
        ),
        ('covers = "quarter"', 'covers = "decade"', 'covers must be "quarter" or "year", got \'decade\''),
        ('"moh_births", "moh_deaths"', '"moh_births", "moj_deaths"', "moj_deaths is not a dataset MOH delivers"),
    ],
)
def test_a_wrong_configuration_is_refused_with_the_entry(tmp_path, old, new, message):
    config = tmp_path / "windows.toml"
    config.write_text(freshness.config_file().read_text().replace(old, new, 1))

    with pytest.raises(freshness.FreshnessConfigError) as refused:
        freshness.load_windows(config)
    assert str(refused.value).startswith(str(config))
    assert message in str(refused.value)


def test_the_command_exits_1_when_overdue_and_0_when_fresh(on_time, capsys):
    assert cli.main(["freshness", "--quarter", QUARTER]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"freshness of {QUARTER}:")
    assert "FRESH    MOJ moj_births" in out

    on_time.execute("delete from raw.delivery_files where delivery_id = 'MOH-Q3' and dataset = 'moh_deaths'")
    assert cli.main(["freshness", "--quarter", QUARTER]) == 1
    err = capsys.readouterr().err
    assert f"deliveries for {QUARTER} are OVERDUE: MOH moh_deaths missing" in err


def test_the_daily_dag_fails_and_alerts_when_a_window_has_closed(on_time, airflow_db):
    dag = runs.load_dags()["crvs_freshness"]
    alerts.alerts_file().unlink(missing_ok=True)
    try:
        # 2025-11-05: the last complete quarter is 2025Q3 and its windows closed on 2025-10-30.
        fresh = dag.test(logical_date=dt.datetime(2025, 11, 5, tzinfo=dt.timezone.utc))
        on_time.execute("delete from raw.delivery_files where delivery_id = 'MOJ-Q3' and dataset = 'moj_marriages'")
        overdue = dag.test(logical_date=dt.datetime(2025, 11, 6, tzinfo=dt.timezone.utc))
    finally:
        from airflow import settings as airflow_settings

        airflow_settings.Session.remove()

    assert str(getattr(fresh.state, "value", fresh.state)) == "success"
    assert str(getattr(overdue.state, "value", overdue.state)) == "failed"
    (alert,) = read_alerts()
    assert (alert["dag_id"], alert["task_id"]) == ("crvs_freshness", "check_deliveries_are_in")
    assert "MOJ moj_marriages missing" in alert["message"]
    assert alert["email"].startswith("not sent: no SMTP configured")


def test_pipeline_freshness_defaults_to_the_last_complete_quarter(on_time):
    assert pipeline.freshness(today=dt.date(2025, 10, 10))["quarter"] == QUARTER
