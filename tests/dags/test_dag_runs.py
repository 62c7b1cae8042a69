"""The DAGs run with dag.test() against the session's real PostgreSQL (warehouse and Airflow's
metadata database). All dag.test() calls live in this module: the first one in a process costs
several seconds, the later ones a fraction of a second."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from handmade_delivery import write_vital_rates_delivery

from crvs import settings
from crvs.airflow import runs


@pytest.fixture(scope="module")
def dags(airflow_db):
    yield runs.load_dags()
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
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent.extra, AssetEvent.source_dag_id)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == uri)
        ).all()
        return [{"extra": extra, "dag_id": dag_id} for extra, dag_id in rows]


def test_ingest_loads_a_delivery_and_announces_the_raw_asset(dags, inbox, db):
    write_vital_rates_delivery(inbox, "GSO-2025-0001", extracted_at="2025-03-01T08:00:00+07:00")

    state = runs.run_dag(dags["crvs_ingest_gso"])

    assert state == "success"
    rows = db.execute(
        "select delivery_id, province_code, crude_birth_rate from raw.gso_vital_rates order by province_code"
    ).fetchall()
    assert [(r[0], r[1], str(r[2])) for r in rows] == [("GSO-2025-0001", "01", "15.2"), ("GSO-2025-0001", "04", "17.9")]
    assert db.execute("select count(*) from quarantine.rows where delivery_id = 'GSO-2025-0001'").fetchone()[0] == 1
    # handled folders leave the inbox with their files
    assert not (inbox / "GSO-2025-0001").exists()
    assert (inbox / "processed" / "GSO-2025-0001" / "vital_rates.csv").is_file()
    # the raw asset says which delivery fed it
    events = [e for e in asset_events("crvs://raw/gso_vital_rates") if e["extra"].get("delivery_id") == "GSO-2025-0001"]
    assert events == [
        {
            "extra": {
                "delivery_agency": "GSO",
                "delivery_id": "GSO-2025-0001",
                "delivery_channel": "FILE",
                "delivery_rows_loaded": 2,
                "delivery_rows_quarantined": 1,
            },
            "dag_id": "crvs_ingest_gso",
        }
    ]
    assert not asset_events("crvs://raw/moj_births")


def test_ingest_fails_the_run_on_a_rejected_delivery_after_loading_the_others(dags, inbox, db):
    # The rejected one is the older: it is tried first, and the newer still loads.
    write_vital_rates_delivery(inbox, "GSO-2025-0002", extracted_at="2025-04-01T08:00:00+07:00", wrong_sha256=True)
    write_vital_rates_delivery(inbox, "GSO-2025-0003", extracted_at="2025-05-01T08:00:00+07:00")

    from airflow.utils.state import TaskInstanceState

    run = dags["crvs_ingest_gso"].test()
    tis = task_instances(run)

    assert str(run.state) in ("failed", "DagRunState.FAILED")
    assert tis[("load_inbox_delivery", 0)] == (TaskInstanceState.FAILED, "GSO-2025-0002")
    assert tis[("load_inbox_delivery", 1)] == (TaskInstanceState.SUCCESS, "GSO-2025-0003")
    assert tis[("all_deliveries_loaded", -1)][0] == TaskInstanceState.UPSTREAM_FAILED
    # the loaded delivery is still announced
    assert tis[("announce_raw_updates", -1)][0] == TaskInstanceState.SUCCESS
    assert [
        e["extra"]["delivery_id"]
        for e in asset_events("crvs://raw/gso_vital_rates")
        if e["extra"].get("delivery_id") in ("GSO-2025-0002", "GSO-2025-0003")
    ] == ["GSO-2025-0003"]
    assert db.execute("select distinct delivery_id from raw.gso_vital_rates").fetchall() == [("GSO-2025-0003",)]
    reason = db.execute(
        "select reason from quarantine.rejected_deliveries where delivery_id = 'GSO-2025-0002'"
    ).fetchone()[0]
    assert "sha256" in reason
    assert (inbox / "rejected" / "GSO-2025-0002" / "manifest.json").is_file()
    assert (inbox / "processed" / "GSO-2025-0003" / "manifest.json").is_file()


def test_ingest_with_an_empty_inbox_succeeds_and_loads_nothing(dags, inbox, db):
    assert runs.run_dag(dags["crvs_ingest_gso"]) == "success"


def test_an_agency_dag_leaves_other_agencies_folders_in_the_inbox(dags, inbox, db):
    write_vital_rates_delivery(inbox, "GSO-2025-0004", extracted_at="2025-03-01T08:00:00+07:00")
    assert runs.run_dag(dags["crvs_ingest_moh"]) == "success"
    assert (inbox / "GSO-2025-0004" / "manifest.json").is_file()
    assert db.execute("select count(*) from raw.deliveries").fetchone() == (0,)  # nothing was loaded


def _mail_with(folder, *, skip=()) -> bytes:
    """An official e-mail with a delivery folder's files attached, as a mail client sends them."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "data-desk@agency.example", "crvs@warehouse.example", "Delivery"
    msg["Message-ID"] = make_msgid(domain="agency.example")
    msg.set_content("Delivery attached.")
    for path in sorted(folder.iterdir()):
        if path.name not in skip:
            msg.add_attachment(
                path.read_bytes(),
                maintype="text",
                subtype="csv" if path.suffix == ".csv" else "plain",
                filename=path.name,
            )
    return msg.as_bytes()


