"""The loader against the real embedded PostgreSQL: contract violations, manifests, duplicates,
versions, and that nothing personal is ever stored."""

from __future__ import annotations

import csv
import hashlib
import json

import psycopg
import pytest

from crvs.devtools.sample import write_delivery
from crvs.feeds import loader
from crvs.feeds.contract import DATASETS

MOTHER_ID = "001190012345"
CHILD_ID = "001225012345"
MOTHER_NAME = "Trần Thị Bích"
CHILD_NAME = "Nguyễn Văn An"


def birth(**changes) -> dict:
    row = dict(
        record_id="B-1",
        record_version="1",
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date="2025-08-01",
        reg_province_code="01",
        reg_commune_code="00004",
        admin_code_version="2025",
        child_id=CHILD_ID,
        child_name=CHILD_NAME,
        sex="M",
        birth_date="2025-07-15",
        place_of_birth="FACILITY",
        birth_province_code="01",
        mother_id=MOTHER_ID,
        mother_name=MOTHER_NAME,
        mother_birth_date="1990-01-01",
        mother_residence_province_code="01",
        foreign_element="0",
    )
    row.update(changes)
    return row


def manifest(delivery_id="MOJ-2025Q3-0001", agency="MOJ", **changes) -> dict:
    fields = dict(
        delivery_id=delivery_id,
        agency=agency,
        channel="FILE",
        schema_version="1.0",
        extracted_at="2025-10-05T08:00:00+07:00",
        period_start="2025-07-01",
        period_end="2025-09-30",
    )
    fields.update(changes)
    return fields


def births_delivery(tmp_path, rows, delivery_id="MOJ-2025Q3-0001", **changes):
    return write_delivery(
        tmp_path / delivery_id, manifest(delivery_id, **changes), {"births.csv": ("moj_births", rows)}
    )


def edit_manifest(folder, change):
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def fetch(db, sql, *params):
    return db.execute(sql, params).fetchall()


# Each bad row: (changes to a valid birth, column reported, rule).
BAD_ROWS = [
    (dict(sex="X"), "sex", "not_in_code_list"),
    (dict(reg_kind="LATE"), "reg_kind", "not_in_code_list"),
    (dict(record_version="0"), "record_version", "out_of_range"),
    (dict(record_version="one"), "record_version", "not_integer"),
    (dict(registration_date=""), "registration_date", "required"),
    (dict(birth_date="2025-02-30"), "birth_date", "not_a_date"),
    (dict(birth_date="15/07/2025"), "birth_date", "not_a_date"),
    (dict(birth_date="2025-08-02"), "birth_date", "event_after_registration"),
    (
        dict(registration_date="2025-10-06", birth_date="2025-10-01"),
        "registration_date",
        "registration_after_extraction",
    ),
    (dict(reg_province_code="02"), "reg_province_code", "unknown_code"),  # 02 exists only before 2025
    (
        dict(admin_code_version="PRE2025", reg_province_code="02", reg_commune_code="00004"),
        "reg_commune_code",
        "commune_outside_province",
    ),
    (dict(reg_commune_code="99999"), "reg_commune_code", "unknown_code"),
    (dict(admin_code_version="2026"), "admin_code_version", "not_in_code_list"),
    (dict(child_id="12345"), "child_id", "malformed_identifier"),
    (dict(foreign_element="yes"), "foreign_element", "not_boolean"),
    (dict(place_of_birth="ABROAD"), "birth_province_code", "abroad_without_province"),
]


def test_each_contract_violation_is_quarantined_with_its_reason_and_nothing_is_lost(warehouse, db, tmp_path):
    good = [
        birth(record_id="OK-1"),
        birth(
            record_id="OK-2",
            admin_code_version="PRE2025",
            reg_province_code="24",
            reg_commune_code="",
            mother_residence_province_code="27",
            birth_province_code="27",
        ),
    ]
    bad = [birth(record_id=f"BAD-{i}", **changes) for i, (changes, _, _) in enumerate(BAD_ROWS)]
    duplicate = birth(record_id="OK-1")  # same (record_id, record_version) as the first row
    folder = births_delivery(tmp_path, good + bad + [duplicate])

    result = loader.ingest_path(folder)

    assert result.outcome == loader.LOADED, result.reason
    received = len(good) + len(bad) + 1
    assert (result.rows_received, result.rows_loaded, result.rows_quarantined) == (received, 2, len(bad) + 1)
    assert [r[0] for r in fetch(db, "select record_id from raw.moj_births order by record_id")] == ["OK-1", "OK-2"]
    quarantined = fetch(db, "select source_row, column_name, rule, reason from quarantine.rows order by source_row")
    expected = [(len(good) + i + 1, column, rule) for i, (_, column, rule) in enumerate(BAD_ROWS)]
    expected.append((received, "record_id", "duplicate_key"))
    assert [(row, column, rule) for row, column, rule, _ in quarantined] == expected
    for row, column, _, reason in quarantined:  # the message names file, row and column
        assert reason.startswith(f"births.csv row {row}, column {column}: ")
    loaded, quarantined_count = fetch(db, "select rows_loaded, rows_quarantined from raw.delivery_files")[0]
    assert loaded + quarantined_count == received


