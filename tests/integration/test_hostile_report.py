"""`crvs report` against hostile and broken output folders (issue 14, item 9), on the hand-made
report quarter in the real warehouse with the real gate: one clear line and a non-zero exit, nothing
half-written; a killed build's hidden folder is cleaned by the next build, a live one never."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from report_quarter import QUARTER, fill_quarter

from crvs.report import write_report
from tests.time_bound import at_most

CRVS = str(Path(sys.executable).with_name("crvs"))


@pytest.fixture
def warehouse_quarter(db):
    return fill_quarter(db)


def crvs_report(out: Path) -> subprocess.CompletedProcess:
    with at_most(170):
        return subprocess.run(
            [CRVS, "report", "--quarter", QUARTER, "--out", str(out)],
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=160,
        )


def test_a_file_where_the_quarter_folder_goes_is_one_line_and_nothing_written(warehouse_quarter, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / QUARTER).write_text("not a folder")

    result = crvs_report(out)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"crvs report: {out / QUARTER} is a file, not a report folder: move it away, or choose another --out"
    )
    assert sorted(p.name for p in out.iterdir()) == [QUARTER]
    assert (out / QUARTER).read_text() == "not a folder"


def test_an_out_folder_that_cannot_be_made_is_one_line(warehouse_quarter, tmp_path):
    (tmp_path / "plain-file").write_text("x")
    out = tmp_path / "plain-file" / "reports"  # a folder inside a file: the file system refuses

    result = crvs_report(out)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"crvs report: cannot write the report to {out}: {out} Not a directory"
    )


def test_a_killed_builds_folder_is_removed_and_a_live_ones_kept(warehouse_quarter, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    killed = out / f".{QUARTER}-building-killed1"  # its lock file is there, no one holds it
    killed.mkdir()
    (killed / "T1_registrations.csv").write_text("half")
    (out / f"{killed.name}.lock").touch()
    old = out / f".{QUARTER}-building-old1"  # an older version's, without a lock file, two days old
    old.mkdir()
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    young = out / f".{QUARTER}-building-young1"  # without a lock file and an hour old: may be starting
    young.mkdir()
    os.utime(young, (time.time() - 3600,) * 2)
    live = out / f".{QUARTER}-building-live1"  # another build holds its lock right now
    live.mkdir()
    other = out / ".2025Q2-building-killed2"  # another quarter's: not this build's to judge
    other.mkdir()
    with open(out / f"{live.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder = write_report(QUARTER, out)

    assert folder == out / QUARTER and (folder / "manifest.json").is_file()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [QUARTER, young.name, live.name, f"{live.name}.lock", other.name]
    )
