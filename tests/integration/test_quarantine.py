"""`crvs quarantine` on a real warehouse: refused deliveries and quarantined rows, by delivery and
by quarter, on the terminal and as CSV; never a value from a file; clear errors for what is unknown."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crvs import transform
from crvs.devtools.sample import write_delivery
from crvs.feeds import loader

CRVS = str(Path(sys.executable).with_name("crvs"))


def crvs(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CRVS, "-q", *args], cwd=cwd, env=os.environ.copy(), capture_output=True, text=True, timeout=300
    )


def _birth(record_id, province="01", mother=""):
    return dict(
        record_id=record_id,
        record_version="1",
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date="2025-08-01",
        reg_province_code=province,
        admin_code_version="2025",
        sex="F",
        birth_date="2025-07-20",
        place_of_birth="FACILITY",
        birth_province_code="01",
        mother_id=mother,
        mother_residence_province_code="01",
        foreign_element="0",
    )


def _moj(folder, delivery_id, births, start="2025-07-01", end="2025-09-30"):
    return write_delivery(
        folder / delivery_id,
        dict(
            delivery_id=delivery_id,
            agency="MOJ",
            extracted_at="2025-10-05T08:00:00+07:00",
            period_start=start,
            period_end=end,
        ),
        {"births.csv": ("moj_births", births)},
    )


def _miscount(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["rows"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def refused(module_warehouse, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    results = [
        loader.ingest_path(folder)
        for folder in (
            # row 2: a province code no list has; row 3: a mother_id that is no citizen number
            _moj(inbox, "MOJ-2025Q3-0001", [_birth("B1"), _birth("B2", province="99"), _birth("B3", mother="12345")]),
            _miscount(_moj(inbox, "MOJ-2025Q3-0002", [_birth("B4")])),  # refused, Q3
            _miscount(_moj(inbox, "MOJ-2024Q1-0001", [_birth("B5")], "2024-01-01", "2024-03-31")),  # refused, 2024Q1
        )
    ]
    assert [r.outcome for r in results] == [loader.LOADED, loader.REJECTED, loader.REJECTED]
    transform.build(select="+int_quarantine__refusals +rpt_quarter_deliveries +rpt_quarter_rejected_deliveries")
    return inbox


ROW_2 = (
    "row       MOJ MOJ-2025Q3-0001: births.csv row 2, column reg_province_code: reg_province_code (value withheld)"
    " is not a province code of the 2025 list [unknown_code]"
)
ROW_3 = (
    "row       MOJ MOJ-2025Q3-0001: births.csv row 3, column mother_id: mother_id is not a 12-digit citizen number"
    " (value withheld) [malformed_identifier]"
)
REFUSED_Q3 = "refused   MOJ MOJ-2025Q3-0002: births.csv: the manifest says 2 rows, the file has 1"
REFUSED_2024 = "refused   MOJ MOJ-2024Q1-0001: births.csv: the manifest says 2 rows, the file has 1"


def test_the_quarter_lists_its_refused_deliveries_and_rows(refused, tmp_path):
    result = crvs("quarantine", "--quarter", "2025Q3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        REFUSED_Q3,
        ROW_2,
        ROW_3,
        "1 delivery(ies) refused whole, 2 row(s) quarantined",
    ]
    assert "'99'" not in result.stdout and "12345" not in result.stdout  # no value from a file

    everything = crvs("quarantine", cwd=tmp_path)
    assert everything.stdout.splitlines() == [
        REFUSED_Q3,
        REFUSED_2024,
        ROW_2,
        ROW_3,
        "2 delivery(ies) refused whole, 2 row(s) quarantined",
    ]


def test_one_delivery_as_csv(refused, tmp_path):
    out = tmp_path / "refused.csv"
    result = crvs("quarantine", "--delivery", "MOJ-2025Q3-0001", "--csv", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"0 delivery(ies) refused whole, 2 row(s) quarantined; written to {out}"]
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["kind", "agency", "delivery_id", "dataset", "file_name", "source_row", "column_name", "rule", "message"],
        [
            "ROW",
            "MOJ",
            "MOJ-2025Q3-0001",
            "moj_births",
            "births.csv",
            "2",
            "reg_province_code",
            "unknown_code",
            "births.csv row 2, column reg_province_code: reg_province_code (value withheld) is not a province code of "
            "the 2025 list",
        ],
        [
            "ROW",
            "MOJ",
            "MOJ-2025Q3-0001",
            "moj_births",
            "births.csv",
            "3",
            "mother_id",
            "malformed_identifier",
            "births.csv row 3, column mother_id: mother_id is not a 12-digit citizen number (value withheld)",
        ],
    ]
    refused_one = crvs("quarantine", "--delivery", "MOJ-2024Q1-0001", cwd=tmp_path)
    assert refused_one.stdout.splitlines() == [REFUSED_2024, "1 delivery(ies) refused whole, 0 row(s) quarantined"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--delivery", "MOJ-2099Q1-0001"], "crvs quarantine: no delivery 'MOJ-2099Q1-0001' was loaded or refused"),
        (
            ["--quarter", "2031Q1"],
            "crvs quarantine: no delivery fed or was refused for 2031Q1 (as of the last `crvs build`)",
        ),
    ],
)
def test_an_unknown_delivery_or_quarter_is_one_clear_line(refused, tmp_path, args, message):
    result = crvs("quarantine", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""


def test_a_bad_quarter_or_both_filters_are_usage_errors(refused, tmp_path):
    assert "is not a quarter like 2025Q3" in crvs("quarantine", "--quarter", "2025Q5", cwd=tmp_path).stderr
    both = crvs("quarantine", "--quarter", "2025Q3", "--delivery", "MOJ-2025Q3-0001", cwd=tmp_path)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_the_listing_is_read_only(refused):
    """It connects as the gate's role in a read-only session: a write through it fails."""
    import psycopg

    from crvs import database, settings

    with database.connect(role=settings.GATE_ROLE) as conn:
        conn.read_only = True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create table quality.probe (x int)")
