"""Sample quarters (`crvs sample`) at two seeds and small scales, through the real loader, dbt, gate
and writer: the public edition the writer lets out passes the black-box disclosure audit, and the
manifest records what it lost. The same quarter under the old per-table suppression does not pass:
the audit can fail on real report models."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from crvs import audit, database, settings, transform
from crvs.devtools.bench_report import accept_blocking_bands
from crvs.devtools.sample import generate_quarter
from crvs.feeds import loader
from crvs.report import REPORT_TABLES, disclosure, pdf_map, write_report
from crvs.report.formats import typed_rows, write_csv
from crvs.report.writer import read_model

QUARTER = "2025Q3"


@pytest.mark.parametrize("seed, scale", [(20250, 0.002), (7, 0.005)])
def test_a_sample_quarters_public_edition_passes_the_audit(warehouse, tmp_path, seed, scale):
    folders = generate_quarter(QUARTER, scale, tmp_path / "inbox", seed=seed)
    assert [loader.ingest_path(f).outcome for f in folders] == [loader.LOADED] * len(folders)
    transform.build()
    folder = write_report(QUARTER, tmp_path / "reports", gate=accept_blocking_bands(QUARTER))

    result = audit.audit_public_edition(folder)
    assert result.passed, result.lines()
    # The public PDF has the map page (the tile-grid map of T8's published birth completeness).
    pages = [page.extract_text() for page in PdfReader(folder / "public" / f"crvs_{QUARTER}_report.pdf").pages]
    assert [p for p in pages if p.startswith("Bản đồ") and pdf_map.TITLE in p and "Nguồn:" in p], pages
    assert sum(s.hidden for s in result.tables.values()) > 0  # small quarters: something to protect
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    loss = {entry["table"]: entry for entry in manifest["disclosure_control"]["loss"]}
    assert set(loss) >= {t.code for t in REPORT_TABLES}
    assert all(0 <= entry["count_hidden"] <= entry["count_total"] for entry in loss.values())

    # The old suppression, each table alone, on the same models: the intruder holding all the tables
    # narrows some hidden cell under 5 (or the audit finds nothing to fail on, which would make this
    # test worthless: it must fail).
    old = tmp_path / "old" / QUARTER / "public"
    old.mkdir(parents=True)
    with database.connect(role=settings.GATE_ROLE) as conn:
        for table in REPORT_TABLES:
            rows = read_model(conn, table, QUARTER)
            write_csv(old / table.csv_name, table, typed_rows(table, disclosure.protect(table, rows)))
    leaking = audit.audit_public_edition(old)
    assert not leaking.passed
    assert "range" in {f.kind for f in leaking.findings}, leaking.lines()
