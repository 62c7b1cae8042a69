"""The loader's fast path (crvs/feeds/_fastload.c via crvs.feeds.fastpath) must leave the warehouse
exactly as the general way alone (CRVS_LOADER_FAST_PATH=0) does: every raw.* row and value, every
quarantine entry (row, column, rule, message, record), every count. Each test loads the same
deliveries both ways into an empty warehouse and compares every table, column by column."""

from __future__ import annotations

import dataclasses
import logging
import random
import re
from pathlib import Path

import pytest

from crvs import settings
from crvs.devtools.sample import generate_quarter, write_delivery
from crvs.feeds import fastpath, loader
from crvs.feeds.contract import DATASETS, FORMATS, Formats
from crvs.feeds.pseudonym import Pseudonymiser
from tests.integration.test_ingest import BAD_ROWS, CHILD_ID, MOTHER_ID, birth, edit_manifest, fetch, manifest

TABLES = {
    **{f"raw.{name}": "delivery_id, source_row" for name in DATASETS},
    "quarantine.rows": "agency, delivery_id, dataset, source_row",
    "raw.delivery_files": "agency, delivery_id, dataset",
    "raw.deliveries": "agency, delivery_id",
}


def warehouse_contents(db) -> dict[str, list[tuple]]:
    contents = {}
    for table, order in TABLES.items():
        # loaded_at differs between two loads; everything else must not.
        columns = [
            r[0]
            for r in fetch(
                db,
                "select column_name from information_schema.columns where"
                " table_schema || '.' || table_name = %s and column_name <> 'loaded_at'"
                " order by ordinal_position",
                table,
            )
        ]
        contents[table] = fetch(db, f"select {', '.join(columns)} from {table} order by {order}")
    # (the reasons are compared by the test that rejects: the general way names the line less exactly)
    contents["quarantine.rejected_deliveries"] = fetch(
        db, "select delivery_id from quarantine.rejected_deliveries order by rejection_id"
    )
    return contents


def empty(db) -> None:
    db.execute(
        "truncate "
        + ", ".join(t for t in TABLES if t != "raw.deliveries")
        + ", quarantine.rejected_deliveries; delete from raw.deliveries"
    )


def load_both_ways(db, monkeypatch, caplog, folders: list[Path], said_by_fast_path: list | None = None):
    """Load `folders` by the fast path, then (emptied) the general way. Returns both warehouses'
    contents, the results and how many rows the fast path handed back to the general way; the
    loader's log lines of the fast run are added to `said_by_fast_path` when given."""
    assert fastpath.built(), "the C fast path was not built: `make setup` needs gcc and OpenSSL's headers"
    contents, results = {}, {}
    handed_back = 0
    for mode in ("1", "0"):
        monkeypatch.setenv("CRVS_LOADER_FAST_PATH", mode)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="crvs.feeds.loader"):
            results[mode] = [loader.ingest_path(f) for f in folders]
        said = [m for m in caplog.messages if "fast path:" in m]
        if mode == "1" and said_by_fast_path is not None:
            said_by_fast_path.extend(caplog.messages)
        if mode == "1":
            handed_back = sum(int(re.search(r"; ([\d,]+) rows handed back", m)[1].replace(",", "")) for m in said)
            fast_files = len(said)
        else:
            assert not said  # the general way only
        contents[mode] = warehouse_contents(db)
        empty(db)
    return contents["1"], contents["0"], results, handed_back, fast_files


def assert_same(fast: dict, general: dict) -> None:
    for table in general:
        assert len(fast[table]) == len(general[table]), table
        for f, g in zip(fast[table], general[table]):
            assert f == g, f"{table}: fast path {f} != general way {g}"


def line_based(folder: Path, name: str, change) -> None:
    """Rewrite a delivery file line by line (`change(lines) -> lines`, header kept) and refresh the
    manifest's sha256 and row count (non-blank lines)."""
    path = folder / name
    lines = path.read_bytes().split(b"\n")
    header, body = lines[0], [line.rstrip(b"\r") for line in lines[1:] if line.rstrip(b"\r")]
    body = change(body)
    path.write_bytes(b"\n".join([header, *body]) + b"\n")
    rows = sum(1 for line in body if line.strip(b"\r"))
    edit_manifest(
        folder,
        lambda m: next(f for f in m["files"] if f["name"] == name).update(rows=rows, sha256=loader.file_sha256(path)),
    )


