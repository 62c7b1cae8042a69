"""The one place where a quality-gate finding becomes English text the public may read (the
workbooks' Cover and Notes, the manifest; the PDF says it in Vietnamese: crvs/report/quality_vi.py).

The gate describes what it saw with the cell values (`province_code=12, death_completeness_pct=11.9`),
and the agency edition keeps that detail. The public edition (PDF, workbook Cover and Notes, a
public recipient's manifest and e-mail) must carry no figure its tables do not publish (report.md,
"Two audiences"): a value quoted from a warning can give a hidden cell back (11.9 % of 8.4 expected
deaths = 1). So public text names the table and what kind of check it was, never a value, a count
of rows, a list of provinces or the check's thresholds: it says where the detail is instead.

    public_warning(outcome)   → "T8 completeness: outside its expected range for some provinces; …"
    public_gate_line(gate)    → "Gate 2025Q3 passed with quality warnings: see the Notes"
"""

from __future__ import annotations

import re

from crvs.report.tables import REPORT_TABLES

# Where the detail is, said once.
SEE_AGENCY_EDITION = "the agency edition gives the detail"

# The key of an offending row names what the warning is about (its first column).
_UNITS = {
    "province_code": "provinces",
    "region_code": "regions",
    "delivery_id": "deliveries",
    "agency": "agencies",
    "dataset": "datasets",
}

# From the first number on, a check's name states its threshold ("within 50-120 %", "under 1 %",
# "where births >= 1000"); the words before it say what is checked. A preposition or comparison
# left dangling at the cut goes too.
_THRESHOLD = re.compile(
    r"[\s(]*(?:(?:within|under|over|below|above|between|at most|at least|where|of)\s+)*"
    r"(?:[<>=≤≥±]+\s*)?[\d±].*$",
    re.IGNORECASE | re.DOTALL,
)


def _table_label(model: str) -> str:
    """The report table's code for its model (rpt_t8_completeness → T8), else the model's own name."""
    for table in REPORT_TABLES:
        if table.model == model:
            return table.code
    return {"fct_registration": "Births (mother's age)"}.get(model, model)


def public_check_name(name: str) -> str:
    """A check's name without its thresholds: "completeness within 50-120 %" → "completeness"."""
    head = _THRESHOLD.sub("", name).strip(" ,;:-–(")
    return head or "plausibility check"


def _has_threshold(name: str) -> bool:
    return public_check_name(name) != name.strip()


def _units(outcome) -> str:
    rows = (outcome.details or {}).get("rows") or []
    first = next(iter(rows[0]), None) if rows and isinstance(rows[0], dict) else None
    if first is None and (outcome.details or {}).get("missing") is not None:
        first = "province_code"
    return _UNITS.get(first, "rows")


def public_warning(outcome) -> str:
    """A gate warning as the public may read it: the table and the kind of check, no value."""
    subject = public_check_name(outcome.name)
    verdict = "outside its expected range" if _has_threshold(outcome.name) else "not met"
    return f"{_table_label(outcome.table)} {subject}: {verdict} for some {_units(outcome)}; {SEE_AGENCY_EDITION}"


def public_acceptance(outcome) -> str:
    """A blocking finding a statistician accepted for the quarter, as the public may read it: no
    value, no threshold, not who accepted it or why (the agency edition has that)."""
    subject = public_check_name(outcome.name)
    return (
        f"{_table_label(outcome.table)} {subject}: outside its plausible range for some {_units(outcome)}, "
        f"reviewed and accepted for this quarter by the statistics office; {SEE_AGENCY_EDITION}"
    )


def public_warnings(gate) -> list[dict]:
    """Each warning of the gate, then each accepted blocking finding, in its public wording, with the
    model it is about (for recipients that receive only some tables)."""
    return [{"table": o.table, "text": public_warning(o)} for o in gate.warnings] + [
        {"table": o.table, "text": public_acceptance(o)} for o, _ in gate.accepted
    ]


def public_gate_line(quarter: str, passed: bool, warned: bool, where: str = "the Notes") -> str:
    """The gate's verdict without its findings (their public wording is in `where`)."""
    if not passed:
        return f"Gate {quarter} failed"
    if warned:
        return f"Gate {quarter} passed with quality warnings: see {where}"
    return f"Gate {quarter} passed: every check was met"
