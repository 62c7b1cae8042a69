"""The loader's two ways in: a CSV file read by the loader's own reader, and rows handed over as
lists (as a channel without a file would). Both must give the same warehouse; no check may be lost
in the cheaper SQL; a file that cannot be read is named with its line."""

from __future__ import annotations

import pytest

from crvs import settings
from crvs.feeds import loader
from crvs.feeds.pseudonym import INVALID_ID, Pseudonymiser
from tests.integration.test_ingest import CHILD_ID, MOTHER_ID, birth, births_delivery, edit_manifest, fetch


def _raw_births(db):
    return fetch(
        db,
        "select source_row, record_id, record_version, registration_date::text, reg_commune_code,"
        " encode(child_pid, 'hex'), encode(mother_pid, 'hex'), mother_birth_date::text, foreign_element"
        " from raw.moj_births"
        " order by source_row",
    )


def _quarantine(db):
    return fetch(db, "select source_row, column_name, rule, reason, record from quarantine.rows order by source_row")


ROWS = [
    birth(record_id="R-1"),
    birth(record_id="R-2", child_id="", mother_id=f" {MOTHER_ID} ", reg_commune_code=""),
    birth(record_id="R-3", mother_birth_date="2024-02-29", birth_date="2025-07-15"),
    birth(record_id="R-4", mother_birth_date="2025-02-29"),  # not a calendar date
    birth(record_id="R-5", mother_birth_date="1990-1-01"),  # not YYYY-MM-DD
    birth(record_id="R-6", mother_birth_date="1799-12-31"),  # before 1800
    birth(record_id="R-7", mother_birth_date="1990.01.01"),  # PostgreSQL would read it; the contract not
    birth(record_id="R-8", mother_birth_date=" 1990-01-01"),  # a space is not a date
    birth(record_id="R-9", reg_province_code="1"),  # bad code format
    birth(record_id="R-10", child_id="0011900123"),  # malformed identifier
    birth(record_id="R-1"),  # duplicate key
]
EXPECTED_QUARANTINE = [
    (4, "mother_birth_date", "not_a_date", "is not a calendar date"),
    (5, "mother_birth_date", "not_a_date", "is not a date (YYYY-MM-DD)"),
    (6, "mother_birth_date", "not_a_date", "is not a date (YYYY-MM-DD)"),
    (7, "mother_birth_date", "not_a_date", "is not a date (YYYY-MM-DD)"),
    (8, "mother_birth_date", "not_a_date", "is not a date (YYYY-MM-DD)"),
    (9, "reg_province_code", "bad_code_format", "is not a 2-digit province code"),
    (10, "child_id", "malformed_identifier", "is not a 12-digit citizen number (value withheld)"),
    (11, "record_id", "duplicate_key", "appears earlier in this file"),
]


def test_a_file_is_checked_against_every_rule_and_its_identifiers_pseudonymised(warehouse, db, tmp_path):
    result = loader.ingest_path(births_delivery(tmp_path, ROWS))

    assert (result.outcome, result.rows_received, result.rows_loaded, result.rows_quarantined) == (
        loader.LOADED,
        11,
        3,
        8,
    ), result.reason
    quarantined = _quarantine(db)
    assert [(r, c, rule) for r, c, rule, _, _ in quarantined] == [e[:3] for e in EXPECTED_QUARANTINE]
    for (row, column, _, reason, _), (_, _, _, said) in zip(quarantined, EXPECTED_QUARANTINE):
        assert reason.startswith(f"births.csv row {row}, column {column}: ") and reason.endswith(said), reason
    pseudonymise = Pseudonymiser(settings.pseudonym_key())
    raw = _raw_births(db)
    assert [r[:5] for r in raw] == [
        (1, "R-1", 1, "2025-08-01", "00004"),
        (2, "R-2", 1, "2025-08-01", None),
        (3, "R-3", 1, "2025-08-01", "00004"),
    ]
    # an empty identifier is null; one with spaces around is the same person as without.
    assert [r[5:7] for r in raw] == [
        (pseudonymise(CHILD_ID), pseudonymise(MOTHER_ID)),
        (None, pseudonymise(MOTHER_ID)),
        (pseudonymise(CHILD_ID), pseudonymise(MOTHER_ID)),
    ]
    assert raw[2][7] == "2024-02-29"
    # The quarantined malformed identifier is withheld there too.
    assert quarantined[6][4]["child_pid"] == INVALID_ID


