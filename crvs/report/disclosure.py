"""Statistical disclosure control for the public edition, pure Python over one table's rows.

Rows are dicts column → value as the report model holds them. The steps (report.md "Two audiences"):

1. Primary: any count from 1 to 4 is suppressed; zero is published.
2. Complementary: in every additive line of the table — a row's parts with its total (T2 male +
   female + unknown = total), a column's provinces with VN — no line may hold exactly one
   suppressed cell, or subtraction gives it back. Such a line gets its smallest non-zero published
   part suppressed too (else its total, else a zero part), and we repeat until no line needs more.
   Then an audit solves all the lines together and hides more until no hidden cell is pinned
   down (`pinned_cells`).
3. Rates: a rate whose numerator (the smallest of its numerator counts) is below 20 is suppressed,
   and so is a rate any of whose inputs is suppressed (rate × published input would recover it).

Estimates (expected births) are not counts of people and are never suppressed.
`protect()` runs the three steps and returns the rows to publish, with SUPPRESSED in hidden cells.

`protect_quarter()` is what the writer uses (issue 12): all of a quarter's tables and charts together,
against the intruder of report.md (crvs/report/linkage.py: the links between tables, x ≥ 1, the
inequalities; crvs/report/protection.py: every hidden cell's provable range at least PROTECTION
wide), with the information lost per table. `protect()` (one table alone) remains for the unit tests
of the three steps; it does not withstand that intruder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import linprog

from crvs.model_contracts import COUNT, RATE
from crvs.report import linkage, protection
from crvs.report.tables import ReportTable

SUPPRESSED = "x"
PRIMARY_MAX = 4  # counts 1..PRIMARY_MAX are suppressed
RATE_MIN_NUMERATOR = 20  # rates need a numerator of at least this

Cell = tuple[int, str]  # (row index, column name)


@dataclass(frozen=True)
class Line:
    """An additive line of the table: the values of `parts` sum to the value of `total`."""

    parts: tuple[Cell, ...]
    total: Cell

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (*self.parts, self.total)


def primary_cells(table: ReportTable, rows: list[dict]) -> set[Cell]:
    counts = [c.name for c in table.of_kind(COUNT)]
    return {(i, c) for i, row in enumerate(rows) for c in counts if row[c] is not None and 1 <= row[c] <= PRIMARY_MAX}


def additive_lines(table: ReportTable, rows: list[dict]) -> list[Line]:
    """Every line along which a suppressed cell could be recovered by subtraction."""
    lines = [Line(tuple((i, p) for p in rt.parts), (i, rt.total)) for i in range(len(rows)) for rt in table.row_totals]
    ct = table.column_total
    if ct is not None:
        others = ct.group_keys(table.key_names)
        groups: dict[tuple, list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(tuple(row[k] for k in others), []).append(i)
        for members in groups.values():
            totals = [i for i in members if rows[i][ct.key] == ct.total_code]
            if len(totals) != 1:
                continue  # no national row in this group: nothing published to subtract from
            parts = [i for i in members if i != totals[0]]
            lines += [Line(tuple((i, c) for i in parts), (totals[0], c)) for c in ct.columns]
    return lines


def complementary_cells(table: ReportTable, rows: list[dict], suppressed: set[Cell]) -> set[Cell]:
    """`suppressed` grown until no additive line holds exactly one suppressed cell."""
    hidden = set(suppressed)
    lines = additive_lines(table, rows)
    order = {c: n for n, c in enumerate(table.column_names)}

    def rank(cell: Cell) -> tuple:
        return (rows[cell[0]][cell[1]], cell[0], order[cell[1]])  # smallest value, then a fixed order

    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line.cells) != 1:
                continue
            open_parts = sorted((c for c in line.parts if c not in hidden), key=rank)
            nonzero = [c for c in open_parts if rows[c[0]][c[1]]]
            if nonzero:
                pick = nonzero[0]
            elif line.total not in hidden and rows[line.total[0]][line.total[1]]:
                pick = line.total
            elif open_parts:
                pick = open_parts[0]
            else:
                pick = line.total
            hidden.add(pick)
            changed = True
    return hidden


def rate_cells(table: ReportTable, rows: list[dict], suppressed: set[Cell]) -> set[Cell]:
    cells = set()
    for column in table.of_kind(RATE):
        for i, row in enumerate(rows):
            numerators = [row[n] for n in column.numerator]
            too_small = any(v is None for v in numerators) or min(numerators) < RATE_MIN_NUMERATOR
            if too_small or any((i, name) in suppressed for name in column.inputs):
                cells.add((i, column.name))
    return cells


def pinned_cells(table: ReportTable, rows: list[dict], hidden: set[Cell]) -> set[Cell]:
    """Hidden cells that the published cells pin down when every additive line is solved together
    (counts ≥ 0): for each, the smallest and largest value it can take (two linear programmes); a
    range holding one whole number gives it away. Step 2's one-line rule misses these, e.g. a row
    whose hidden part equals its hidden total (the other parts are 0) combined with a column."""
    lines = [line for line in additive_lines(table, rows) if any(cell in hidden for cell in line.cells)]
    unknowns = sorted({cell for line in lines for cell in line.cells if cell in hidden})
    if not unknowns:
        return set()
    index = {cell: n for n, cell in enumerate(unknowns)}
    a_eq, b_eq = [], []
    for line in lines:
        coefficients, rhs = [0] * len(unknowns), 0
        for cell in line.parts:
            if cell in index:
                coefficients[index[cell]] += 1
            else:
                rhs -= rows[cell[0]][cell[1]]
        if line.total in index:
            coefficients[index[line.total]] -= 1
        else:
            rhs += rows[line.total[0]][line.total[1]]
        a_eq.append(coefficients)
        b_eq.append(rhs)
    pinned = set()
    for cell, n in index.items():
        objective = [0] * len(unknowns)
        objective[n] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog([-v for v in objective], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and math.floor(-high.fun + 1e-6) == math.ceil(low.fun - 1e-6):
            pinned.add(cell)
    return pinned


def suppressed_cells(table: ReportTable, rows: list[dict]) -> set[Cell]:
    """Primary, then complementary suppression, audited: while some hidden cell can still be
    pinned down from all the totals together, hide the smallest published cell beside it (in one
    of its lines, else in any line holding a hidden cell) and complete the lines again."""
    hidden = complementary_cells(table, rows, primary_cells(table, rows))
    lines = additive_lines(table, rows)
    order = {c: n for n, c in enumerate(table.column_names)}

    def rank(cell: Cell) -> tuple:  # published non-zero cells first, smallest first, then a fixed order
        value = rows[cell[0]][cell[1]]
        return (value == 0, value, cell[0], order[cell[1]])

    while exposed := pinned_cells(table, rows, hidden):
        cell = min(exposed, key=rank)
        beside = [c for line in lines if cell in line.cells for c in line.cells if c not in hidden]
        if not beside:
            beside = [
                c for line in lines if any(x in hidden for x in line.cells) for c in line.cells if c not in hidden
            ]
        if not beside:
            break  # every cell of every line is hidden already
        hidden = complementary_cells(table, rows, hidden | {min(beside, key=rank)})
    return hidden | rate_cells(table, rows, hidden)


def protect(table: ReportTable, rows: list[dict]) -> list[dict]:
    """The rows to publish: the same values, SUPPRESSED in every hidden cell."""
    hidden = suppressed_cells(table, rows)
    return [{c: (SUPPRESSED if (i, c) in hidden else v) for c, v in row.items()} for i, row in enumerate(rows)]


PROTECTION = protection.PROTECTION


class PublicationBlocked(RuntimeError):
    """The public edition may not go out: disclosure control could not protect it, or the
    disclosure audit of the files as written failed. The message names tables and kinds, no value."""


class DisclosureError(PublicationBlocked):
    """Disclosure control could not protect every hidden cell; nothing is written."""


@dataclass(frozen=True)
class Loss:
    """What a table gives up: its hidden cells and the share of its counts they hold."""

    code: str
    counts_hidden: int  # count cells
    rates_hidden: int  # rate cells
    hidden_total: int  # the sum of the hidden counts
    count_total: int  # the sum of all its counts

    @property
    def cells_hidden(self) -> int:
        return self.counts_hidden + self.rates_hidden

    @property
    def share_hidden(self) -> float:
        """Per cent of the table's counts (summed) that are hidden."""
        return 100.0 * self.hidden_total / self.count_total if self.count_total else 0.0

    def line(self) -> str:
        return (
            f"{self.code}: {self.cells_hidden} cells hidden ({self.counts_hidden} counts, {self.rates_hidden} rates), "
            f"{self.share_hidden:.2f} % of its count hidden"
        )

    def to_json(self) -> dict:
        return {
            "table": self.code,
            "cells_hidden": self.cells_hidden,
            "counts_hidden": self.counts_hidden,
            "rates_hidden": self.rates_hidden,
            "share_of_count_hidden_pct": round(self.share_hidden, 2),
            "count_hidden": self.hidden_total,
            "count_total": self.count_total,
        }

    @classmethod
    def from_json(cls, entry: dict) -> "Loss":
        return cls(
            entry["table"], entry["counts_hidden"], entry["rates_hidden"], entry["count_hidden"], entry["count_total"]
        )