def test_a_row_with_the_wrong_number_of_fields_is_quarantined(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()])
    with open(folder / "births.csv", "a", encoding="utf-8") as f:
        f.write("B-9,1,ACTIVE\n")
    edit_manifest(folder, lambda m: m["files"][0].update(rows=2, sha256=loader.file_sha256(folder / "births.csv")))

    result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_loaded, result.rows_quarantined) == (loader.LOADED, 1, 1)
    assert fetch(db, "select source_row, rule, reason from quarantine.rows") == [
        (2, "wrong_field_count", f"births.csv row 2: 3 fields, the header has {len(DATASETS['moj_births'].columns)}")
    ]


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda m: m["files"][0].update(rows=5), "births.csv: the manifest says 5 rows, the file has 2"),
        (lambda m: m["files"][0].update(sha256="0" * 64), "births.csv: sha256 "),
        (lambda m: m.update(schema_version="2.0"), "schema_version is not supported (supported: 1.0)"),
        (lambda m: m.update(agency="MOH"), "dataset moj_births is not delivered by MOH"),
        (lambda m: m["files"][0].update(dataset="moj_divorces"), "births.csv: dataset is not in the contract"),
        (lambda m: m.update(extracted_at="2025-10-05 08:00"), "extracted_at has no UTC offset"),
        (
            lambda m: m["files"].append({"name": "deaths.csv", "dataset": "moj_deaths", "rows": 1, "sha256": "a" * 64}),
            "deaths.csv: named in the manifest but not in the folder",
        ),
    ],
)
def test_a_delivery_whose_manifest_disagrees_is_rejected_whole_with_the_reason(warehouse, db, tmp_path, change, reason):
    folder = births_delivery(tmp_path, [birth(), birth(record_id="B-2")])
    edit_manifest(folder, change)

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert reason in result.reason
    assert fetch(db, "select count(*) from raw.moj_births") == [(0,)]
    assert fetch(db, "select count(*) from raw.deliveries") == [(0,)]
    assert fetch(db, "select delivery_id, reason from quarantine.rejected_deliveries") == [
        ("MOJ-2025Q3-0001", result.reason)
    ]


def test_a_header_that_breaks_the_contract_rejects_the_delivery_naming_the_columns(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()])
    text = (folder / "births.csv").read_text(encoding="utf-8").replace("mother_name", "mothers_name", 1)
    (folder / "births.csv").write_text(text, encoding="utf-8")
    edit_manifest(folder, lambda m: m["files"][0].update(sha256=loader.file_sha256(folder / "births.csv")))

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert result.reason == (
        "births.csv: header does not match moj_births (missing mother_name; "
        "column 16 is not a moj_births column (name not shown))"
    )


def test_columns_in_any_order_with_a_bom_and_quoted_fields_load(warehouse, db, tmp_path):
    folder = tmp_path / "MOJ-2025Q3-0002"
    folder.mkdir()
    columns = list(reversed(DATASETS["moj_births"].column_names))
    with open(folder / "births.csv", "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        row = birth(child_name='Lê "Bé", Tí\nNhỏ')
        writer.writerow([row[c] for c in columns])
    write_manifest = {
        **manifest("MOJ-2025Q3-0002"),
        "files": [
            {
                "name": "births.csv",
                "dataset": "moj_births",
                "rows": 1,
                "sha256": loader.file_sha256(folder / "births.csv"),
            }
        ],
    }
    (folder / "manifest.json").write_text(json.dumps(write_manifest))

    result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_loaded) == (loader.LOADED, 1), result.reason
    assert fetch(db, "select record_id, sex, birth_date::text, foreign_element from raw.moj_births") == [
        ("B-1", "M", "2025-07-15", False)
    ]