def test_rows_handed_over_as_lists_load_exactly_as_the_file(warehouse, db, tmp_path):
    """A channel may hand the loader rows without a file: same raw rows, same quarantine."""
    folder = births_delivery(tmp_path, ROWS)
    assert loader.ingest_path(folder).outcome == loader.LOADED
    from_the_file = (_raw_births(db), _quarantine(db))
    db.execute(
        "delete from quarantine.rows; delete from raw.moj_births; delete from raw.delivery_files;"
        " delete from raw.deliveries"
    )

    manifest = loader.read_manifest(folder)
    file_rows = loader.csv_rows(folder / "births.csv")
    rows_only = loader.RowSource(file_rows.file_name, file_rows.header, list(file_rows.rows))
    result = loader.load_delivery(manifest, [(manifest.files[0], rows_only)], "platform")

    assert (result.outcome, result.rows_loaded, result.rows_quarantined) == (loader.LOADED, 3, 8)
    assert (_raw_births(db), _quarantine(db)) == from_the_file


def test_a_blank_line_is_skipped_and_a_short_row_quarantined(warehouse, db, tmp_path):
    """The row numbers count records, not lines: the blank line is not one."""
    folder = births_delivery(tmp_path, [birth(), birth(record_id="B-2")])
    lines = (folder / "births.csv").read_bytes().split(b"\r\n")
    lines[1:1] = [b"", b"B-9,1"]  # after the header: a blank line, then a row of 2 fields
    (folder / "births.csv").write_bytes(b"\r\n".join(lines))
    edit_manifest(folder, lambda m: m["files"][0].update(rows=3, sha256=loader.file_sha256(folder / "births.csv")))

    result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_received, result.rows_loaded, result.rows_quarantined) == (
        loader.LOADED,
        3,
        2,
        1,
    ), result.reason
    assert fetch(db, "select source_row, rule from quarantine.rows") == [(1, "wrong_field_count")]
    assert fetch(db, "select source_row, record_id from raw.moj_births order by 1") == [(2, "B-1"), (3, "B-2")]


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda text: text.replace(b"B-2", b"B-\xff2"), "births.csv: not UTF-8 near data row"),
        (lambda text: text.replace(b"B-2", b'"B-2'), "births.csv: broken CSV at line"),
        (lambda text: text.replace(b"B-3", b"B-\x003"), "births.csv: a NUL character at line 4"),
    ],
)
def test_a_file_the_reader_cannot_read_rejects_the_delivery(warehouse, db, tmp_path, damage, reason):
    folder = births_delivery(tmp_path, [birth(), birth(record_id="B-2"), birth(record_id="B-3")])
    (folder / "births.csv").write_bytes(damage((folder / "births.csv").read_bytes()))
    edit_manifest(folder, lambda m: m["files"][0].update(sha256=loader.file_sha256(folder / "births.csv")))

    result = loader.ingest_path(folder)

    assert result.outcome == loader.REJECTED
    assert result.reason.startswith(reason), result.reason
    assert fetch(db, "select count(*) from raw.moj_births") == [(0,)]
    assert fetch(db, "select count(*) from quarantine.rows") == [(0,)]


def test_values_with_commas_quotes_and_line_breaks_arrive_unchanged(warehouse, db, tmp_path):
    """Such values are sent quoted; the others joined as they are. A free-text column carries them
    (facility_code); a registration number of that shape is no registration number: quarantined,
    its value withheld."""
    from crvs.devtools.sample import write_delivery
    from tests.integration.test_ingest import manifest
    from tests.integration.test_loader_fast_path import moh_birth

    odd = ["F,1", 'F "2"', "F\n3", "F\r\n4"]
    rows = [moh_birth(notification_id=f"N-{n}", facility_code=f) for n, f in enumerate(odd, 1)]
    rows += [moh_birth(notification_id=f"N,{n}") for n in range(5, 7)] + [moh_birth(notification_id='N "7"')]
    folder = write_delivery(
        tmp_path / "MOH-2025Q3-0001", manifest("MOH-2025Q3-0001", agency="MOH"), {"births.csv": ("moh_births", rows)}
    )

    result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_loaded, result.rows_quarantined) == (loader.LOADED, 4, 3), result.reason
    assert fetch(db, "select source_row, notification_id, facility_code from raw.moh_births order by 1") == [
        (n, f"N-{n}", f) for n, f in enumerate(odd, 1)
    ]
    assert fetch(db, "select source_row, rule, record->>'notification_id' from quarantine.rows order by 1") == [
        (n, "not_a_registration_number", INVALID_ID) for n in range(5, 8)
    ]