@dataclass(frozen=True)
class Protected:
    published: dict[str, list[dict]]  # by table code: the rows with SUPPRESSED in hidden cells
    loss: dict[str, Loss]


def suppressed_cells_of_quarter(tables: list[tuple[ReportTable, list[dict]]]) -> dict[str, set[Cell]]:
    """The hidden cells of each table (by code) after all three steps."""
    values, relations = linkage.relations(tables)
    sensitive = {(table.code, i, c) for table, rows in tables for i, c in primary_cells(table, rows)}
    hidden, failed = protection.protect_cells(values, relations, sensitive)
    if failed:
        raise DisclosureError(
            f"{len(failed)} hidden cell(s) cannot be protected, e.g. "
            + ", ".join(f"{code} row {i + 1} {column}" for code, i, column in sorted(failed)[:5])
        )
    by_table = {table.code: {(i, c) for code, i, c in hidden if code == table.code} for table, _ in tables}
    for table, rows in tables:
        by_table[table.code] |= rate_cells(table, rows, by_table[table.code])
    return by_table


def protect_quarter(tables: list[tuple[ReportTable, list[dict]]]) -> Protected:
    """The public rows of every table (report tables and chart tables together) and the loss of each."""
    hidden = suppressed_cells_of_quarter(tables)
    published, loss = {}, {}
    for table, rows in tables:
        cells = hidden[table.code]
        published[table.code] = [
            {c: (SUPPRESSED if (i, c) in cells else v) for c, v in row.items()} for i, row in enumerate(rows)
        ]
        counts = [c.name for c in table.of_kind(COUNT)]
        loss[table.code] = Loss(
            code=table.code,
            counts_hidden=sum(c in counts for _, c in cells),
            rates_hidden=sum(c not in counts for _, c in cells),
            hidden_total=sum(int(rows[i][c]) for i, c in cells if c in counts),
            count_total=sum(int(row[c]) for row in rows for c in counts if row[c] is not None),
        )
    return Protected(published, loss)