def test_the_same_delivery_twice_changes_nothing(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth(), birth(record_id="B-2", sex="X")])
    first = loader.ingest_path(folder)
    snapshot = [
        fetch(db, f"select * from {t} order by 1, 2")
        for t in ("raw.moj_births", "quarantine.rows", "raw.deliveries", "raw.delivery_files")
    ]

    second = loader.ingest_path(folder)

    assert (first.outcome, second.outcome) == (loader.LOADED, loader.ALREADY_LOADED)
    assert second.line() == "already loaded  MOJ-2025Q3-0001"
    assert [
        fetch(db, f"select * from {t} order by 1, 2")
        for t in ("raw.moj_births", "quarantine.rows", "raw.deliveries", "raw.delivery_files")
    ] == snapshot


WAREHOUSE_TABLES = ("raw.moj_births", "quarantine.rows", "raw.deliveries", "raw.delivery_files")


def snapshot(db):
    return [fetch(db, f"select * from {t} order by 1, 2") for t in WAREHOUSE_TABLES]


def test_a_resend_with_a_changed_value_is_rejected_with_both_sha256s_and_recorded(warehouse, db, tmp_path):
    first = births_delivery(tmp_path / "first", [birth(), birth(record_id="B-2")])
    assert loader.ingest_path(first).outcome == loader.LOADED
    before = snapshot(db)
    loaded_sha = hashlib.sha256((first / "births.csv").read_bytes()).hexdigest()
    resend = births_delivery(tmp_path / "resend", [birth(), birth(record_id="B-2", sex="F")])  # one value changed
    received_sha = hashlib.sha256((resend / "births.csv").read_bytes()).hexdigest()
    assert loaded_sha != received_sha

    result = loader.ingest_path(resend)

    assert result.outcome == loader.REJECTED
    assert result.reason == (
        "MOJ delivery MOJ-2025Q3-0001 is already loaded and this one differs from it (births.csv (moj_births): "
        f"sha256 loaded {loaded_sha}, received {received_sha}); nothing was changed. A delivery_id names one "
        "delivery: send the changed data as a new delivery_id, with higher record_version for corrections"
    )
    assert snapshot(db) == before
    assert fetch(db, "select agency, delivery_id, reason from quarantine.rejected_deliveries") == [
        ("MOJ", "MOJ-2025Q3-0001", result.reason)
    ]


def test_a_resend_with_a_changed_manifest_is_rejected_naming_the_field_and_the_figures(warehouse, db, tmp_path):
    assert loader.ingest_path(births_delivery(tmp_path / "first", [birth()])).outcome == loader.LOADED
    before = snapshot(db)
    resend = births_delivery(
        tmp_path / "resend", [birth(), birth(record_id="B-2")], extracted_at="2025-10-06T08:00:00+07:00"
    )

    result = loader.ingest_path(resend)

    assert result.outcome == loader.REJECTED
    assert (
        "extracted_at loaded 2025-10-05T08:00:00+07:00, received 2025-10-06T08:00:00+07:00; "
        "births.csv (moj_births): rows loaded 1, received 2; births.csv (moj_births): sha256 loaded"
    ) in result.reason
    assert snapshot(db) == before


def test_the_same_delivery_again_with_another_utc_offset_is_the_same_delivery(warehouse, db, tmp_path):
    assert loader.ingest_path(births_delivery(tmp_path / "first", [birth()])).outcome == loader.LOADED
    again = births_delivery(tmp_path / "again", [birth()], extracted_at="2025-10-05T01:00:00+00:00")

    assert loader.ingest_path(again).outcome == loader.ALREADY_LOADED


def gso_rates(folder, delivery_id, rate="14.2"):
    return write_delivery(
        folder,
        manifest(delivery_id, agency="GSO", period_start="2025-01-01", period_end="2025-12-31"),
        {
            "vital_rates.csv": (
                "gso_vital_rates",
                [
                    dict(
                        year="2025",
                        province_code="01",
                        admin_code_version="2025",
                        crude_birth_rate=rate,
                        crude_death_rate="6.1",
                    )
                ],
            )
        },
    )


def moh_births(folder, delivery_id):
    return write_delivery(
        folder,
        manifest(delivery_id, agency="MOH"),
        {
            "births.csv": (
                "moh_births",
                [
                    dict(
                        notification_id="N-1",
                        facility_code="F1",
                        facility_province_code="01",
                        admin_code_version="2025",
                        birth_date="2025-07-15",
                        sex="M",
                        outcome="LIVE",
                        mother_id=MOTHER_ID,
                        mother_residence_province_code="01",
                    )
                ],
            )
        },
    )