# Rows the general way loads but the fast path hands back (it is stricter, never looser), and
# duplicates between rows of both ways.
EDGE_BIRTHS = (
    [
        birth(record_id="E-1"),
        birth(record_id="E-2", child_id="", mother_id="", reg_commune_code="", mother_birth_date=""),
        birth(record_id="E-3", record_version="01"),  # SQL reads 1: loaded
        birth(record_id="E-4", record_version="+2"),  # SQL reads 2: loaded
        birth(record_id="E-5", mother_id=f" {MOTHER_ID}\t"),  # trimmed: the same person
        birth(record_id="E-6", place_of_birth="ABROAD", birth_province_code=""),
        birth(record_id="E-7", mother_birth_date="2000-02-29", birth_date="2024-02-29"),
        birth(record_id="E-8", mother_birth_date="1900-02-29"),  # not a calendar date
        birth(record_id="E-9", mother_birth_date="1800-01-01"),
        birth(
            record_id="E-10",
            child_name="Ê Văn Đặc Biệt",
            admin_code_version="PRE2025",
            reg_province_code="24",
            reg_commune_code="",
            mother_residence_province_code="27",
            birth_province_code="27",
        ),
        birth(record_id="E-11", registration_date="2025-10-05", birth_date="2025-10-05"),  # = extraction day
        birth(record_id="E-12", sex="m"),
        birth(record_id="E-13", foreign_element="1"),
        birth(record_id="E-14", reg_commune_code="0004"),
        birth(record_id="E-15", child_id="00122501234٥"),  # a non-ASCII digit
        # duplicates: fast then fast; slow (loaded) then fast; rule-broken then fast (a duplicate:
        # the earlier row had no format problem); format-broken then fast (not a duplicate); fast then
        # slow with a rule broken (its rule, not the duplicate, is reported); fast then slow duplicate.
        birth(record_id="E-1"),
        birth(record_id="E-3"),
        birth(record_id="D-1", birth_date="2025-08-02"),
        birth(record_id="D-1"),
        birth(record_id="D-2", sex="X"),
        birth(record_id="D-2"),
        birth(record_id="D-3"),
        birth(record_id="D-3", birth_date="2025-08-02"),
        birth(record_id="D-4"),
        birth(record_id="D-4", record_version="001"),
    ]
    + [birth(record_id=f"BAD-{i}", **changes) for i, (changes, _, _) in enumerate(BAD_ROWS)]
    + [
        birth(record_id="E-16", mother_birth_date="2025-07-15"),  # not strictly before the child
        birth(record_id="E-17", birth_date="2025-08-01"),  # on the registration day: fine
    ]
)


def test_edge_rows_and_duplicates_end_as_the_general_way_leaves_them(warehouse, db, tmp_path, monkeypatch, caplog):
    folder = write_delivery(tmp_path / "MOJ-2025Q3-0001", manifest(), {"births.csv": ("moj_births", EDGE_BIRTHS)})
    # Windows line ends on some lines, a row of another width, blank lines between rows.
    line_based(
        folder,
        "births.csv",
        lambda body: [
            *(line + b"\r" if i % 3 == 0 else line for i, line in enumerate(body)),
            b"B-9,1,ACTIVE",
            b"",
            b"\r",
            body[0] + b",extra",
        ],
    )

    fast, general, results, handed_back, fast_files = load_both_ways(db, monkeypatch, caplog, [folder])

    assert_same(fast, general)
    assert fast_files == 1
    received = len(EDGE_BIRTHS) + 2
    assert [(r.outcome, r.rows_received) for r in results["1"]] == [(loader.LOADED, received)]
    loaded = {row[2] for row in fast["raw.moj_births"]}
    # Worked out by hand from the list above.
    assert loaded == {
        "E-1",
        "E-2",
        "E-3",
        "E-4",
        "E-5",
        "E-6",
        "E-7",
        "E-9",
        "E-10",
        "E-11",
        "E-13",
        "D-2",
        "D-3",
        "D-4",
        "E-17",
    }
    rules = {(r[3], r[5]) for r in fast["quarantine.rows"] if r[2] == "births.csv"}
    by_row = {r[3]: r[5] for r in fast["quarantine.rows"]}
    assert by_row[16] == "duplicate_key" and by_row[17] == "duplicate_key"  # E-1 again, E-3 as "1" after "01"
    assert by_row[18] == "event_after_registration" and by_row[19] == "duplicate_key"
    assert by_row[20] == "not_in_code_list" and 21 not in by_row
    assert by_row[23] == "event_after_registration" and by_row[25] == "duplicate_key"
    assert by_row[8] == "not_a_date" and by_row[12] == "not_in_code_list" and by_row[15] == "malformed_identifier"
    assert by_row[received - 1] == by_row[received] == "wrong_field_count"
    assert by_row[received - 3] == "mother_born_before_child" and received - 2 not in by_row
    assert len(rules) == received - len(loaded)
    # The fast path took the good rows and the repeats of good rows (rows 16, 17, 19: moved to
    # quarantine afterwards) and E-17, 15 in all; E-3 (01), E-4 (+2) and E-5 (spaces) went the general way
    # and loaded there, with every broken row.
    assert handed_back == received - 15
    pseudonymise = Pseudonymiser(settings.pseudonym_key())
    columns = [
        c
        for c in fetch(
            db,
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = 'moj_births' order by ordinal_position",
        )
    ]
    names = [c[0] for c in columns]
    for row in fast["raw.moj_births"]:
        values = dict(zip(names, row))
        if values["record_id"] in ("E-1", "E-5"):
            assert values["mother_pid"] == bytes.fromhex(pseudonymise(MOTHER_ID))
        if values["record_id"] == "E-1":
            assert values["child_pid"] == bytes.fromhex(pseudonymise(CHILD_ID))


