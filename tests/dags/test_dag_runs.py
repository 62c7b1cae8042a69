"""The DAGs run with dag.test() against the session's real PostgreSQL (warehouse and Airflow's
metadata database). All dag.test() calls live in this module: the first one in a process costs
several seconds, the later ones a fraction of a second."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from crvs import orchestration, settings
from handmade_delivery import write_vital_rates_delivery


@pytest.fixture(scope="module")
def dags(airflow_db):
    yield orchestration.load_dags()
    # dag.test() leaves its session open; close it before the session's PostgreSQL stops.
    from airflow import settings as airflow_settings

    airflow_settings.Session.remove()
    airflow_settings.engine.dispose()


@pytest.fixture
def inbox(warehouse):
    path = settings.inbox_dir()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def task_instances(run) -> dict[tuple[str, int], object]:
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = run.get_task_instances(session=session)
        return {(ti.task_id, ti.map_index): (ti.state, ti.rendered_map_index) for ti in tis}


def asset_events(uri: str) -> list[dict]:
    from sqlalchemy import select

    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent.extra, AssetEvent.source_dag_id)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == uri)
        ).all()
        return [{"extra": extra, "dag_id": dag_id} for extra, dag_id in rows]


def test_ingest_loads_a_delivery_and_announces_the_raw_asset(dags, inbox, db):
    write_vital_rates_delivery(inbox, "GSO-2025-0001", extracted_at="2025-03-01T08:00:00+07:00")

    state = orchestration.run_dag(dags["crvs_ingest"])

    assert state == "success"
    rows = db.execute("select delivery_id, province_code, crude_birth_rate from raw.gso_vital_rates "
                      "order by province_code").fetchall()
    assert [(r[0], r[1], str(r[2])) for r in rows] == [
        ("GSO-2025-0001", "01", "15.2"), ("GSO-2025-0001", "04", "17.9")]
    assert db.execute("select count(*) from quarantine.rows where delivery_id = 'GSO-2025-0001'"
                      ).fetchone()[0] == 1
    # handled folders leave the inbox with their files
    assert not (inbox / "GSO-2025-0001").exists()
    assert (inbox / "processed" / "GSO-2025-0001" / "vital_rates.csv").is_file()
    # the raw asset says which delivery fed it
    events = [e for e in asset_events("crvs://raw/gso_vital_rates") if e["extra"].get("delivery_id") == "GSO-2025-0001"]
    assert events == [{"extra": {"delivery_id": "GSO-2025-0001", "delivery_rows_loaded": 2,
                                 "delivery_rows_quarantined": 1},
                       "dag_id": "crvs_ingest"}]
    assert not asset_events("crvs://raw/moj_births")


def test_ingest_fails_the_run_on_a_rejected_delivery_after_loading_the_others(dags, inbox, db):
    # The rejected one is the older: it is tried first, and the newer still loads.
    write_vital_rates_delivery(inbox, "GSO-2025-0002", extracted_at="2025-04-01T08:00:00+07:00",
                               wrong_sha256=True)
    write_vital_rates_delivery(inbox, "GSO-2025-0003", extracted_at="2025-05-01T08:00:00+07:00")

    from airflow.utils.state import TaskInstanceState

    run = dags["crvs_ingest"].test()
    tis = task_instances(run)

    assert str(run.state) in ("failed", "DagRunState.FAILED")
    assert tis[("load_delivery", 0)] == (TaskInstanceState.FAILED, "GSO-2025-0002")
    assert tis[("load_delivery", 1)] == (TaskInstanceState.SUCCESS, "GSO-2025-0003")
    assert tis[("all_deliveries_loaded", -1)][0] == TaskInstanceState.UPSTREAM_FAILED
    # the loaded delivery is still announced
    assert tis[("announce_raw_updates", -1)][0] == TaskInstanceState.SUCCESS
    assert [e["extra"]["delivery_id"] for e in asset_events("crvs://raw/gso_vital_rates")
            if e["extra"].get("delivery_id") in ("GSO-2025-0002", "GSO-2025-0003")] == ["GSO-2025-0003"]
    assert db.execute("select distinct delivery_id from raw.gso_vital_rates").fetchall() == [("GSO-2025-0003",)]
    reason = db.execute("select reason from quarantine.rejected_deliveries where delivery_id = 'GSO-2025-0002'"
                        ).fetchone()[0]
    assert "sha256" in reason
    assert (inbox / "rejected" / "GSO-2025-0002" / "manifest.json").is_file()
    assert (inbox / "processed" / "GSO-2025-0003" / "manifest.json").is_file()


def test_ingest_with_an_empty_inbox_succeeds_and_loads_nothing(dags, inbox, db):
    assert orchestration.run_dag(dags["crvs_ingest"]) == "success"


def _chosen_quarter(run) -> str:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        value = session.execute(
            XComModel.get_many(run_id=run.run_id, dag_ids=run.dag_id, task_ids="choose_quarter",
                               key="return_value").with_only_columns(XComModel.value)
        ).scalar_one()
    return XComModel.deserialize_value(type("Row", (), {"value": value})())


REPORT_STEPS = "quality_gate|write_report|deliver_report"  # not this module's business


@pytest.fixture
def report_dag(airflow_db):
    # Freshly parsed for each run: in one process, a run's conf lingers in the task objects' params.
    return orchestration.load_dags()["crvs_quarterly_report"]


def test_report_quarter_comes_from_the_param(report_dag):
    run = report_dag.test(
        run_conf={"quarter": "2024Q2"}, logical_date=dt.datetime(2025, 11, 1, tzinfo=dt.timezone.utc),
        mark_success_pattern=REPORT_STEPS)
    assert _chosen_quarter(run) == "2024Q2"


def test_report_quarter_defaults_to_the_last_complete_quarter_before_the_run(report_dag):
    # (a logical date of its own: dag.test() reuses the run of a logical date it has seen)
    run = report_dag.test(
        logical_date=dt.datetime(2025, 11, 2, tzinfo=dt.timezone.utc), mark_success_pattern=REPORT_STEPS)
    assert _chosen_quarter(run) == "2025Q3"