def test_a_moh_delivery_whose_id_a_gso_delivery_used_loads(warehouse, db, tmp_path):
    assert loader.ingest_path(gso_rates(tmp_path / "gso", "2025-0001")).outcome == loader.LOADED

    result = loader.ingest_path(moh_births(tmp_path / "moh", "2025-0001"))

    assert (result.outcome, result.rows_loaded) == (loader.LOADED, 1), result.reason
    assert fetch(db, "select agency, delivery_id from raw.deliveries order by 1") == [
        ("GSO", "2025-0001"),
        ("MOH", "2025-0001"),
    ]
    assert fetch(db, "select agency, delivery_id, dataset from raw.delivery_files order by 1") == [
        ("GSO", "2025-0001", "gso_vital_rates"),
        ("MOH", "2025-0001", "moh_births"),
    ]
    # and each agency's resend is judged against its own delivery
    assert loader.ingest_path(moh_births(tmp_path / "moh-again", "2025-0001")).outcome == loader.ALREADY_LOADED
    assert loader.ingest_path(gso_rates(tmp_path / "gso-changed", "2025-0001", "15.0")).outcome == loader.REJECTED


def test_a_warehouse_keyed_by_delivery_id_alone_is_upgraded_on_the_next_load(warehouse, db, tmp_path):
    """raw.deliveries used to have delivery_id as its key, and raw.delivery_files and
    quarantine.rows no agency: the loader adds it (from the dataset's agency) and re-keys them."""
    from crvs.feeds.tables import ensure_tables

    with psycopg.connect(warehouse) as conn:
        ensure_tables(conn)
    assert (
        loader.ingest_path(births_delivery(tmp_path / "first", [birth(), birth(record_id="B-2", sex="X")])).outcome
        == loader.LOADED
    )
    for statement in (
        "alter table raw.delivery_files drop constraint delivery_files_agency_delivery_id_fkey",
        "alter table raw.delivery_files drop constraint delivery_files_pkey",
        "alter table raw.delivery_files drop column agency",
        "alter table raw.delivery_files add primary key (delivery_id, dataset)",
        "alter table quarantine.rows drop column agency",
        "alter table quarantine.rows add primary key (delivery_id, dataset, source_row)",
        "alter table raw.deliveries drop constraint deliveries_pkey",
        "alter table raw.deliveries add primary key (delivery_id)",
        "alter table raw.delivery_files add foreign key (delivery_id) references raw.deliveries",
    ):
        db.execute(statement)

    result = loader.ingest_path(gso_rates(tmp_path / "gso", "MOJ-2025Q3-0001"))  # the same id, another agency

    assert result.outcome == loader.LOADED, result.reason
    assert fetch(db, "select agency, delivery_id, dataset from raw.delivery_files order by 1") == [
        ("GSO", "MOJ-2025Q3-0001", "gso_vital_rates"),
        ("MOJ", "MOJ-2025Q3-0001", "moj_births"),
    ]
    assert fetch(db, "select agency, source_row from quarantine.rows") == [("MOJ", 2)]
    keys = dict(
        fetch(
            db,
            "select conrelid::regclass::text, pg_get_constraintdef(oid) from pg_constraint"
            " where contype = 'p' and connamespace in ('raw'::regnamespace, 'quarantine'::regnamespace)"
            " and conrelid::regclass::text in ('raw.deliveries', 'raw.delivery_files', 'quarantine.rows')",
        )
    )
    assert keys == {
        "raw.deliveries": "PRIMARY KEY (agency, delivery_id)",
        "raw.delivery_files": "PRIMARY KEY (agency, delivery_id, dataset)",
        "quarantine.rows": "PRIMARY KEY (agency, delivery_id, dataset, source_row)",
    }


def test_a_rejected_delivery_can_be_sent_again_corrected(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()])
    edit_manifest(folder, lambda m: m["files"][0].update(rows=7))
    assert loader.ingest_path(folder).outcome == loader.REJECTED
    edit_manifest(folder, lambda m: m["files"][0].update(rows=1))

    assert loader.ingest_path(folder).outcome == loader.LOADED
    assert fetch(db, "select count(*) from raw.moj_births") == [(1,)]