def moh_birth(**changes) -> dict:
    row = dict(
        notification_id="N-1",
        facility_code="F010031",
        facility_province_code="01",
        admin_code_version="2025",
        birth_date="2025-07-15",
        sex="F",
        outcome="LIVE",
        birth_weight_g="3200",
        gestation_weeks="39",
        mother_id=MOTHER_ID,
        mother_birth_date="1990-01-01",
        mother_residence_province_code="01",
    )
    row.update(changes)
    return row


def moh_death(**changes) -> dict:
    row = dict(
        notification_id="M-1",
        facility_code="F010031",
        facility_province_code="01",
        admin_code_version="2025",
        death_date="2025-08-01",
        deceased_id=MOTHER_ID,
        sex="F",
        birth_date="1950-03-01",
        underlying_cause_icd10="I21.9",
        certified="1",
    )
    row.update(changes)
    return row


def test_bounds_and_cause_codes_end_as_the_general_way_leaves_them(warehouse, db, tmp_path, monkeypatch, caplog):
    births = [
        moh_birth(notification_id=f"N-{i}", **changes)
        for i, changes in enumerate(
            [
                {},
                dict(birth_weight_g="200"),
                dict(birth_weight_g="199"),
                dict(birth_weight_g="7000"),
                dict(birth_weight_g="7001"),
                dict(birth_weight_g="0200"),
                dict(birth_weight_g=""),
                dict(gestation_weeks="45"),
                dict(gestation_weeks="46"),
                dict(gestation_weeks="2x"),
                dict(outcome="STILLBIRTH"),
                dict(birth_date="2025-10-06"),
                dict(birth_date="2025-10-05"),
                dict(facility_code=""),
                dict(mother_id="", mother_birth_date=""),
                dict(birth_weight_g="9999999999"),
            ]
        )
    ] + [moh_birth(notification_id="N-0")]
    deaths = [
        moh_death(notification_id=f"M-{i}", **changes)
        for i, changes in enumerate(
            [
                {},
                dict(underlying_cause_icd10="I21"),
                dict(underlying_cause_icd10="i21"),
                dict(underlying_cause_icd10="I21."),
                dict(underlying_cause_icd10="I2"),
                dict(underlying_cause_icd10=""),
                dict(underlying_cause_icd10="R99"),
                dict(certified="2"),
                dict(birth_date="2025-08-02"),
                dict(birth_date=""),
                dict(deceased_id="00119001234"),
            ]
        )
    ]
    folder = write_delivery(
        tmp_path / "MOH-2025Q3-0001",
        manifest("MOH-2025Q3-0001", agency="MOH"),
        {"births.csv": ("moh_births", births), "deaths.csv": ("moh_deaths", deaths)},
    )

    fast, general, results, handed_back, fast_files = load_both_ways(db, monkeypatch, caplog, [folder])

    assert_same(fast, general)
    assert fast_files == 2
    assert results["1"][0].rows_received == len(births) + len(deaths)
    loaded_births = {r[2] for r in fast["raw.moh_births"]}
    # by hand: N-2 (199), N-4 (7001), N-8 (46), N-9 (2x), N-11 (after extraction), N-13 (no
    # facility), N-15 (too big) are quarantined, and the repeated N-0; N-5 (0200) loads the general way.
    assert loaded_births == {f"N-{i}" for i in (0, 1, 3, 5, 6, 7, 10, 12, 14)}
    loaded_deaths = {r[2] for r in fast["raw.moh_deaths"]}
    assert loaded_deaths == {f"M-{i}" for i in (0, 1, 5, 6, 9)}
    # handed back: births 2, 4, 5, 8, 9, 11, 13, 15 and deaths 2, 3, 4, 7, 8, 10 (the repeated N-0
    # went the fast way and was moved to quarantine afterwards)
    assert handed_back == 8 + 6


