"""The sharing-platform client against the reference server over real HTTP on 127.0.0.1, loading
into the session's real PostgreSQL: paging, the token, every fault, resume after a crash, bad input,
and that an API delivery loads exactly as the same delivery dropped as files."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import pytest

from crvs.devtools.platform_server import FaultPlan, FaultSpecError, PlatformServer, decode_token, encode_token
from crvs.devtools.sample import generate_quarter, write_delivery
from crvs.feeds import loader
from crvs.platform import client as platform

TOKEN = "test-platform-token"

# Three GSO rows; province 99 is in no code list, so that row is quarantined wherever it comes from.
RATES = [
    {
        "year": "2025",
        "province_code": "01",
        "admin_code_version": "2025",
        "crude_birth_rate": "15.2",
        "crude_death_rate": "6.1",
    },
    {
        "year": "2025",
        "province_code": "04",
        "admin_code_version": "2025",
        "crude_birth_rate": "17.9",
        "crude_death_rate": "5.4",
    },
    {
        "year": "2025",
        "province_code": "99",
        "admin_code_version": "2025",
        "crude_birth_rate": "16.0",
        "crude_death_rate": "6.0",
    },
]


def gso_delivery(root, delivery_id="GSO-2025-0001", extracted_at="2025-03-01T08:00:00+07:00", rows=RATES):
    return write_delivery(
        root / delivery_id,
        {
            "delivery_id": delivery_id,
            "agency": "GSO",
            "extracted_at": extracted_at,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
        {"vital_rates.csv": ("gso_vital_rates", rows)},
    )


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "platform"
    root.mkdir()
    return root


def start(root, *, page_size=1, faults=None):
    return PlatformServer(root, TOKEN, page_size=page_size, faults=faults).start()


def config(server, **kw):
    return platform.PlatformConfig(server.url, TOKEN, **{"backoff": 0.25, **kw})


class Waits(list):
    """Records the waits the client asks for instead of sleeping them (the tests stay fast; the
    waits themselves are what is checked)."""

    def __call__(self, seconds):
        self.append(seconds)


def client_of(server, waits=None, **kw):
    return platform.PlatformClient(config(server, **kw), sleep=waits if waits is not None else Waits())


def get(url, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as answer:
        return json.loads(answer.read())


def raw_rates(db):
    return db.execute(
        "select delivery_id, source_row, province_code, crude_birth_rate::text, crude_death_rate::text "
        "from raw.gso_vital_rates order by source_row"
    ).fetchall()


# --- the server ------------------------------------------------------------------------------


def test_every_request_needs_the_token(served):
    gso_delivery(served)
    with start(served) as server:
        for token in (None, "wrong"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                get(f"{server.url}/v1/deliveries?agency=GSO", token)
            assert refused.value.code == 401
        assert [m["delivery_id"] for m in get(f"{server.url}/v1/deliveries?agency=GSO")["deliveries"]] == [
            "GSO-2025-0001"
        ]


def test_listing_is_in_publication_order_after_the_given_delivery_with_channel_api_and_no_sha256(served):
    import os

    # published (copied in) in this order, whatever the periods they cover
    for n, delivery_id in enumerate(["GSO-2025-0002", "GSO-2025-0001", "GSO-2025-0003"]):
        folder = gso_delivery(served, delivery_id, extracted_at="2025-03-01T08:00:00+07:00")
        os.utime(folder / "manifest.json", ns=(1_700_000_000_000_000_000 + n, 1_700_000_000_000_000_000 + n))
    with start(served) as server:
        listed = get(f"{server.url}/v1/deliveries?agency=GSO")["deliveries"]
        assert [m["delivery_id"] for m in listed] == ["GSO-2025-0002", "GSO-2025-0001", "GSO-2025-0003"]
        assert {m["channel"] for m in listed} == {"API"}
        assert listed[0]["files"] == [{"name": "vital_rates.csv", "dataset": "gso_vital_rates", "rows": 3}]
        after = get(f"{server.url}/v1/deliveries?agency=GSO&after=GSO-2025-0001")["deliveries"]
        assert [m["delivery_id"] for m in after] == ["GSO-2025-0003"]
        assert get(f"{server.url}/v1/deliveries?agency=MOJ")["deliveries"] == []
        with pytest.raises(platform.PlatformError, match="HTTP 404 .*no delivery 'GSO-1999-0001' of GSO"):
            client_of(server).deliveries("GSO", after="GSO-1999-0001")


def test_pages_follow_the_token_and_carry_the_csv_values(served):
    gso_delivery(served, rows=[RATES[0], {**RATES[1], "crude_death_rate": ""}, RATES[2]])
    with start(served, page_size=2) as server:
        pages = list(client_of(server).pages("GSO-2025-0001", "gso_vital_rates"))
    assert [len(p) for p in pages] == [2, 1]
    assert pages[0][1] == {
        "year": "2025",
        "province_code": "04",
        "admin_code_version": "2025",
        "crude_birth_rate": "17.9",
        "crude_death_rate": None,
    }  # empty → null
    assert pages[1][0]["province_code"] == "99"


def test_a_page_size_of_exactly_the_row_count_ends_without_an_empty_page(served):
    gso_delivery(served)
    with start(served, page_size=3) as server:
        pages = list(client_of(server).pages("GSO-2025-0001", "gso_vital_rates"))
        assert [len(p) for p in pages] == [3]
        assert len(server.requests_log) == 1


def test_page_size_and_tokens_are_checked(served):
    with pytest.raises(ValueError, match="1..10000"):
        PlatformServer(served, TOKEN, page_size=10_001)
    assert decode_token(encode_token(1234)) == 1234
    with pytest.raises(ValueError, match="not one this server issued"):
        decode_token("garbage!")
    with pytest.raises(FaultSpecError, match="KIND@N"):
        FaultPlan.parse(["explode@1"])


# --- fetching and loading --------------------------------------------------------------------


def test_fetch_loads_the_delivery_quarantines_its_bad_row_and_fetches_nothing_twice(served, db):
    gso_delivery(served)
    with start(served) as server:
        (result,) = platform.fetch_agency(config(server), "GSO")
        assert (result.outcome, result.delivery_id, result.rows_loaded, result.rows_quarantined) == (
            loader.LOADED,
            "GSO-2025-0001",
            2,
            1,
        )
        assert raw_rates(db) == [("GSO-2025-0001", 1, "01", "15.2", "6.1"), ("GSO-2025-0001", 2, "04", "17.9", "5.4")]
        assert db.execute("select source_row, column_name, rule from quarantine.rows").fetchall() == [
            (3, "province_code", "unknown_code")
        ]
        assert db.execute("select channel, source from raw.deliveries").fetchall() == [
            ("API", f"{server.url}/v1/deliveries/GSO-2025-0001")
        ]
        # the next run asks only for deliveries after the one loaded: there are none
        assert platform.fetch_agency(config(server), "GSO") == []
        assert server.requests_log[-1] == "GET /v1/deliveries -> 200"
    assert (platform.spool_root() / "processed" / "GSO-2025-0001" / "vital_rates.csv").is_file()


@pytest.mark.parametrize("fault", ["429", "500", "502", "503", "drop", "truncate"])
def test_each_fault_is_retried_and_the_delivery_loads_whole(served, db, fault):
    gso_delivery(served)
    # request 1 lists, 2..4 are the three pages: the second page fails once
    with start(served, faults=FaultPlan.parse([f"{fault}@3"], retry_after=7)) as server:
        waits = Waits()
        client = client_of(server, waits)
        (result,) = platform.fetch_agency(client.config, "GSO", client=client)
        assert result.outcome == loader.LOADED
        outcome = {"drop": "dropped", "truncate": "200 truncated"}.get(fault, fault)
        assert server.requests_log[2] == f"GET /v1/deliveries/GSO-2025-0001/gso_vital_rates -> {outcome}"
        assert len(server.requests_log) == 5
    # Retry-After is honoured; otherwise the first backoff step
    assert waits == ([7.0] if fault == "429" else [0.25])
    assert client.retries == 1
    assert [r[1] for r in raw_rates(db)] == [1, 2]


def test_a_slow_page_past_the_timeout_is_retried(served, db):
    gso_delivery(served)
    with start(served, faults=FaultPlan.parse(["slow@2"], slow_seconds=2)) as server:
        waits = Waits()
        client = client_of(server, waits, timeout=0.5)
        (result,) = platform.fetch_agency(client.config, "GSO", client=client)
    assert result.outcome == loader.LOADED
    assert waits == [0.25]


def test_backoff_doubles_is_capped_and_gives_up_with_a_clear_error_then_the_next_run_resumes(served, db):
    gso_delivery(served)
    with start(served, faults=FaultPlan.parse(["500@2,3,4,5"])) as server:
        waits = Waits()
        client = client_of(server, waits, max_tries=4, max_delay=0.6)
        (result,) = platform.fetch_agency(client.config, "GSO", client=client)
        assert result.outcome == platform.FAILED
        assert "HTTP 500" in result.reason and "gave up after 4 tries" in result.reason
        assert waits == [0.25, 0.5, 0.6]
        assert db.execute("select count(*) from raw.deliveries").fetchone()[0] == 0
        assert db.execute("select count(*) from quarantine.rejected_deliveries").fetchone()[0] == 0
        # the partly spooled delivery is never loaded; the next run (the faults are over) fetches it
        (again,) = platform.fetch_agency(client.config, "GSO", client=client)
    assert again.outcome == loader.LOADED
    assert [r[1] for r in raw_rates(db)] == [1, 2]


def test_a_refused_token_stops_at_once_with_a_clear_message(served, db):
    gso_delivery(served)
    with start(served) as server:
        expired = platform.PlatformConfig(server.url, "expired-token")
        with pytest.raises(platform.PlatformAuthError, match="refused the token .*401.*missing, wrong or expired"):
            platform.fetch_agency(expired, "GSO")
        assert server.requests_log == ["GET /v1/deliveries -> 401"]


def test_rows_disagreeing_with_the_manifest_reject_the_delivery_with_the_reason(served, db):
    folder = gso_delivery(served)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["rows"] = 4
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with start(served) as server:
        (result,) = platform.fetch_agency(config(server), "GSO")
    assert result.outcome == loader.REJECTED
    assert result.reason == "vital_rates.csv (gso_vital_rates): the platform's manifest says 4 rows, its pages gave 3"
    assert db.execute("select delivery_id, agency, reason from quarantine.rejected_deliveries").fetchall() == [
        ("GSO-2025-0001", "GSO", result.reason)
    ]
    assert db.execute("select count(*) from raw.deliveries").fetchone()[0] == 0
    assert not (platform.spool_root() / "GSO-2025-0001").exists()


def test_a_row_of_the_wrong_width_is_quarantined_as_from_a_file(served, db, tmp_path):
    folder = gso_delivery(served)
    csv_path = folder / "vital_rates.csv"
    csv_path.write_bytes(csv_path.read_bytes() + b"2025,01,2025,15.0,6.0,surplus\r\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["rows"] = 4
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with start(served) as server:
        (result,) = platform.fetch_agency(config(server), "GSO")
    assert (result.outcome, result.rows_loaded, result.rows_quarantined) == (loader.LOADED, 2, 2)
    assert db.execute("select source_row, rule, reason from quarantine.rows order by source_row").fetchall()[1] == (
        4,
        "wrong_field_count",
        "vital_rates.csv row 4: 6 fields, the header has 5",
    )


def test_a_crash_mid_delivery_resumes_keeping_the_complete_files(served, db, tmp_path):
    moj = generate_quarter("2025Q3", 0.001, tmp_path / "sample")[0]
    shutil.copytree(moj, served / moj.name)
    datasets = [f["dataset"] for f in json.loads((moj / "manifest.json").read_text())["files"]]
    with start(served, page_size=10_000) as server:  # one page per dataset at this scale
        (listed,) = client_of(server).deliveries("MOJ")
        # the crash: the second dataset's page fails and the client may not retry
        server.faults = FaultPlan.parse(["500@2"])
        with pytest.raises(platform.PlatformUnavailable, match="gave up after 1 tries"):
            platform.spool_delivery(client_of(server, max_tries=1), listed)
        spool = platform.spool_root() / moj.name
        first_file = json.loads((moj / "manifest.json").read_text())["files"][0]["name"]
        assert (spool / first_file).is_file() and not (spool / "manifest.json").exists()
        assert not list(spool.glob("*.part"))
        server.faults = FaultPlan()
        server.requests_log.clear()
        (result,) = platform.fetch_agency(config(server), "MOJ")
        assert result.outcome == loader.LOADED
        assert not any(f"/{datasets[0]}" in line for line in server.requests_log)  # kept, not fetched again
        assert all(any(f"/{d}" in line for line in server.requests_log) for d in datasets[1:])


def test_a_delivery_spooled_completely_before_a_crash_is_loaded_without_fetching_again(served, db):
    gso_delivery(served)
    with start(served) as server:
        (listed,) = client_of(server).deliveries("GSO")
        platform.spool_delivery(client_of(server), listed)
        server.requests_log.clear()
        (result,) = platform.fetch_agency(config(server), "GSO")
        assert result.outcome == loader.LOADED
        assert server.requests_log == ["GET /v1/deliveries -> 200"]


def test_an_api_delivery_loads_exactly_as_the_same_delivery_dropped_as_files(tmp_path, warehouse):
    """The MOJ and MOH sample deliveries of a small quarter, loaded once from the folders and once
    from the platform serving those folders: every raw and quarantine row is the same."""
    import psycopg
    from conftest import recreate_warehouse

    sample = generate_quarter("2025Q3", 0.002, tmp_path / "sample")[:2]
    tables = ["raw.moj_births", "raw.moj_deaths", "raw.moj_marriages", "raw.moh_births", "raw.moh_deaths"]

    def snapshot():
        with psycopg.connect(warehouse) as conn:
            got = {t: conn.execute(f"select * from {t} order by delivery_id, source_row").fetchall() for t in tables}
            got["quarantine.rows"] = conn.execute(
                "select * from quarantine.rows order by delivery_id, dataset, source_row"
            ).fetchall()
            got["raw.delivery_files"] = conn.execute(
                "select delivery_id, dataset, file_name, rows_received, rows_loaded, rows_quarantined "
                "from raw.delivery_files order by 1, 2"
            ).fetchall()
            got["channels"] = conn.execute("select channel from raw.deliveries").fetchall()
            return got

    for folder in sample:
        assert loader.ingest_path(folder).outcome == loader.LOADED
    as_files = snapshot()
    recreate_warehouse()
    for folder in sample:
        shutil.copytree(folder, tmp_path / "served" / folder.name)
    with start(tmp_path / "served", page_size=500) as server:
        fetched = [r for agency in ("MOJ", "MOH") for r in platform.fetch_agency(config(server), agency)]
    as_api = snapshot()

    assert [r.outcome for r in fetched] == [loader.LOADED, loader.LOADED]
    assert as_files.pop("channels") == [("FILE",), ("FILE",)] and as_api.pop("channels") == [("API",), ("API",)]
    assert sum(len(as_files[t]) for t in tables) > 500  # several pages per dataset
    assert as_api == as_files


def test_progress_is_reported_as_rows_arrive(served, db, monkeypatch):
    gso_delivery(served)
    monkeypatch.setattr(platform, "PROGRESS_EVERY_ROWS", 2)
    told = []
    with start(served) as server:
        platform.fetch_agency(config(server), "GSO", progress=told.append)
    assert told == [
        "GSO: the platform lists 1 delivery(ies) after the start",
        "GSO-2025-0001 vital_rates.csv: 2 of 3 rows received",
        "GSO-2025-0001 vital_rates.csv: 3 rows received",
    ]


@pytest.mark.parametrize(
    "host, port, schema, url",
    [
        ("platform.example.gov.vn", None, None, "https://platform.example.gov.vn"),
        ("127.0.0.1", 8765, "http", "http://127.0.0.1:8765"),
        ("https://platform.example.gov.vn/", 443, None, "https://platform.example.gov.vn:443"),
    ],
)
def test_the_airflow_connection_gives_the_address_and_token(host, port, schema, url):
    from types import SimpleNamespace

    conn = SimpleNamespace(host=host, port=port, schema=schema, password="s3cret")
    made = platform.PlatformConfig.from_connection(conn)
    assert made.url == url and made.token == "s3cret"
    assert "s3cret" not in repr(made)


def test_a_connection_without_host_or_token_is_refused_with_its_name():
    from types import SimpleNamespace

    from crvs.settings import SettingsError

    with pytest.raises(SettingsError, match="crvs_platform has no host"):
        platform.PlatformConfig.from_connection(SimpleNamespace(host="", port=None, schema=None, password="x"))
    with pytest.raises(SettingsError, match=r"no platform token \(Airflow connection crvs_platform\)"):
        platform.PlatformConfig.from_connection(SimpleNamespace(host="h", port=None, schema=None, password=None))


def test_a_platform_delivery_published_again_with_a_changed_value_is_rejected_with_both_sha256s(served, db):
    import hashlib

    shutil.rmtree(platform.spool_root(), ignore_errors=True)  # the session's spool: earlier tests archived there
    folder = gso_delivery(served)
    with start(served) as server:
        (loaded,) = platform.fetch_agency(config(server), "GSO")
        assert loaded.outcome == loader.LOADED
        gso_delivery(served, rows=[RATES[0], dict(RATES[1], crude_death_rate="5.5"), RATES[2]])  # same counts
        (listed,) = client_of(server).deliveries("GSO")

        result = platform.fetch_delivery(client_of(server), listed)

    assert result.outcome == loader.REJECTED
    spool = platform.spool_root()
    before = hashlib.sha256((spool / "processed" / "GSO-2025-0001" / "vital_rates.csv").read_bytes()).hexdigest()
    after = hashlib.sha256((spool / "rejected" / "GSO-2025-0001" / "vital_rates.csv").read_bytes()).hexdigest()
    assert before != after
    assert f"vital_rates.csv (gso_vital_rates): sha256 loaded {before}, received {after}" in result.reason
    assert "send the changed data as a new delivery_id" in result.reason
    assert db.execute("select crude_death_rate::text from raw.gso_vital_rates order by source_row").fetchall() == [
        ("6.1",),
        ("5.4",),
    ]
    assert db.execute("select agency, delivery_id, reason from quarantine.rejected_deliveries").fetchall() == [
        ("GSO", "GSO-2025-0001", result.reason)
    ]
    assert folder.exists()


def test_a_platform_delivery_loaded_from_files_is_not_fetched_again_unless_its_manifest_changed(served, db, tmp_path):
    assert loader.ingest_path(gso_delivery(tmp_path / "inbox")).outcome == loader.LOADED
    gso_delivery(served)
    with start(served) as server:
        assert platform.fetch_agency(config(server), "GSO") == []
        assert server.requests_log == ["GET /v1/deliveries -> 200"]  # no rows fetched
        gso_delivery(served, rows=RATES[:2])  # the platform's copy has a row less

        (result,) = platform.fetch_agency(config(server), "GSO")

    assert result.outcome == loader.REJECTED
    assert "vital_rates.csv (gso_vital_rates): rows loaded 3, received 2" in result.reason
    assert "sha256" not in result.reason  # the agency's file and the platform's rows are different bytes
    assert db.execute("select count(*) from raw.gso_vital_rates").fetchone()[0] == 2


def test_a_platform_delivery_whose_id_another_agency_used_is_spooled_and_loaded_apart(served, db, tmp_path):
    assert (
        loader.ingest_path(
            write_delivery(
                tmp_path / "moh",
                {
                    "delivery_id": "2025-0001",
                    "agency": "MOH",
                    "extracted_at": "2025-03-01T08:00:00+07:00",
                    "period_start": "2025-01-01",
                    "period_end": "2025-03-31",
                },
                {"births.csv": ("moh_births", [])},
            )
        ).outcome
        == loader.LOADED
    )
    gso_delivery(served, delivery_id="2025-0001")
    shutil.rmtree(platform.spool_root(), ignore_errors=True)
    with start(served) as server:
        (result,) = platform.fetch_agency(config(server), "GSO")
    assert (result.outcome, result.rows_loaded) == (loader.LOADED, 2), result.reason
    assert (platform.spool_root() / "processed" / "GSO-2025-0001" / "vital_rates.csv").is_file()
    assert db.execute("select agency, delivery_id, channel from raw.deliveries order by 1").fetchall() == [
        ("GSO", "2025-0001", "API"),
        ("MOH", "2025-0001", "FILE"),
    ]


def test_a_delivery_refused_several_times_holds_back_the_later_ones_until_it_loads(served, db):
    """crvs fetch, as the DAG: 0002 is refused by the platform 3 times (retrying in the client cannot
    help: 403); each run stops there, 0003 is held back, nothing is skipped; then both load in order."""
    for n, month in ((1, "03"), (2, "04"), (3, "05")):
        gso_delivery(served, delivery_id=f"GSO-2025-000{n}", extracted_at=f"2025-{month}-01T08:00:00+07:00")
    with start(served, faults=FaultPlan.parse(["403/GSO-2025-0002*3"])) as server:
        runs = [platform.fetch_agency(config(server), "GSO") for _ in range(4)]
        refused = [line for line in server.requests_log if line.endswith("-> 403")]
    outcomes = [[(r.delivery_id, r.outcome) for r in run] for run in runs]
    assert outcomes[0] == [
        ("GSO-2025-0001", loader.LOADED),
        ("GSO-2025-0002", platform.FAILED),
        ("GSO-2025-0003", platform.HELD_BACK),
    ]
    assert outcomes[1] == outcomes[2] == [("GSO-2025-0002", platform.FAILED), ("GSO-2025-0003", platform.HELD_BACK)]
    assert outcomes[3] == [("GSO-2025-0002", loader.LOADED), ("GSO-2025-0003", loader.LOADED)]
    assert runs[0][2].reason == (
        "waits for GSO-2025-0002, which could not be fetched or loaded; the next run tries both again"
    )
    assert "HTTP 403" in runs[0][1].reason
    assert refused == ["GET /v1/deliveries/GSO-2025-0002/gso_vital_rates -> 403"] * 3
    assert [r[0] for r in db.execute("select delivery_id from raw.deliveries order by loaded_at")] == [
        "GSO-2025-0001",
        "GSO-2025-0002",
        "GSO-2025-0003",
    ]


def test_a_delivery_fault_names_its_delivery_and_count():
    plan = FaultPlan.parse(["503/MOJ-2"])
    assert [plan.next_fault(d) for d in ("MOJ-1", "MOJ-2", None, "MOJ-2")] == [None, "503", None, "503"]
    once = FaultPlan.parse(["403/MOJ-2*1"])
    assert [once.next_fault("MOJ-2"), once.next_fault("MOJ-2")] == ["403", None]
    with pytest.raises(FaultSpecError, match="KIND/DELIVERY_ID"):
        FaultPlan.parse(["teapot/MOJ-2"])