def test_ingest_collects_e_mailed_deliveries_and_loads_its_agency_s(dags, inbox, db, tmp_path, monkeypatch):
    mailbox = tmp_path / "mail"
    for sub in ("new", "cur", "tmp"):
        (mailbox / sub).mkdir(parents=True)
    monkeypatch.setenv("CRVS_MAIL_DIR", str(mailbox))
    made = tmp_path / "made"
    ours = write_vital_rates_delivery(made, "GSO-2025-0005", extracted_at="2025-03-01T08:00:00+07:00")
    theirs = write_vital_rates_delivery(made, "MOH-2025Q1-0005", extracted_at="2025-03-01T08:00:00+07:00")
    manifest = json.loads((theirs / "manifest.json").read_text())
    (theirs / "manifest.json").write_text(json.dumps({**manifest, "agency": "MOH"}))
    (mailbox / "new" / "1700000001.a.host").write_bytes(_mail_with(ours))
    (mailbox / "new" / "1700000002.b.host").write_bytes(_mail_with(theirs))
    (mailbox / "new" / "1700000003.c.host").write_bytes(_mail_with(ours, skip=("manifest.json",)))

    assert runs.run_dag(dags["crvs_ingest_gso"]) == "success"

    assert db.execute("select delivery_id, channel from raw.deliveries").fetchall() == [("GSO-2025-0005", "EMAIL")]
    assert [
        e["extra"]["delivery_channel"]
        for e in asset_events("crvs://raw/gso_vital_rates")
        if e["extra"].get("delivery_id") == "GSO-2025-0005"
    ] == ["EMAIL"]
    # every message handled (moved to cur/ and flagged seen, as a mail client would) ...
    assert list((mailbox / "new").iterdir()) == []
    assert sorted(p.name for p in (mailbox / "cur").iterdir()) == [
        "1700000001.a.host:2,S",
        "1700000002.b.host:2,S",
        "1700000003.c.host:2,S",
    ]
    # ... MOH's delivery waits in the inbox for MOH's DAG, the message without a manifest is refused
    assert (inbox / "MOH-2025Q1-0005" / "manifest.json").is_file()
    (reason,) = db.execute("select reason from quarantine.rejected_deliveries").fetchone()
    assert "manifest.json" in reason


# --- the sharing platform ---------------------------------------------------------------------

PLATFORM_TOKEN = "dag-test-token-5e1c"


@pytest.fixture
def platform(tmp_path, monkeypatch, warehouse):
    """The reference platform on 127.0.0.1, named by the Airflow connection crvs_platform (defined
    through the environment, as a deployment's secrets backend would)."""
    from crvs.devtools.platform_server import PlatformServer

    root = tmp_path / "platform"
    root.mkdir()
    with PlatformServer(root, PLATFORM_TOKEN, page_size=1) as server:
        host, port = server.server_address[:2]
        monkeypatch.setenv(
            "AIRFLOW_CONN_CRVS_PLATFORM",
            json.dumps({"conn_type": "http", "host": host, "port": port, "schema": "http", "password": PLATFORM_TOKEN}),
        )
        yield server
    shutil.rmtree(settings.platform_spool_dir(), ignore_errors=True)