# Values a mutated row may take: every kind's edge and near-misses. No double quote: a file with
# one takes the general way as a whole (test_a_file_with_quotes_takes_the_general_way).
TRICKY = [
    "",
    " ",
    "0",
    "1",
    "01",
    "+1",
    "-1",
    "007",
    "1e3",
    "2.5",
    "999999999",
    "1000000000",
    "2025-02-29",
    "2024-02-29",
    "1900-02-29",
    "2000-02-29",
    "1799-12-31",
    "1800-01-01",
    "2999-12-31",
    "3000-01-01",
    "2025-7-01",
    "2025-07-01 ",
    "2025-09-30",
    "2025-10-06",
    "ABROAD",
    "FACILITY",
    "HOME",
    "M",
    "F",
    "U",
    "m",
    "LIVE",
    "NEW",
    "ACTIVE",
    "CANCELLED",
    "NEVER",
    "00004",
    "00007",
    "99999",
    "01",
    "02",
    "24",
    "27",
    "79",
    "PRE2025",
    "2025",
    "I21.9",
    "I21",
    "i21",
    "I21.",
    "R99",
    "001190012345",
    " 001190012345",
    "00119001234",
    "00119001234٥",
    "Đà Nẵng",
    "a,b",
    "\t",
    "80+",
    "0-4",
]


def mutate(body: list[bytes], rng: random.Random) -> list[bytes]:
    out = []
    keys = []
    for line in body:
        fields = line.decode("utf-8").split(",")
        roll = rng.random()
        if roll < 0.15:
            for _ in range(rng.randint(1, 3)):
                fields[rng.randrange(len(fields))] = rng.choice(TRICKY)
        elif roll < 0.20 and keys:
            fields[0] = rng.choice(keys)  # the key of an earlier row
        elif roll < 0.22:
            fields = fields[:-1]  # a field short
        elif roll < 0.24:
            out.append(b"")  # a blank line before the row
        keys.append(fields[0])
        text = ",".join(fields).encode("utf-8")
        out.append(text + (b"\r" if roll > 0.9 else b""))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_a_mutated_quarter_ends_as_the_general_way_leaves_it(warehouse, db, tmp_path, monkeypatch, caplog, seed):
    folders = generate_quarter("2025Q3", 0.002, tmp_path / "inbox", seed=seed)
    rng = random.Random(seed)
    for folder in folders:
        for entry in loader.read_manifest(folder).files:
            line_based(folder, entry.name, lambda body: mutate(body, rng))

    fast, general, results, handed_back, fast_files = load_both_ways(db, monkeypatch, caplog, folders)

    assert_same(fast, general)
    assert [r.outcome for r in results["1"]] == [loader.LOADED] * len(folders)
    received = sum(r.rows_received for r in results["1"])
    loaded = sum(r.rows_loaded for r in results["1"])
    quarantined = sum(r.rows_quarantined for r in results["1"])
    assert loaded + quarantined == received and quarantined > received // 20
    # Most rows went the fast way; every vital-rates file (numbers) went the general way.
    assert 0 < handed_back < received // 2
    assert fast_files == sum(len(loader.read_manifest(f).files) for f in folders) - 1


