"""Hostile delivery folders against the real loader and the real embedded PostgreSQL (issue 14,
items 2, 3 and 6): links and special files in a delivery, files without their header row,
malformed manifests. Whatever arrives, the intake records a rejection with its reason and goes on
with the next delivery; no value read from a file appears in an error, a log line or the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from crvs.devtools.sample import write_delivery
from crvs.feeds import loader
from tests.integration.test_ingest import birth, births_delivery, edit_manifest, fetch, manifest
from tests.integration.test_loader_privacy import _every_table_as_text
from tests.time_bound import at_most

CRVS = str(Path(sys.executable).with_name("crvs"))
CITIZEN, MOTHER_CITIZEN = "079123456789", "079987654321"
CHILD, MOTHER = "Lương Thị Xuyến", "Đỗ Văn Quỳnh"


@pytest.fixture(autouse=True)
def bounded_in_time():
    """Every test here ends within 60 s, whatever the loader does (a FIFO must never block it)."""
    with at_most(60):
        yield


def crvs_ingest(*paths) -> subprocess.CompletedProcess:
    """`crvs ingest` as an operator runs it, with its INFO log on stderr."""
    return subprocess.run(
        [CRVS, "ingest", *map(str, paths)], env=os.environ.copy(), capture_output=True, text=True, timeout=50
    )


def rejected(db):
    return fetch(db, "select delivery_id, reason from quarantine.rejected_deliveries order by rejected_at")


def point_manifest_at(folder: Path, target: Path, rows: int) -> None:
    """The manifest agrees with the bytes `births.csv` leads to (the sender could compute them)."""
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    edit_manifest(folder, lambda m: m["files"][0].update(rows=rows, sha256=digest))


# --- item 2: a delivery is regular files inside its folder ------------------------------------


@pytest.fixture
def key_file(tmp_path):
    """A secret shaped like the pseudonym key (64 hex digits), outside every delivery folder."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    path = folder / "pseudonym.key"
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


def test_a_symlink_to_the_key_is_refused_and_the_key_appears_nowhere(warehouse, db, tmp_path, key_file):
    folder = births_delivery(tmp_path, [birth()])
    (folder / "births.csv").unlink()
    (folder / "births.csv").symlink_to(key_file)
    point_manifest_at(folder, key_file, rows=0)
    key = key_file.read_text().strip()

    result = crvs_ingest(folder)

    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert key not in output
    assert "births.csv" in result.stdout and "symbolic link" in result.stdout
    assert key not in _every_table_as_text(db)
    ((delivery_id, reason),) = rejected(db)
    assert delivery_id == "MOJ-2025Q3-0001" and key not in reason and "births.csv" in reason
    assert fetch(db, "select count(*) from raw.deliveries") == [(0,)]


def test_a_symlink_to_a_csv_outside_the_folder_is_refused(warehouse, db, tmp_path):
    outside = births_delivery(tmp_path / "elsewhere", [birth(), birth(record_id="B-2")])
    folder = births_delivery(tmp_path, [birth()])
    (folder / "births.csv").unlink()
    (folder / "births.csv").symlink_to(outside / "births.csv")
    point_manifest_at(folder, outside / "births.csv", rows=2)

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert result.reason.startswith("births.csv: ") and "symbolic link" in result.reason
    assert fetch(db, "select count(*) from raw.moj_births") == [(0,)]


def test_a_symlinked_manifest_is_refused(warehouse, db, tmp_path):
    outside = births_delivery(tmp_path / "elsewhere", [birth()])
    folder = births_delivery(tmp_path, [birth()])
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").symlink_to(outside / "manifest.json")

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED and "manifest.json" in result.reason and "symbolic link" in result.reason
    assert fetch(db, "select count(*) from raw.deliveries") == [(0,)]


def test_a_fifo_is_refused_without_blocking(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()])
    (folder / "births.csv").unlink()
    os.mkfifo(folder / "births.csv")

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert result.reason == "births.csv: not a regular file (a FIFO); a delivery holds regular files only"


