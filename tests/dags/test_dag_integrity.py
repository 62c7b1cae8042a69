"""The DAG files parse, and say what runs when, who owns it and what it is for."""

from __future__ import annotations

import datetime as dt

import pytest

from crvs import assets, schedule
from crvs.airflow import adapter
from crvs.feeds.contract import DATASETS

EXPECTED_TAGS = {
    "crvs_ingest_moj": {"crvs", "ingest", "MOJ"},
    "crvs_ingest_moh": {"crvs", "ingest", "MOH"},
    "crvs_ingest_gso": {"crvs", "ingest", "GSO"},
    "crvs_transform": {"crvs", "dbt"},
    "crvs_quarterly_report": {"crvs", "report"},
    "crvs_freshness": {"crvs", "quality"},
}


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    from crvs import settings

    return DagBag(dag_folder=settings.DAGS_DIR)


def test_dag_files_import_without_errors(bag):
    assert bag.import_errors == {}


def test_exactly_the_expected_dags(bag):
    assert set(bag.dag_ids) == set(EXPECTED_TAGS)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_TAGS))
def test_dag_conventions(bag, dag_id):
    dag = bag.dags[dag_id]
    assert set(dag.tags) == EXPECTED_TAGS[dag_id]
    assert dag.doc_md and dag_id in dag.doc_md
    # the UI's one-line summary beside the docs
    assert dag.description and "\n" not in dag.description and len(dag.description) <= 100, dag.description
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.start_date == dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert dag.start_date < dt.datetime.now(dt.timezone.utc)
    for task in dag.tasks:
        assert task.owner == "crvs-statistics"
        assert task.retries == 2
        assert task.retry_delay == dt.timedelta(minutes=5)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_TAGS))
def test_no_cycles(bag, dag_id):
    from airflow.sdk.definitions.dag import DAG  # noqa: F401  (check_cycle lives with the DAG)
    from airflow.utils.dag_cycle_tester import check_cycle

    check_cycle(bag.dags[dag_id])  # raises on a cycle


@pytest.mark.parametrize(
    "dag_id, expression",
    [("crvs_ingest_moj", "0 0 * * *"), ("crvs_ingest_moh", "0 0 * * 0"), ("crvs_ingest_gso", "0 0 1 * *")],
)
def test_each_agency_is_ingested_on_its_own_rhythm(bag, dag_id, expression):
    assert bag.dags[dag_id].timetable.expression == expression


def test_an_agency_schedule_comes_from_its_environment_variable(monkeypatch):
    from crvs import settings

    monkeypatch.setenv("CRVS_SCHEDULE_MOH", "30 6 * * 1")
    assert schedule.ingest_schedule("MOH") == "30 6 * * 1"
    assert schedule.ingest_schedule("GSO") == "@monthly"
    with pytest.raises(settings.SettingsError, match="unknown agency 'WHO'"):
        schedule.ingest_schedule("WHO")


@pytest.mark.parametrize("dag_id", adapter.INGEST_DAG_IDS)
def test_ingest_fetches_in_one_ordered_task_scans_one_mapped_task_per_folder_then_announces(bag, dag_id):
    dag = bag.dags[dag_id]
    # the platform's deliveries in ONE task, in the platform's order (a failed one holds back the rest)
    fetch = dag.task_dict["fetch_platform_deliveries"]
    assert fetch.downstream_task_ids == {"announce_raw_updates", "platform_deliveries_loaded"}
    assert dag.task_dict["platform_deliveries_loaded"].downstream_task_ids == {"all_deliveries_loaded"}
    assert dag.task_dict["scan_inbox"].downstream_task_ids == {"load_inbox_delivery"}
    for load_id in ("fetch_platform_deliveries", "load_inbox_delivery"):
        assert dag.task_dict[load_id].max_active_tis_per_dag == 1
    assert dag.task_dict["load_inbox_delivery"].downstream_task_ids == {"announce_raw_updates", "all_deliveries_loaded"}
    announce = dag.task_dict["announce_raw_updates"]
    assert [o.name for o in announce.outlets] == ["crvs-raw-loaded"]
    assert announce.trigger_rule == "all_done"
    # the run fails when a delivery was rejected: its last task is then upstream_failed (and not
    # skipped early because the platform had nothing)
    assert dag.task_dict["all_deliveries_loaded"].trigger_rule == "none_failed_min_one_success"
    # e-mailed deliveries are saved into the inbox before it is scanned
    assert dag.task_dict["collect_mail"].downstream_task_ids == {"scan_inbox"}
    assert {t.task_id for t in dag.leaves} == {"announce_raw_updates", "all_deliveries_loaded"}


def test_transform_is_scheduled_on_any_raw_asset_and_feeds_the_report(bag):
    from airflow.sdk import AssetAny

    dag = bag.dags["crvs_transform"]
    condition = dag.timetable.asset_condition
    assert isinstance(condition, AssetAny)
    assert sorted(a.uri for a in condition.objects) == sorted(f"crvs://raw/{d}" for d in DATASETS)
    assert [o.uri for o in dag.task_dict["dbt_build"].outlets] == ["crvs://reports/quarterly_models"]


def test_report_is_scheduled_on_the_report_models_and_takes_a_quarter(bag):
    dag = bag.dags["crvs_quarterly_report"]
    assert dag.timetable.asset_condition.uri == assets.REPORT_MODELS_ASSET_URI
    quarter = dag.params.get_param("quarter")
    assert quarter.value is None
    assert quarter.schema["pattern"] == schedule.QUARTER_PATTERN
    # gate before report, report before its announcement
    assert "write_report" in dag.task_dict["quality_gate"].downstream_task_ids
    assert dag.task_dict["write_report"].upstream_task_ids == {"choose_quarter", "quality_gate"}
    assert dag.task_dict["deliver_report"].upstream_task_ids == {"choose_quarter", "write_report"}


def test_loader_is_the_dag_list_of_orchestration(bag):
    assert set(adapter.DAG_IDS) == set(bag.dag_ids)