def test_a_file_with_quotes_takes_the_general_way(warehouse, db, tmp_path, monkeypatch, caplog):
    rows = [birth(record_id="Q-1", child_name='Nguyễn "Bé" An, con'), birth(record_id="Q-2")]
    folder = write_delivery(tmp_path / "MOJ-2025Q3-0001", manifest(), {"births.csv": ("moj_births", rows)})
    assert b'"' in (folder / "births.csv").read_bytes()

    fast, general, results, handed_back, fast_files = load_both_ways(db, monkeypatch, caplog, [folder])

    assert_same(fast, general)
    assert fast_files == 0 and results["1"][0].rows_loaded == 2


@pytest.mark.parametrize(
    "bad, reason",
    [
        (b"\xff", "births.csv: not UTF-8 near data row 3"),
        (b"\x00", "births.csv: a NUL character at line 3"),
    ],
)
def test_a_plain_file_with_bad_bytes_is_rejected_as_the_general_way_rejects_it(
    warehouse, db, tmp_path, monkeypatch, caplog, bad, reason
):
    folder = write_delivery(
        tmp_path / "MOJ-2025Q3-0001",
        manifest(),
        {"births.csv": ("moj_births", [birth(record_id="U-1"), birth(record_id="U-2")])},
    )
    line_based(folder, "births.csv", lambda body: [body[0], body[1].replace(b"U-2", b"U-2" + bad)])

    fast, general, results, _, _ = load_both_ways(db, monkeypatch, caplog, [folder])

    assert_same(fast, general)
    assert results["1"][0].outcome == results["0"][0].outcome == loader.REJECTED
    assert results["1"][0].reason.startswith(reason), results["1"][0].reason
    assert results["0"][0].reason.startswith(reason.split(" near")[0].split(" at")[0]), results["0"][0].reason
    assert fast["raw.moj_births"] == []


def outgrown_contract(monkeypatch, versions: tuple[str, ...], more_codes: tuple) -> None:
    """The feed contract as a later schema might have it: every dataset's admin_code_version names
    `versions`, and the official lists hold `more_codes` ((level, code_version, code, province)) too."""
    for name, dataset in list(DATASETS.items()):
        columns = tuple(
            dataclasses.replace(c, values=versions) if c.name == "admin_code_version" else c for c in dataset.columns
        )
        monkeypatch.setitem(DATASETS, name, dataclasses.replace(dataset, columns=columns))
    codes = loader._valid_codes() + more_codes
    monkeypatch.setattr(loader, "_valid_codes", lambda: codes)


def general_way_alone(db, monkeypatch, caplog, tmp_path, rows: list[dict]) -> tuple[dict, list[str], tuple]:
    """Load `rows` as a births file both ways; the fast path must step aside for the whole file.
    Returns the warehouse's contents, the loader's step-aside lines and (rows loaded, quarantined);
    the quarantine as {source_row: (column, rule)} in contents["rules"]."""
    folder = write_delivery(tmp_path / "MOJ-2025Q3-0001", manifest(), {"births.csv": ("moj_births", rows)})
    said = []
    fast, general, results, _, fast_files = load_both_ways(db, monkeypatch, caplog, [folder], said)
    assert_same(fast, general)
    assert fast_files == 0
    fast["rules"] = {r[3]: (r[4], r[5]) for r in fast["quarantine.rows"]}
    counts = (results["1"][0].rows_loaded, results["1"][0].rows_quarantined)
    return fast, [m for m in said if "steps aside" in m], counts


def test_a_third_code_list_sends_the_file_the_general_way_with_the_reason(warehouse, db, tmp_path, monkeypatch, caplog):
    # An admin reform of 2030: a third list, with provinces 01 and 79 and one commune in each.
    outgrown_contract(
        monkeypatch,
        ("PRE2025", "2025", "2030"),
        (
            ("province", "2030", "01", None),
            ("province", "2030", "79", None),
            ("commune", "2030", "00004", "01"),
            ("commune", "2030", "26734", "79"),
        ),
    )
    in_79 = dict(reg_province_code="79", birth_province_code="79", mother_residence_province_code="79")
    rows = [
        birth(record_id="T-1", admin_code_version="2030"),
        birth(record_id="T-2", admin_code_version="2030", reg_province_code="24", reg_commune_code=""),
        birth(record_id="T-3"),
        birth(record_id="T-4", admin_code_version="2030", reg_commune_code="26734"),
        birth(record_id="T-5", admin_code_version="2031"),
        birth(record_id="T-6", admin_code_version="2030", reg_commune_code="26734", **in_79),
    ]

    loaded, said, counts = general_way_alone(db, monkeypatch, caplog, tmp_path, rows)

    assert said == [
        "MOJ-2025Q3-0001 births.csv: the fast path steps aside (the contract names 3 code lists"
        " (PRE2025, 2025, 2030), the engine holds 2); the general way takes the file"
    ]
    # by hand: T-1 (2030, 01/00004), T-3 (2025) and T-6 (2030, 79/26734) load; 24 is not a
    # province of 2030, 26734 lies in 79 not 01, and 2031 is no list at all.
    assert {r[2] for r in loaded["raw.moj_births"]} == {"T-1", "T-3", "T-6"}
    assert loaded["rules"] == {
        2: ("reg_province_code", "unknown_code"),
        4: ("reg_commune_code", "commune_outside_province"),
        5: ("admin_code_version", "not_in_code_list"),
    }
    assert counts == (3, 3)