def test_a_hard_link_to_a_file_elsewhere_is_refused(warehouse, db, tmp_path, key_file):
    folder = births_delivery(tmp_path, [birth()])
    (folder / "births.csv").unlink()
    os.link(key_file, folder / "births.csv")
    point_manifest_at(folder, key_file, rows=0)

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED and "hard link" in result.reason
    assert key_file.read_text().strip() not in _every_table_as_text(db)


def test_a_device_is_refused(warehouse, db, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    folder = births_delivery(tmp_path, [birth()])
    (folder / "births.csv").unlink()
    os.mknod(folder / "births.csv", 0o600 | 0o020000, os.makedev(1, 5))  # /dev/zero's numbers

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert result.reason == "births.csv: not a regular file (a device); a delivery holds regular files only"


# --- item 3: no value from a file in a message -------------------------------------------------


def headerless_delivery(tmp_path) -> Path:
    """A births file whose header row is missing: its first line is a data row."""
    folder = births_delivery(
        tmp_path,
        [
            birth(child_id=CITIZEN, child_name=CHILD, mother_id=MOTHER_CITIZEN, mother_name=MOTHER),
            birth(record_id="B-2"),
        ],
    )
    path = folder / "births.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[1:]), encoding="utf-8")
    point_manifest_at(folder, path, rows=1)
    return folder


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_a_file_without_its_header_row_quotes_none_of_its_first_row(warehouse, db, tmp_path, monkeypatch, fast_path):
    monkeypatch.setenv("CRVS_LOADER_FAST_PATH", fast_path)
    folder = headerless_delivery(tmp_path)

    result = crvs_ingest(folder)

    assert result.returncode == 1
    output = result.stdout + result.stderr
    stored = _every_table_as_text(db)
    for value in (CITIZEN, MOTHER_CITIZEN, CHILD, MOTHER, "B-1"):
        assert value not in output, value
        assert value not in stored, value
    ((_, reason),) = rejected(db)
    # The columns are named by the contract or by their position, never by what the file holds.
    assert reason.startswith("births.csv: header does not match moj_births (missing record_id,")
    assert "columns 1-19 are not moj_births columns (names not shown)" in reason
    assert "is the header row missing?" in reason


# Values that break a rule, none of which the contract proves harmless: none is quoted.
HOSTILE_VALUES = [
    dict(sex=CHILD),
    dict(record_version=CITIZEN),
    dict(birth_date=MOTHER_CITIZEN),
    dict(reg_province_code=MOTHER),
    dict(foreign_element=CITIZEN),
    dict(reg_kind=MOTHER),
    dict(mother_birth_date=CHILD),
    dict(record_version="-5"),
]


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_quarantine_reasons_name_the_row_column_and_rule_never_the_value(
    warehouse, db, tmp_path, monkeypatch, fast_path
):
    monkeypatch.setenv("CRVS_LOADER_FAST_PATH", fast_path)
    rows = [birth(record_id=f"B-{i}", **change) for i, change in enumerate(HOSTILE_VALUES, 1)]
    rows.append(birth(record_id="B-99", reg_province_code="02"))  # a 2-digit code of another list: harmless
    result = loader.ingest_path(births_delivery(tmp_path, rows))

    assert result.rows_quarantined == len(rows)
    reasons = fetch(db, "select source_row, column_name, rule, reason from quarantine.rows order by 1")
    for (row, column, rule, reason), change in zip(reasons, HOSTILE_VALUES):
        ((name, value),) = change.items()
        assert column == name and reason.startswith(f"births.csv row {row}, column {name}: {name} ")
        assert value not in reason, reason
    assert reasons[-1][3] == (
        "births.csv row 9, column reg_province_code: reg_province_code '02' is not a province code of the 2025 list"
    )


# --- item 6: malformed manifests are recorded rejections and never stop the batch -------------


def _set_file(**fields):
    return lambda m: m["files"][0].update(fields)


def _set(**fields):
    return lambda m: m.update(fields)


MALFORMED = [
    ("name-number", _set_file(name=5), "manifest.json: files[1] has no valid 'name' (a file name without folders)"),
    (
        "name-list",
        _set_file(name=["births.csv"]),
        "manifest.json: files[1] has no valid 'name' (a file name without folders)",
    ),
    (
        "name-nul",
        _set_file(name="births\u0000.csv"),
        "manifest.json: files[1] has no valid 'name' (a file name without folders)",
    ),
    (
        "name-long",
        _set_file(name="b" * 300 + ".csv"),
        "manifest.json: files[1] has no valid 'name' (a file name without folders)",
    ),
    ("dataset-list", _set_file(dataset=["moj_births"]), "manifest.json: births.csv: dataset is not in the contract"),
    (
        "id-nul",
        _set(delivery_id="MOJ-2025Q3\u00000001"),
        "manifest.json: delivery_id is not a valid identifier (no control characters, '/' or '\\', not starting "
        "with '.', at most 1024 bytes)",
    ),
    ("id-blank", _set(delivery_id="   "), "manifest.json: field 'delivery_id' is missing"),
    ("id-number", _set(delivery_id=20253001), "manifest.json: delivery_id must be a string"),
    (
        "id-too-long",
        _set(delivery_id="MOJ-" + "9" * 1100),
        "manifest.json: delivery_id is not a valid identifier (no control characters, '/' or '\\', not starting "
        "with '.', at most 1024 bytes)",
    ),
    ("version-number", _set(schema_version=1.0), 'manifest.json: schema_version must be a string such as "1.0"'),
    (
        "extracted-future",
        _set(extracted_at="2999-01-01T00:00:00+00:00"),
        "manifest.json: extracted_at 2999-01-01T00:00:00+00:00 is in the future",
    ),
    ("agency-list", _set(agency=["MOJ"]), "manifest.json: agency is not one of MOJ, MOH, GSO"),
    ("files-object", _set(files={"name": "births.csv"}), "manifest.json: 'files' must be a non-empty list"),
]


@pytest.mark.parametrize("case, change, reason", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_manifest_is_a_recorded_rejection_with_its_reason(warehouse, db, tmp_path, case, change, reason):
    folder = births_delivery(tmp_path, [birth()])
    edit_manifest(folder, change)

    result = loader.ingest_path(folder)

    assert (result.outcome, result.reason) == (loader.REJECTED, reason)
    assert [r for _, r in rejected(db)] == [reason]
    assert fetch(db, "select count(*) from raw.deliveries") == [(0,)]


def test_every_bad_delivery_of_an_inbox_is_rejected_and_the_good_one_after_them_loads(warehouse, db, tmp_path):
    inbox = tmp_path / "inbox"
    for i, (case, change, _) in enumerate(MALFORMED):
        folder = births_delivery(inbox, [birth()], delivery_id=f"MOJ-2025Q3-{i:04d}")
        edit_manifest(folder, change)
        folder.rename(inbox / f"a-{i:02d}-{case}")  # sorted before the good one
    births_delivery(inbox, [birth(record_id="GOOD-1")], delivery_id="MOJ-2025Q3-9999").rename(inbox / "z-good")

    result = crvs_ingest(inbox)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(MALFORMED) + 1 and all(line.startswith("rejected ") for line in lines[:-1])
    assert lines[-1].startswith("loaded          MOJ-2025Q3-9999: 1 rows loaded")
    assert fetch(db, "select count(*) from quarantine.rejected_deliveries") == [(len(MALFORMED),)]
    assert fetch(db, "select record_id from raw.moj_births") == [("GOOD-1",)]


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_a_delivery_id_of_512_bytes_loads_both_ways(warehouse, db, tmp_path, monkeypatch, fast_path):
    monkeypatch.setenv("CRVS_LOADER_FAST_PATH", fast_path)
    long_id = "MOJ-2025Q3-" + "7" * 501
    assert len(long_id.encode()) == 512
    folder = write_delivery(tmp_path / "long", manifest(long_id), {"births.csv": ("moj_births", [birth()])})

    result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_loaded) == (loader.LOADED, 1), result.reason
    assert fetch(db, "select delivery_id from raw.moj_births") == [(long_id,)]


def test_a_manifest_that_is_not_an_object_or_not_json_is_rejected(warehouse, db, tmp_path):
    folder = births_delivery(tmp_path, [birth()])
    (folder / "manifest.json").write_text(json.dumps(["MOJ-2025Q3-0001"]))
    assert loader.ingest_path(folder).reason.endswith("manifest.json: not a JSON object")
    (folder / "manifest.json").write_bytes(b"\xff\xfe{")
    assert "manifest.json: not valid JSON" in loader.ingest_path(folder).reason


# --- item 8: a mislabelled header loads no name as a registration number ----------------------

NAMES = [CHILD, MOTHER, "Xuyến", "Nguyen-Van-An", "O'Brien"]


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_record_id_and_child_name_swapped_in_the_header_loads_no_name(warehouse, db, tmp_path, monkeypatch, fast_path):
    monkeypatch.setenv("CRVS_LOADER_FAST_PATH", fast_path)
    folder = births_delivery(tmp_path, [birth(record_id=f"B-{i}", child_name=name) for i, name in enumerate(NAMES, 1)])
    path = folder / "births.csv"
    header, body = path.read_text(encoding="utf-8").split("\n", 1)
    labels = header.split(",")
    a, b = labels.index("record_id"), labels.index("child_name")
    labels[a], labels[b] = labels[b], labels[a]
    path.write_text(",".join(labels) + "\n" + body, encoding="utf-8")
    point_manifest_at(folder, path, rows=len(NAMES))

    result = crvs_ingest(folder)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"0 rows loaded, {len(NAMES)} quarantined" in result.stdout
    assert fetch(db, "select count(*) from raw.moj_births") == [(0,)]
    assert fetch(db, "select column_name, rule, reason from quarantine.rows order by source_row") == [
        (
            "record_id",
            "not_a_registration_number",
            f"births.csv row {row}, column record_id: record_id is not a registration number (ASCII letters and "
            "digits, with - / . _ inside, at least one digit, at most 64 characters, not 12 digits alone; value "
            "withheld)",
        )
        for row in range(1, len(NAMES) + 1)
    ]
    stored, output = _every_table_as_text(db), result.stdout + result.stderr
    for name in NAMES:
        assert name not in stored and name not in output, name


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_a_registration_number_shaped_as_a_citizen_number_is_quarantined(
    warehouse, db, tmp_path, monkeypatch, fast_path
):
    """record_id and child_id swapped the other way round: the child_id column is caught by its own
    check (B-1 is no citizen number) and the record_id column's 12 digits by theirs."""
    monkeypatch.setenv("CRVS_LOADER_FAST_PATH", fast_path)
    rows = [birth(record_id=CITIZEN, child_id=""), birth(record_id="2025/KS-0001"), birth(record_id="07912345678")]
    result = loader.ingest_path(births_delivery(tmp_path, rows))

    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert fetch(db, "select record_id from raw.moj_births order by source_row") == [
        ("2025/KS-0001",),
        ("07912345678",),
    ]
    assert fetch(db, "select source_row, rule from quarantine.rows") == [(1, "not_a_registration_number")]
    assert CITIZEN not in _every_table_as_text(db)


# --- item 9: a long field is read the same quoted or not ----------------------------------------


@pytest.mark.parametrize("fast_path", ["1", "0"])
@pytest.mark.parametrize("quoted", [True, False], ids=["quoted", "plain"])
def test_a_10_mb_field_loads_its_row_whether_quoted_or_not(warehouse, db, tmp_path, monkeypatch, fast_path, quoted):
    """RFC 4180 sets no length: a 10 MB name (dropped as every name) is no reason to refuse the row,
    let alone the delivery; quoted (it holds a comma) or plain, the outcome is the same."""
    monkeypatch.setenv("CRVS_LOADER_FAST_PATH", fast_path)
    long_name = ("Nguyễn, " if quoted else "Nguyễn ") * (10_000_000 // 10)
    result = loader.ingest_path(births_delivery(tmp_path, [birth(child_name=long_name), birth(record_id="B-2")]))

    assert (result.outcome, result.rows_loaded, result.rows_quarantined) == (loader.LOADED, 2, 0), result.reason
    assert fetch(db, "select record_id from raw.moj_births order by source_row") == [("B-1",), ("B-2",)]
