"""The gate never crashes on its own state: gate after gate over several quarters and resends, two
gates at once in two processes, a GX context left broken or in an older layout, and a GX failure
turned into one line and a recorded failed run. Real PostgreSQL, real dbt, real GX.

The warehouse (2025Q3 and 2025Q4 at a small scale, loaded through the pipeline, built once) is
shared by the module; the tests only read it, or add deliveries that change no figure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from crvs import pipeline
from crvs.devtools.sample import generate_quarter
from crvs.feeds import ingest
from crvs.quality import run_gate, runner
from crvs.quality import run_gate as run_full_gate
from crvs.quality.suites import ModelSuite, load_suite_file, rows_check

CRVS = str(Path(sys.executable).with_name("crvs"))
SCALE = 0.002
SUITES = load_suite_file("report_suites")


@pytest.fixture(scope="module")
def built(module_warehouse, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    folders = generate_quarter("2025Q3", SCALE, inbox / "q3") + generate_quarter("2025Q4", SCALE, inbox / "q4")
    # GSO's figures of the year before, so the population is compared with them (no other 2024 data).
    folders += [f for f in generate_quarter("2024Q4", SCALE, inbox / "q2024") if f.name.startswith("GSO-")]
    # ingest.ingest moves each folder to inbox/processed: keep a copy of one to send again.
    kept = tmp_path_factory.mktemp("kept")
    moh_q3 = shutil.copytree(inbox / "q3" / "MOH-2025Q3-0001", kept / "MOH-2025Q3-0001")
    gso_2025 = shutil.copytree(inbox / "q3" / "GSO-2025-0001", kept / "GSO-2025-0001")
    summaries = ingest.ingest(folders)
    pipeline.transform()
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        yield {"summaries": summaries, "conn": conn, "moh_q3": moh_q3, "gso_2025": gso_2025, "inbox": inbox}


def crvs(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [CRVS, "-q", *args], cwd=cwd, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def gate_runs(conn) -> list[tuple[str, bool]]:
    if conn.execute("select to_regclass('quality.gate_runs') is null").fetchone()[0]:
        return []
    return conn.execute("select quarter, passed from quality.gate_runs order by run_at").fetchall()


def test_gate_after_gate_over_quarters_and_resends(built):
    conn = built["conn"]
    # GSO's yearly delivery comes with both quarters' samples: loaded once.
    assert sorted(s["outcome"] for s in built["summaries"]) == ["ALREADY_LOADED"] + ["LOADED"] * 6
    before = len(gate_runs(conn))
    for quarter in ("2025Q3", "2025Q4", "2025Q3"):
        result = run_gate(quarter)
        assert result.passed, result.summary()

    # A resend: the same folder again (already loaded), and the same files under a new delivery_id
    # (feed-checked by the next gate, as a delivery loaded without its checks would be).
    q3_moh = built["moh_q3"]
    again = ingest.ingest([shutil.copytree(q3_moh, built["inbox"] / "again")])
    assert [s["outcome"] for s in again] == ["ALREADY_LOADED"]
    resent = shutil.copytree(q3_moh, built["inbox"] / "MOH-2025Q3-0002")
    manifest = json.loads((resent / "manifest.json").read_text())
    manifest.update(delivery_id="MOH-2025Q3-0002", extracted_at="2025-10-06T08:00:00+07:00")
    (resent / "manifest.json").write_text(json.dumps(manifest))
    from crvs.feeds.loader import ingest_path

    assert ingest_path(resent).outcome == "LOADED"  # no feed checks yet: the gate runs them
    result = run_gate("2025Q3")
    assert result.passed, result.summary()
    checked = conn.execute("select count(*) from quality.feed_checks where delivery_id = 'MOH-2025Q3-0002'")
    assert checked.fetchone()[0] > 0
    assert gate_runs(conn)[before:] == [(q, True) for q in ("2025Q3", "2025Q4", "2025Q3", "2025Q3")]
    # Nothing of a run's definitions is left in the File context: only results and the docs.
    gx_root = runner.context_root() / "gx"
    for folder in ("expectations", "checkpoints", "validation_definitions"):
        assert [p.name for p in (gx_root / folder).glob("*") if not p.name.startswith(".")] == []
    assert "fluent_datasources" not in (gx_root / "great_expectations.yml").read_text()


def test_two_gates_at_once_in_two_processes_both_pass(built, tmp_path):
    conn = built["conn"]
    before = len(gate_runs(conn))
    # The same quarter (the same checkpoint's names); --recheck: one also runs every feed check of
    # the quarter's deliveries meanwhile.
    first = crvs("gate", "--quarter", "2025Q3", "--recheck", cwd=tmp_path)
    second = crvs("gate", "--quarter", "2025Q3", cwd=tmp_path)
    outputs = [p.communicate(timeout=300) for p in (first, second)]

    for process, (out, err) in zip((first, second), outputs):
        assert process.returncode == 0, err
        assert "Traceback" not in err, err
        assert out.strip().splitlines()[-1].startswith("Gate 2025Q"), out
    assert gate_runs(conn)[before:] == [("2025Q3", True), ("2025Q3", True)]
    assert runner.data_docs_index().is_file()


def test_a_broken_or_older_gx_context_is_replaced_not_fatal(built):
    def run_gate(quarter):  # one small suite: what is tested is the File context, written by every run
        return run_full_gate(quarter, suites=[SUITES.t2_births_by_sex()])

    gx_root = runner.context_root() / "gx"
    config = gx_root / "great_expectations.yml"
    text = config.read_text()
    # A write cut short (a killed process, or two writers at once before the lock): GX cannot parse it.
    config.write_text(text[: len(text) // 2] + "\n  broken: [unterminated\n")
    assert run_gate("2025Q3").passed
    assert "broken" not in config.read_text()

    # An older version's layout: its query assets in the yml, its suites and checkpoints stored.
    config.write_text(
        text + "fluent_datasources:\n  warehouse:\n    type: postgres\n"
        "    connection_string: ${CRVS_GX_WAREHOUSE_URL}\n"
    )
    (gx_root / "expectations" / "gate_2025Q3").mkdir(parents=True, exist_ok=True)
    (gx_root / "expectations" / "gate_2025Q3" / "rpt_t2_births_by_sex.json").write_text('{"name": "stale"}')
    (gx_root / "checkpoints" / "gate_2025Q3.json").write_text('{"name": "stale"}')

    assert run_gate("2025Q3").passed
    assert "fluent_datasources" not in config.read_text()
    assert not (gx_root / "expectations" / "gate_2025Q3").exists()
    assert not (gx_root / "checkpoints" / "gate_2025Q3.json").exists()


def test_a_gx_failure_is_one_line_and_a_recorded_failed_run(built):
    conn = built["conn"]
    # Two suites of one name: GX itself refuses the second one while building the run.
    suite = ModelSuite("rpt_t2_births_by_sex", (rows_check("anything", "select * from {batch} where false"),))

    result = run_gate("2025Q3", suites=[suite, suite])

    assert not result.passed
    (failure,) = result.blocking_failures
    assert (failure.table, failure.name) == ("gate", "the checks ran")
    assert failure.observed.startswith("GX could not run the checks gate_2025Q3: ")
    assert "\n" not in result.summary()
    assert result.summary().startswith("Gate 2025Q3 FAILED on 1 blocking check(s): gate: the checks ran — GX could")
    recorded = conn.execute(
        "select passed, results ->> 'summary' from quality.gate_runs where run_id = %s", (result.run_id,)
    ).fetchone()
    assert recorded == (False, result.summary())