def test_corrections_and_cancellations_are_kept_as_versions(warehouse, db, tmp_path):
    """The loader keeps every version; the current-record rule lives in dbt (tested end to end)."""
    loader.ingest_path(births_delivery(tmp_path, [birth(), birth(record_id="B-2")]))
    later = births_delivery(
        tmp_path,
        [birth(record_version="2", sex="F"), birth(record_id="B-2", record_version="2", record_status="CANCELLED")],
        delivery_id="MOJ-2025Q3-0002",
        extracted_at="2025-10-20T08:00:00+07:00",
    )
    assert loader.ingest_path(later).outcome == loader.LOADED

    assert fetch(
        db,
        "select delivery_id, record_id, record_version, record_status, sex from raw.moj_births"
        " order by record_id, record_version",
    ) == [
        ("MOJ-2025Q3-0001", "B-1", 1, "ACTIVE", "M"),
        ("MOJ-2025Q3-0002", "B-1", 2, "ACTIVE", "F"),
        ("MOJ-2025Q3-0001", "B-2", 1, "ACTIVE", "M"),
        ("MOJ-2025Q3-0002", "B-2", 2, "CANCELLED", "M"),
    ]


def test_no_personal_identifier_or_name_is_stored_anywhere(warehouse, db, tmp_path):
    rows = [birth(), birth(record_id="B-2", sex="X"), birth(record_id="B-3", mother_id="123")]
    loader.ingest_path(births_delivery(tmp_path, rows))
    bad = births_delivery(tmp_path, [birth(record_id="B-4")], delivery_id="MOJ-2025Q3-0009")
    edit_manifest(bad, lambda m: m["files"][0].update(rows=3))
    loader.ingest_path(bad)

    # Every text-like value of every table in the database, as one dump.
    tables = fetch(
        db,
        "select table_schema, table_name from information_schema.tables"
        " where table_schema not in ('pg_catalog', 'information_schema')",
    )
    dump = "\n".join(str(row) for schema, table in tables for row in fetch(db, f'select * from "{schema}"."{table}"'))
    assert "B-2" in dump and "MOJ-2025Q3-0009" in dump  # it holds the quarantined row and the rejected delivery
    for secret in (MOTHER_ID, CHILD_ID, "123", MOTHER_NAME, CHILD_NAME, "Trần", "Nguyễn"):
        assert f"'{secret}'" not in dump and f'"{secret}"' not in dump, secret
    assert MOTHER_ID not in dump and CHILD_ID not in dump
    pids = fetch(db, "select child_pid, mother_pid from raw.moj_births where record_id = 'B-1'")[0]
    assert all(isinstance(p, bytes) and len(p) == 32 for p in pids)  # the HMAC-SHA256's 32 bytes


def test_an_email_delivery_loads_like_a_file_delivery_and_keeps_its_channel(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()], channel="EMAIL")

    result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_loaded) == (loader.LOADED, 1)
    assert fetch(db, "select channel from raw.deliveries") == [("EMAIL",)]


def test_an_api_manifest_in_a_folder_is_refused(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()], channel="API")

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert "channel API deliveries come from the sharing platform" in result.reason


def test_a_warehouse_made_before_bytea_pseudonyms_is_upgraded_on_the_next_load(warehouse, db, tmp_path):
    """raw.* used to keep pseudonyms as 64 hex characters and a primary key; the loader converts
    such a table once (hex to its 32 bytes, key dropped) and loads on."""
    from crvs import database
    from crvs.feeds.tables import raw_table_ddl

    old = raw_table_ddl(DATASETS["moj_births"]).split(";")[0].replace("bytea", "char(64)")
    old = old.replace(
        "source_row integer not null,", "source_row integer not null, primary key (delivery_id, source_row),"
    )
    db.execute("drop table raw.moj_births")
    db.execute(old)  # as the superuser, who owned everything then
    pseudonym = "ab" * 32
    db.execute(
        "insert into raw.moj_births (delivery_id, source_row, record_id, record_version, child_pid)"
        " values ('MOJ-2025Q2-0001', 1, 'OLD-1', 1, %s)",
        (pseudonym,),
    )
    database.prepare_warehouse()  # as at the next start: the old table becomes the loader's

    result = loader.ingest_path(births_delivery(tmp_path, [birth()]))

    assert result.outcome == loader.LOADED, result.reason
    types = dict(
        fetch(
            db,
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'moj_births' and column_name like '%%pid'",
        )
    )
    assert types == {"child_pid": "bytea", "mother_pid": "bytea"}
    assert (
        fetch(db, "select conname from pg_constraint where conrelid = 'raw.moj_births'::regclass and contype = 'p'")
        == []
    )
    assert fetch(db, "select child_pid from raw.moj_births where record_id = 'OLD-1'") == [(bytes.fromhex(pseudonym),)]
    assert fetch(db, "select count(*) from raw.moj_births") == [(2,)]
