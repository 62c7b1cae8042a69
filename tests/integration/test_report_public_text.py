"""The public edition's text carries no figure of the gate's findings (report.md "Two audiences"):
a quarter with many warnings, its public PDF (front page and quality annex), public workbook (Cover,
Notes), a public recipient's manifest and e-mail, against the agency edition, which keeps the detail."""

from __future__ import annotations

import email
import email.policy
import json
import re

import openpyxl
import pytest
from pypdf import PdfReader
from report_quarter import QUARTER, fill_quarter, skew_the_sex_ratio

from crvs.audit import audit_public_edition
from crvs.delivery import Recipient, Recipients, deliver_quarter
from crvs.quality import run_gate
from crvs.report import quality_vi, write_report

# `name=value`, the way the gate writes an offending row.
ASSIGNMENT = re.compile(r"\b\w+=[^\s=]")
# A figure: digits not glued to letters (T8, 2025Q3 and rpt_t7 are names, not figures).
FIGURE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")


@pytest.fixture(scope="module")
def warned(module_warehouse, tmp_path_factory):
    import psycopg

    with psycopg.connect(module_warehouse, autocommit=True) as db:
        fill_quarter(db)
        # Warnings with values in them, on top of the fixture's own (01's death completeness 12.0 %):
        skew_the_sex_ratio(db)
        db.execute(
            "update reports.rpt_t7_marriages_by_age set age_band = '18-19', under_legal_age = spouses "
            "where region_code in ('NMM', 'VN') and sex = 'male' and age_band = '30-34'"
        )
        db.execute(
            "update reports.rpt_t9_data_quality set rows_loaded = 6000, rows_rejected = 300 "
            "where dataset = 'moj_births'"
        )
    gate = run_gate(QUARTER)
    assert gate.passed
    out = tmp_path_factory.mktemp("reports")
    folder = write_report(QUARTER, out, gate=gate)
    public = Recipient(
        id="press",
        name="Press",
        emails=("press@example.invalid",),
        audience="public",
        tables=("T2", "T7", "T8"),
        pdf=True,
    )
    portal = Recipient(
        id="portal",
        name="Portal",
        emails=("portal@example.invalid",),
        audience="public",
        tables=tuple(f"T{n}" for n in range(1, 10)),
        pdf=True,
    )
    outbox = out.parent / "outbox"
    deliver_quarter(
        QUARTER,
        reports=out,
        outbox=outbox,
        smtp=None,
        recipients=Recipients(sender="crvs@example.invalid", recipients=(public, portal)),
    )
    return gate, folder, outbox / QUARTER


def sheet_text(path, sheet) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [" ".join(str(v) for v in row if v is not None) for row in book[sheet].iter_rows(values_only=True)]


def test_the_quarter_has_many_warnings_with_values(warned):
    gate, folder, _ = warned
    described = [o.describe() for o in gate.warnings]
    # The findings as the gate words them: each of these names cells and their values.
    for needle in ("sex_ratio_at_birth=121.7", "death_completeness_pct=12.0", "under_legal_age=3", "rows_rejected=3"):
        assert any(needle in d for d in described), (needle, described)
    # The agency edition keeps them, word for word.
    agency_notes = sheet_text(folder / "agency" / f"crvs_{QUARTER}_agency.xlsx", "Notes")
    assert all(any(d in line for line in agency_notes) for d in described)


