"""`crvs quarantine`: what the loader refused, for engineers — the deliveries refused whole and the
rows quarantined, each with file, row, column, rule and message, never a value from a file.

The listing is the dbt view intermediate.int_quarantine__refusals (live: a refusal shows as soon as
it is recorded); a quarter's deliveries are the one rule of reports.rpt_quarter_deliveries (as of the last
`crvs build`) and reports.rpt_quarter_rejected_deliveries (a view). Read as the gate's role in a
read-only session: the listing can change nothing.
"""

from __future__ import annotations

import csv
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from psycopg.rows import class_row

from crvs import database, settings
from crvs.quarter import check_quarter

LISTING = "intermediate.int_quarantine__refusals"


class QuarantineError(ValueError):
    """An unknown delivery or quarter, or a warehouse without the listing yet; one line."""


@dataclass(frozen=True)
class Refusal:
    kind: str  # DELIVERY (refused whole) or ROW (one row quarantined)
    agency: str | None
    delivery_id: str | None
    dataset: str | None
    file_name: str | None
    source_row: int | None
    column_name: str | None
    rule: str
    message: str

    def line(self) -> str:
        who = f"{self.agency or '?'} {self.delivery_id or '(no valid delivery_id)'}"
        if self.kind == "DELIVERY":
            return f"refused   {who}: {self.message}"
        return f"row       {who}: {self.message} [{self.rule}]"


COLUMNS = [f.name for f in fields(Refusal)]

SELECT = f"""
select {", ".join(COLUMNS)} from {LISTING} q
where (%(delivery)s::text is null or q.delivery_id = %(delivery)s)
  and (%(quarter)s::text is null
       or (q.kind = 'ROW' and (q.agency, q.delivery_id) in
           (select agency, delivery_id from reports.rpt_quarter_deliveries where quarter = %(quarter)s))
       or (q.kind = 'DELIVERY' and q.rejection_number in
           (select rejection_number from reports.rpt_quarter_rejected_deliveries where quarter = %(quarter)s)))
order by q.kind, q.rejection_number, q.agency, q.delivery_id, q.dataset, q.source_row
"""

KNOWN_DELIVERY = """
select exists (select 1 from raw.deliveries where delivery_id = %(delivery)s)
    or exists (select 1 from quarantine.rejected_deliveries where delivery_id = %(delivery)s)
"""

KNOWN_QUARTER = """
select exists (select 1 from reports.rpt_quarter_deliveries where quarter = %(quarter)s)
    or exists (select 1 from reports.rpt_quarter_rejected_deliveries where quarter = %(quarter)s)
"""


def list_refusals(delivery: str | None = None, quarter: str | None = None) -> list[Refusal]:
    """Every refusal, or those of one delivery (its id, any agency) or of the deliveries of a quarter."""
    if delivery is not None and quarter is not None:
        raise QuarantineError("give --delivery or --quarter, not both")
    params = {"delivery": delivery, "quarter": check_quarter(quarter) if quarter is not None else None}
    with database.connect(role=settings.GATE_ROLE) as conn:
        conn.read_only = True
        for relation in [LISTING] + (["reports.rpt_quarter_deliveries"] if quarter else []):
            if conn.execute("select to_regclass(%s)", (relation,)).fetchone()[0] is None:
                raise QuarantineError(f"{relation} does not exist yet: run `crvs build` first")
        if delivery is not None and not conn.execute(KNOWN_DELIVERY, params).fetchone()[0]:
            raise QuarantineError(f"no delivery {delivery!r} was loaded or refused")
        if quarter is not None and not conn.execute(KNOWN_QUARTER, params).fetchone()[0]:
            raise QuarantineError(f"no delivery fed or was refused for {quarter} (as of the last `crvs build`)")
        with conn.cursor(row_factory=class_row(Refusal)) as cur:
            return cur.execute(SELECT, params).fetchall()


def write_csv(path: Path, refusals: list[Refusal]) -> None:
    """The listing as CSV, one row per refusal (empty fields where a column does not apply). A cell
    a spreadsheet would take for a formula (=, +, -, @) is written with a leading apostrophe."""

    def cell(value):
        text = "" if value is None else str(value)
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text

    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([cell(v) for v in astuple(r)] for r in refusals)