def test_a_longer_code_sends_the_file_the_general_way_with_the_reason(warehouse, db, tmp_path, monkeypatch, caplog):
    # The 2025 list gains a 3-digit province with a 6-digit commune.
    outgrown_contract(
        monkeypatch,
        ("PRE2025", "2025"),
        (("province", "2025", "101", None), ("commune", "2025", "100001", "101")),
    )
    in_101 = dict(reg_province_code="101", birth_province_code="101", mother_residence_province_code="101")
    rows = [
        birth(record_id="L-1", reg_commune_code="100001", **in_101),
        birth(record_id="L-2"),
        birth(record_id="L-3", reg_province_code="102", reg_commune_code=""),
        birth(record_id="L-4", reg_commune_code="100001"),
        birth(record_id="L-5", reg_commune_code="", **in_101),
    ]

    loaded, said, counts = general_way_alone(db, monkeypatch, caplog, tmp_path, rows)

    assert said == [
        "MOJ-2025Q3-0001 births.csv: the fast path steps aside (the 2025 list has province code '101',"
        " the engine reads 2 digits); the general way takes the file"
    ]
    # by hand: L-1, L-2 and L-5 load; 102 is in no list and not 2 digits; 100001 lies in 101, not 01.
    assert {r[2] for r in loaded["raw.moj_births"]} == {"L-1", "L-2", "L-5"}
    assert loaded["rules"] == {
        3: ("reg_province_code", "bad_code_format"),
        4: ("reg_commune_code", "commune_outside_province"),
    }
    assert counts == (3, 2)