def public_lines(folder, outbox) -> dict[str, list[str]]:
    """Every public text a reader receives that is not a table, line by line, by where it is."""
    book = folder / "public" / f"crvs_{QUARTER}_public.xlsx"
    pages = [page.extract_text() for page in PdfReader(folder / "public" / f"crvs_{QUARTER}_report.pdf").pages]
    # The annex runs from its heading to the end; the contents page names it too, so it is not the first
    # page that mentions it.
    first = next(i for i, p in enumerate(pages) if "Quality annex" in p and "Mục lục" not in p)
    annex = "\n".join(pages[first:])
    texts = {
        "cover": sheet_text(book, "Cover"),
        "notes": sheet_text(book, "Notes"),
        "pdf page 1": pages[0].splitlines(),
        "pdf annex": annex.splitlines(),
    }
    for recipient in ("press", "portal"):
        folder_of = outbox / recipient
        manifest = next(folder_of.glob("*_manifest.json"))
        texts[f"{recipient} manifest gate"] = [json.dumps(json.loads(manifest.read_text())["gate"])]
        message = email.message_from_bytes((folder_of / "message.eml").read_bytes(), policy=email.policy.default)
        texts[f"{recipient} e-mail"] = [
            message["Subject"],
            *(p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/plain"),
        ]
        own_book = next(folder_of.glob("*.xlsx"))
        texts[f"{recipient} cover"] = sheet_text(own_book, "Cover")
        texts[f"{recipient} notes"] = sheet_text(own_book, "Notes")
    return texts


def test_no_public_text_carries_a_finding_or_its_value(warned):
    gate, folder, outbox = warned
    texts = public_lines(folder, outbox)
    for where, lines in texts.items():
        for line in lines:
            assert not ASSIGNMENT.search(line), (where, line)
            # The gate's findings go out as their public wording only: the line of a warning or of the
            # gate's verdict has no figure at all (the quarter's label is a name).
            if "warning" in line.lower() or "gate" in line.lower() or "expected range" in line:
                assert not FIGURE.search(line.replace(QUARTER, "")), (where, line)
    # What the public does read: the table and the kind of check.
    notes = texts["notes"]
    assert (
        "Warning T7 no spouse under the legal age: not met for some regions; the agency edition gives the detail"
        in notes
    )
    assert any(
        line.startswith("Warning T8 completeness: outside its expected range for some provinces") for line in notes
    )
    # The PDF says it in Vietnamese: what each kind of warning means, no check named.
    annex = " ".join(" ".join(texts["pdf annex"]).split())
    for kind in (
        ("rpt_t2_births_by_sex", "national sex ratio at birth"),
        ("rpt_t7_marriages_by_age", "no spouse under the legal age"),
        ("rpt_t8_completeness", "completeness"),
        ("rpt_t9_data_quality", "rows rejected"),
    ):
        assert f"• {quality_vi.WARNINGS[kind].meaning}" in annex, kind
    assert "outside its expected range" not in annex and "[WARNING]" not in annex
    front = " ".join(" ".join(texts["pdf page 1"]).split())
    assert f"{len(gate.warnings)} cảnh báo (" in front and "Gate" not in front
    # A recipient of only some tables reads only the warnings about them: T9's is not in press's notes.
    assert not any("T9" in line for line in texts["press notes"])
    assert any(
        "T9 rows rejected: outside its expected range for some deliveries" in line for line in texts["portal notes"]
    )


def test_the_disclosure_audit_finds_no_figure_in_what_each_public_recipient_receives(warned):
    """The black-box audit over the public edition and, per public recipient, its own manifest, files
    and e-mail: none carries a number its tables do not publish. The same audit fails when one
    warning goes out in the agency wording."""
    gate, folder, outbox = warned
    for recipient in ("press", "portal"):
        manifest = next((outbox / recipient).glob("*_manifest.json"))
        message = email.message_from_bytes(
            (outbox / recipient / "message.eml").read_bytes(), policy=email.policy.default
        )
        body = "\n".join(
            [
                message["Subject"],
                *(p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/plain"),
            ]
        )
        result = audit_public_edition(folder, manifest=manifest, extra_texts={"e-mail": body})
        assert result.passed, result.lines()

        finding = next(d for d in (o.describe() for o in gate.warnings) if "death_completeness_pct=12.0" in d)
        leaked = audit_public_edition(folder, manifest=manifest, extra_texts={"e-mail": body + "\n" + finding})
        assert not leaked.passed and {f.kind for f in leaked.findings} == {"text"}, leaked.lines()


def test_a_leaking_public_text_would_be_caught():
    """The two patterns above find what the gate's own wording carries."""
    leaked = (
        "rpt_t8_completeness: completeness within 50-120 % — 1 row(s): province_code=01, death_completeness_pct=12.0"
    )
    assert ASSIGNMENT.search(leaked) and FIGURE.search(leaked)
    assert not FIGURE.search("T8 completeness: outside its expected range for some provinces")