def _return_values(run, task_id) -> list:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        values = (
            session.execute(
                XComModel.get_many(
                    run_id=run.run_id, dag_ids=run.dag_id, task_ids=task_id, key="return_value"
                ).with_only_columns(XComModel.value)
            )
            .scalars()
            .all()
        )
    return [XComModel.deserialize_value(type("Row", (), {"value": v})()) for v in values]


def test_ingest_fetches_from_the_platform_and_shows_which_delivery_it_loaded(dags, inbox, db, platform):
    from airflow.utils.state import TaskInstanceState

    write_vital_rates_delivery(platform.store.root, "GSO-2025-0011", extracted_at="2025-03-01T08:00:00+07:00")
    write_vital_rates_delivery(inbox, "GSO-2025-0012", extracted_at="2025-04-01T08:00:00+07:00")

    run = dags["crvs_ingest_gso"].test()
    tis = task_instances(run)

    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert tis[("fetch_platform_deliveries", -1)][0] == TaskInstanceState.SUCCESS
    assert tis[("load_inbox_delivery", 0)] == (TaskInstanceState.SUCCESS, "GSO-2025-0012")
    assert db.execute("select delivery_id, channel from raw.deliveries order by 1").fetchall() == [
        ("GSO-2025-0011", "API"),
        ("GSO-2025-0012", "FILE"),
    ]
    ((fetched,),) = _return_values(run, "fetch_platform_deliveries")
    assert (fetched["delivery_id"], fetched["channel"], fetched["rows_loaded"], fetched["rows_quarantined"]) == (
        "GSO-2025-0011",
        "API",
        2,
        1,
    )
    assert PLATFORM_TOKEN not in json.dumps(_return_values(run, "fetch_platform_deliveries"))
    events = [
        e["extra"]
        for e in asset_events("crvs://raw/gso_vital_rates")
        if e["extra"].get("delivery_id") == "GSO-2025-0011"
    ]
    assert events == [
        {
            "delivery_agency": "GSO",
            "delivery_id": "GSO-2025-0011",
            "delivery_channel": "API",
            "delivery_rows_loaded": 2,
            "delivery_rows_quarantined": 1,
        }
    ]
    # the next run finds nothing new on the platform
    again = dags["crvs_ingest_gso"].test()
    assert str(again.state) in ("success", "DagRunState.SUCCESS")
    assert _return_values(again, "fetch_platform_deliveries") == [[]]


def test_a_rejected_platform_delivery_fails_the_run_after_loading_the_others(dags, inbox, db, platform):
    from airflow.utils.state import TaskInstanceState

    bad = write_vital_rates_delivery(platform.store.root, "GSO-2025-0021", extracted_at="2025-03-01T08:00:00+07:00")
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["files"][0]["rows"] = 5
    (bad / "manifest.json").write_text(json.dumps(manifest))
    write_vital_rates_delivery(platform.store.root, "GSO-2025-0022", extracted_at="2025-04-01T08:00:00+07:00")

    run = dags["crvs_ingest_gso"].test()
    tis = task_instances(run)

    assert str(run.state) in ("failed", "DagRunState.FAILED")
    ((rejected, loaded),) = _return_values(run, "fetch_platform_deliveries")
    assert [(s["delivery_id"], s["outcome"]) for s in (rejected, loaded)] == [
        ("GSO-2025-0021", "REJECTED"),
        ("GSO-2025-0022", "LOADED"),
    ]
    assert tis[("platform_deliveries_loaded", -1)][0] == TaskInstanceState.FAILED
    assert tis[("all_deliveries_loaded", -1)][0] == TaskInstanceState.UPSTREAM_FAILED
    assert tis[("announce_raw_updates", -1)][0] == TaskInstanceState.SUCCESS
    assert db.execute("select reason from quarantine.rejected_deliveries").fetchall() == [
        ("vital_rates.csv (gso_vital_rates): the platform's manifest says 5 rows, its pages gave 3",)
    ]