def test_a_contract_with_other_value_formats_loads_the_same_both_ways(warehouse, db, tmp_path, monkeypatch, caplog):
    # A later schema's formats, declared once in the contract: 13-digit citizen numbers, dates of
    # 1900-2100, registration numbers of at most 16 characters with only "-" inside. The engine
    # receives them in its description and takes the file; the general way reads the same.
    formats = Formats(
        citizen_number_digits=13,
        date_years=(1900, 2100),
        registration_number_max_length=16,
        registration_number_inner="-",
    )
    monkeypatch.setitem(DATASETS, "moj_births", dataclasses.replace(DATASETS["moj_births"], formats=formats))
    child, mother = CHILD_ID + "7", MOTHER_ID + "8"
    ids = dict(child_id=child, mother_id=mother)
    rows = [
        birth(record_id="F-1", **ids),
        birth(record_id="F-2", mother_id=mother),  # a 12-digit child_id
        birth(record_id="F-3", mother_birth_date="1899-12-31", **ids),
        birth(record_id="F-4", mother_birth_date="1900-01-01", **ids),
        birth(record_id="F-5", registration_date="2101-01-01", birth_date="2101-01-01", **ids),
        birth(record_id="123456789012", **ids),  # 12 digits alone: not a citizen number here
        birth(record_id="1234567890123", **ids),  # 13: one
        birth(record_id="F-234567890-ABCD", **ids),  # 16 characters
        birth(record_id="F-234567890-ABCDE", **ids),  # 17
        birth(record_id="F/8", **ids),
        birth(record_id="F-9", child_id=" " + child, mother_id=""),  # spaces: the general way's
        # rows an engine of schema 1.0's formats would take: each breaks the formats declared here
        birth(record_id="F-10"),  # 12-digit citizen numbers
        birth(record_id="1234567890124", child_id="", mother_id=""),
        birth(record_id="F-11", child_id="", mother_id="", mother_birth_date="1850-01-01"),
        birth(record_id="F/12", child_id="", mother_id=""),
    ]
    folder = write_delivery(tmp_path / "MOJ-2025Q3-0001", manifest(), {"births.csv": ("moj_births", rows)})

    fast, general, results, handed_back, fast_files = load_both_ways(db, monkeypatch, caplog, [folder])

    assert_same(fast, general)
    assert fast_files == 1
    assert handed_back == 11  # the ten broken rows and F-9
    # by hand
    assert {r[2] for r in fast["raw.moj_births"]} == {"F-1", "F-4", "123456789012", "F-234567890-ABCD", "F-9"}
    rules = {r[3]: (r[4], r[5], r[6].split(": ", 1)[1]) for r in fast["quarantine.rows"]}
    rule = FORMATS.registration_number_rule.replace("12", "13").replace("64", "16").replace("- / . _", "-")
    assert rule == formats.registration_number_rule
    not_a_number = (
        "record_id",
        "not_a_registration_number",
        f"record_id is not a registration number ({rule}; value withheld)",
    )
    assert rules == {
        2: ("child_id", "malformed_identifier", "child_id is not a 13-digit citizen number (value withheld)"),
        3: ("mother_birth_date", "not_a_date", "mother_birth_date is not a date (YYYY-MM-DD)"),
        5: ("registration_date", "not_a_date", "registration_date is not a date (YYYY-MM-DD)"),
        7: not_a_number,
        9: not_a_number,
        10: not_a_number,
        12: ("child_id", "malformed_identifier", "child_id is not a 13-digit citizen number (value withheld)"),
        13: not_a_number,
        14: ("mother_birth_date", "not_a_date", "mother_birth_date is not a date (YYYY-MM-DD)"),
        15: not_a_number,
    }
    pseudonymise = Pseudonymiser(settings.pseudonym_key(), formats)
    names = [
        c[0]
        for c in fetch(
            db,
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = 'moj_births' order by ordinal_position",
        )
    ]
    pids = {r[2]: dict(zip(names, r)) for r in fast["raw.moj_births"]}
    assert pids["F-1"]["child_pid"] == pids["F-9"]["child_pid"] == bytes.fromhex(pseudonymise(child))
    assert pids["F-1"]["mother_pid"] == bytes.fromhex(pseudonymise(mother)) and pids["F-9"]["mother_pid"] is None


def test_a_contract_with_another_icd10_format_sends_the_file_the_general_way(
    warehouse, db, tmp_path, monkeypatch, caplog
):
    # ICD-10 codes with two digits after the point: a pattern the engine does not read, so it
    # steps aside for the file, saying why, and the general way reads the contract's pattern.
    formats = dataclasses.replace(FORMATS, icd10=r"[A-Z]\d{2}(\.\d{1,2})?", icd10_example="I21.91")
    monkeypatch.setitem(DATASETS, "moh_deaths", dataclasses.replace(DATASETS["moh_deaths"], formats=formats))
    deaths = [
        moh_death(notification_id=f"M-{i}", underlying_cause_icd10=code)
        for i, code in enumerate(["I21.9", "I21.91", "I21.912", "I21"])
    ]
    folder = write_delivery(
        tmp_path / "MOH-2025Q3-0001", manifest("MOH-2025Q3-0001", agency="MOH"), {"deaths.csv": ("moh_deaths", deaths)}
    )
    said = []

    fast, general, results, _, fast_files = load_both_ways(db, monkeypatch, caplog, [folder], said)

    assert_same(fast, general)
    assert fast_files == 0
    assert [m for m in said if "steps aside" in m] == [
        "MOH-2025Q3-0001 deaths.csv: the fast path steps aside (the contract's ICD-10 code is"
        r" [A-Z]\d{2}(\.\d{1,2})?, the engine reads [A-Z]\d{2}(\.\d)?); the general way takes the file"
    ]
    assert {r[2] for r in fast["raw.moh_deaths"]} == {"M-0", "M-1", "M-3"}
    assert [(r[3], r[4], r[5], r[6].split(": ", 1)[1]) for r in fast["quarantine.rows"]] == [
        (3, "underlying_cause_icd10", "not_icd10", "underlying_cause_icd10 is not an ICD-10 code like I21.91")
    ]