def test_a_refused_token_fails_the_run_at_once_and_the_inbox_still_loads(dags, inbox, db, platform, monkeypatch):
    from airflow.utils.state import TaskInstanceState

    host, port = platform.server_address[:2]
    monkeypatch.setenv(
        "AIRFLOW_CONN_CRVS_PLATFORM",
        json.dumps({"conn_type": "http", "host": host, "port": port, "schema": "http", "password": "expired"}),
    )
    write_vital_rates_delivery(inbox, "GSO-2025-0031", extracted_at="2025-04-01T08:00:00+07:00")

    run = dags["crvs_ingest_gso"].test()
    tis = task_instances(run)

    assert str(run.state) in ("failed", "DagRunState.FAILED")
    assert tis[("fetch_platform_deliveries", -1)][0] == TaskInstanceState.FAILED
    assert tis[("load_inbox_delivery", 0)] == (TaskInstanceState.SUCCESS, "GSO-2025-0031")
    assert tis[("announce_raw_updates", -1)][0] == TaskInstanceState.SUCCESS
    assert [
        e["extra"]["delivery_id"]
        for e in asset_events("crvs://raw/gso_vital_rates")
        if e["extra"].get("delivery_id") == "GSO-2025-0031"
    ] == ["GSO-2025-0031"]
    assert platform.requests_log == ["GET /v1/deliveries -> 401"]


def _chosen_quarter(run) -> str:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        value = session.execute(
            XComModel.get_many(
                run_id=run.run_id, dag_ids=run.dag_id, task_ids="choose_quarter", key="return_value"
            ).with_only_columns(XComModel.value)
        ).scalar_one()
    return XComModel.deserialize_value(type("Row", (), {"value": value})())


REPORT_STEPS = "quality_gate|write_report|deliver_report"  # not this module's business


@pytest.fixture
def report_dag(airflow_db):
    # Freshly parsed for each run: in one process, a run's conf lingers in the task objects' params.
    return runs.load_dags()["crvs_quarterly_report"]


def test_report_quarter_comes_from_the_param(report_dag):
    run = report_dag.test(
        run_conf={"quarter": "2024Q2"},
        logical_date=dt.datetime(2025, 11, 1, tzinfo=dt.timezone.utc),
        mark_success_pattern=REPORT_STEPS,
    )
    assert _chosen_quarter(run) == "2024Q2"


def test_report_quarter_defaults_to_the_last_complete_quarter_before_the_run(report_dag):
    # (a logical date of its own: dag.test() reuses the run of a logical date it has seen)
    run = report_dag.test(
        logical_date=dt.datetime(2025, 11, 2, tzinfo=dt.timezone.utc), mark_success_pattern=REPORT_STEPS
    )
    assert _chosen_quarter(run) == "2025Q3"


def test_a_platform_delivery_refused_several_times_holds_back_the_later_ones_and_is_never_skipped(
    dags, inbox, db, platform
):
    """0002 is refused by the platform three times (each ingest run asks once): the runs fail, 0003
    waits behind it, and once the platform serves 0002 both load, in the platform's order."""
    from crvs.devtools.platform_server import FaultPlan

    for n, month in ((1, "03"), (2, "04"), (3, "05")):
        write_vital_rates_delivery(
            platform.store.root, f"GSO-2025-004{n}", extracted_at=f"2025-{month}-01T08:00:00+07:00"
        )
    platform.faults = FaultPlan.parse(["403/GSO-2025-0042*3"])

    def loaded():
        return [r[0] for r in db.execute("select delivery_id from raw.deliveries order by loaded_at")]

    states, after_each_run = [], []
    for _ in range(4):
        run = dags["crvs_ingest_gso"].test()
        states.append(str(getattr(run.state, "value", run.state)))
        after_each_run.append(loaded())

    assert "GSO-2025-0042" in loaded(), f"GSO-2025-0042 was skipped: loaded after each run {after_each_run}"
    # while 0042 could not be fetched, 0043 waited behind it
    assert after_each_run[:3] == [["GSO-2025-0041"]] * 3
    assert loaded() == ["GSO-2025-0041", "GSO-2025-0042", "GSO-2025-0043"]
    assert states == ["failed", "failed", "failed", "success"]
    assert db.execute("select count(*) from quarantine.rejected_deliveries").fetchone()[0] == 0
