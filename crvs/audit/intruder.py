"""The black-box disclosure audit of a public edition: the intruder of report.md ("Two audiences"), as code.

It reads only the files the public receives — `{out}/{quarter}/public/`: the T*.csv, the workbook's
sheets, the PDF's text (and a public manifest.json when there is one) — and never the suppression's
code or its assumptions: everything it knows about the tables is written out below from report.md
(which columns are counts, estimates and rates, their totals, the regions, the rates' numerators and
denominators), plus two public facts: the tables' column names and order, as the report models' dbt
YAML contracts declare them (`crvs.model_contracts.contract_columns`: names and data types only, not
the `meta` the suppression reads), and the region of each province, taken from the project's seed
`province_regions.csv` (report.md: "by a rule the project documents": a 2025 province lies in the
region of the PRE2025 province whose code it kept).

**What the intruder knows** (report.md "Two audiences"), each turned into linear constraints over
one unknown per suppressed count (`x`):

- each row's total: T2 and T5 `male + female + unknown = total`;
- T10's rows: `registered_male + registered_female + registered_unknown = registered`, and its
  regions add up to (at most) VN within each time limit and event;
- the `VN` / `NATIONAL` rows: the provinces (T2, T6, T8) or regions (T3, T4, T5, T7, T10) of each column
  add up to the national row. Where the table's definitions say the national row also counts events
  whose residence is unknown (T2–T6, T8), the national row is *at least* the sum, and that remainder
  is the same events in every column (so it obeys the column inequalities too);
- which province lies in which region, and that T2, T3 and T4 count the same births (per region and
  VN: T2's provinces of a region = T3's bands of that region = T4's places × timeliness of it), T5
  and T6 the same deaths (T6's provinces of a region = T5's bands of that region);
- the common rules (report.md "Counted events"): T1's NEW rows are the same registrations, counted
  by registration province: its NEW births are T2's VN births (and by timeliness T4's VN), its NEW
  deaths T6's VN deaths (on time: T6's on_time), and every NEW marriage has two spouses in T7, by
  the registration region (so T1's NEW marriages of a region × 2 = T7's spouses of that region);
- T11 (the trend, nationally): its row of the report quarter is that quarter's T1 NEW births,
  deaths (each on time too) and marriages, and T8's VN births and deaths on time; its rows of
  earlier quarters share no cell with this quarter's tables (their revisions between editions: see
  docs/report.md, T11);
- the definition of `under_legal_age` (women under 18, men under 20): in T7 it equals `spouses` in
  the bands wholly under the legal age and is 0 in the bands wholly over it;
- zero is published, so an `x` count is at least 1;
- the column inequalities: on_time ≤ deaths, certified ≤ deaths, ill_defined ≤ with_cause ≤
  deaths, first_marriages ≤ spouses, under_legal_age ≤ spouses, facility_births_registered ≤
  facility_live_births, foreign_element ≤ registrations;
- every published rate to its one decimal: a published p means p − 0.05 ≤ 100 · num / den ≤ p + 0.05
  (the model rounds half away from zero, so the true upper end is open; the closed interval is the
  intruder's slightly weaker knowledge). With both sides unknown it is still linear:
  (p − 0.05) · den ≤ 100 · num ≤ (p + 0.05) · den. A published estimate (T8 expected events) is
  itself rounded to one decimal, so it stands for the interval e ± 0.05;
- the rule itself: a rate whose numerator is below 20 is suppressed, so a published rate says its
  numerator is at least 20.

**Solving.** For every `x` the lowest and the highest value it can take under all of it together is
a linear programme (scipy's HiGHS). The constraints split into independent groups of unknowns
(connected components of the constraint graph); each group is one small sparse LP, solved twice per
unknown. The intruder knows counts are whole numbers, so bounds round inward (low = ⌈min⌉, high =
⌊max⌋): the τ-Argus / sdcTable convention of an LP audit with integer rounding. A range the LP puts
from 5 up to 10 is solved again over whole numbers (an integer programme), which can narrow it
under 5 (docs/disclosure-audit.md).

**The rule.** report.md: the lowest and highest value "must differ by at least 5": an `x` passes when
high − low ≥ 5 (so [1, 5] fails, as issue 12 counts it; [1, 6] passes). An unbounded `x` passes.

Besides the ranges the audit fails the edition on figures in its text (`crvs.audit.text`),
on a workbook sheet that differs from its CSV, on a count from 1 to 4 or a rate on a numerator below
20 left published, and on tables that contradict the structure above (the model would be wrong).
"""

from __future__ import annotations

import csv
import math
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csc_matrix, vstack

from crvs.model_contracts import contract_columns

HIDDEN = "x"  # report.md: a suppressed cell "is written as `x`"
MIN_RANGE = 5  # report.md: lowest and highest provable value "must differ by at least 5"
PRIMARY_MAX = 4  # report.md: "any count from 1 to 4 is suppressed"
RATE_MIN_NUMERATOR = 20  # report.md: "a rate … whose numerator is below 20 is written as `x`"
HALF_DECIMAL = 0.05  # rates, ratios and estimates have one decimal place
NATIONAL_CODE = "VN"
_EPS = 1e-6  # LP tolerance before rounding inward
X_AT_LEAST_1 = -1  # a binding row "index" for the bounds x ≥ 1
EXACT_BELOW = 2 * MIN_RANGE  # LP ranges from 5 up to this are checked again over whole numbers


class AuditError(RuntimeError):
    """The folder cannot be audited (a file missing or not as report.md describes it)."""


# --- the tables, as report.md describes them ------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One published table: its file, its report model, its count columns, estimates and rates (num, den).

    The columns themselves — their names and order — are the model's dbt YAML contract
    (dbt_project/models/reports/[by_quarter/]<model>.yml, read by `crvs.model_contracts.contract_columns`): a
    column the intruder does not name here as a count, an estimate or a rate is a key (a label of
    the row). What the intruder knows of the columns' arithmetic — which are counts, which rate is
    which numerator over which denominator, the totals and inequalities — is written out here from
    report.md, and not taken from the contract's `meta` (which the suppression reads).
    """

    code: str
    file: str
    model: str  # the report model whose dbt contract declares the table's columns
    counts: tuple[str, ...]
    estimates: tuple[str, ...] = ()
    rates: tuple[tuple[str, str, str], ...] = ()  # (rate column, numerator, denominator)
    at_most: tuple[tuple[str, str], ...] = ()  # (a, b): a ≤ b in every row
    row_total: tuple[tuple[str, ...], str] | None = None  # (parts, total)
    geography: str | None = None  # the key column holding VN / a province / a region
    national_includes_unknown: bool = False  # VN also counts events of unknown residence
    columns: tuple[str, ...] = field(init=False)  # the contract's columns, in its order
    keys: tuple[str, ...] = field(init=False)  # the columns that are neither counts, estimates nor rates

    def __post_init__(self):
        contract = contract_columns(self.model)
        columns = tuple(c.name for c in contract)
        figures = {*self.counts, *self.estimates, *(r for r, _, _ in self.rates)}
        named = {
            *figures,
            *(c for _, n, d in self.rates for c in (n, d)),
            *(c for pair in self.at_most for c in pair),
            *(self.row_total[0] if self.row_total else ()),
            *((self.row_total[1],) if self.row_total else ()),
            *((self.geography,) if self.geography else ()),
        }
        missing = sorted(named - set(columns))
        if missing:
            raise AuditError(f"{self.code}: the contract of {self.model} has no column {', '.join(missing)}")
        # A number the intruder does not know as a count, estimate or rate would be read as a label
        # and escape the audit: refuse it (the contract's data_type says which columns hold numbers).
        unknown = [c.name for c in contract if c.name not in figures and c.data_type != "text"]
        if unknown:
            raise AuditError(f"{self.code}: the intruder does not know column {', '.join(unknown)} of {self.model}")
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "keys", tuple(c for c in columns if c not in figures))

    @property
    def sheet(self) -> str:
        return self.file.removesuffix(".csv")


SEXES = ("male", "female", "unknown")
SHAPES = {
    s.code: s
    for s in (
        Shape(
            "T1",
            "T1_registrations.csv",
            "rpt_t1_registrations",
            ("registrations", "foreign_element"),
            at_most=(("foreign_element", "registrations"),),
        ),
        Shape(
            "T2",
            "T2_births_by_sex.csv",
            "rpt_t2_births_by_sex",
            (*SEXES, "total"),
            rates=(("sex_ratio_at_birth", "male", "female"),),
            row_total=(SEXES, "total"),
            geography="province_code",
            national_includes_unknown=True,
        ),
        Shape(
            "T3",
            "T3_births_by_mother_age.csv",
            "rpt_t3_births_by_mother_age",
            ("births",),
            geography="region_code",
            national_includes_unknown=True,
        ),
        Shape(
            "T4",
            "T4_births_by_place.csv",
            "rpt_t4_births_by_place",
            ("births",),
            geography="region_code",
            national_includes_unknown=True,
        ),
        Shape(
            "T5",
            "T5_deaths_by_age_sex.csv",
            "rpt_t5_deaths_by_age_sex",
            (*SEXES, "total"),
            row_total=(SEXES, "total"),
            geography="geography_code",
            national_includes_unknown=True,
        ),
        Shape(
            "T6",
            "T6_deaths_quality.csv",
            "rpt_t6_deaths_quality",
            ("deaths", "on_time", "with_cause", "certified", "ill_defined"),
            rates=(
                ("on_time_pct", "on_time", "deaths"),
                ("certified_pct", "certified", "deaths"),
                ("ill_defined_pct", "ill_defined", "with_cause"),
            ),
            at_most=(
                ("on_time", "deaths"),
                ("certified", "deaths"),
                ("ill_defined", "with_cause"),
                ("with_cause", "deaths"),
            ),
            geography="province_code",
            national_includes_unknown=True,
        ),
        # T7 counts by registration region: the registration office is always known, VN = the regions.
        Shape(
            "T7",
            "T7_marriages_by_age.csv",
            "rpt_t7_marriages_by_age",
            ("spouses", "first_marriages", "under_legal_age"),
            at_most=(("first_marriages", "spouses"), ("under_legal_age", "spouses")),
            geography="region_code",
        ),
        Shape(
            "T8",
            "T8_completeness.csv",
            "rpt_t8_completeness",
            ("births_on_time", "deaths_on_time", "facility_live_births", "facility_births_registered"),
            estimates=("expected_births", "expected_deaths"),
            rates=(
                ("birth_completeness_pct", "births_on_time", "expected_births"),
                ("death_completeness_pct", "deaths_on_time", "expected_deaths"),
                ("facility_linkage_pct", "facility_births_registered", "facility_live_births"),
            ),
            at_most=(("facility_births_registered", "facility_live_births"),),
            geography="province_code",
            national_includes_unknown=True,
        ),
        # T10: each (time limit, event) counts one cohort of events by region of residence and sex;
        # its cohorts are not the events of T1–T8 (earlier quarters), so it links to no other table.
        Shape(
            "T10",
            "T10_completeness_by_period.csv",
            "rpt_t10_completeness_by_period",
            ("registered_male", "registered_female", "registered_unknown", "registered"),
            estimates=("expected_total", "expected_male", "expected_female"),
            rates=(
                ("completeness_pct", "registered", "expected_total"),
                ("male_completeness_pct", "registered_male", "expected_male"),
                ("female_completeness_pct", "registered_female", "expected_female"),
            ),
            row_total=(("registered_male", "registered_female", "registered_unknown"), "registered"),
            geography="region_code",
            national_includes_unknown=True,
        ),
        # T11, the trend: one row per quarter held (`period`) among the eight ending with the report
        # quarter, nationally; the row of the report quarter is that quarter's T1 NEW rows and T8 VN.
        Shape(
            "T11",
            "T11_trends.csv",
            "rpt_t11_trends",
            (
                "births",
                "births_on_time",
                "deaths",
                "deaths_on_time",
                "marriages",
                "birth_events_on_time",
                "death_events_on_time",
            ),
            estimates=("expected_births", "expected_deaths"),
            rates=(
                ("births_on_time_pct", "births_on_time", "births"),
                ("deaths_on_time_pct", "deaths_on_time", "deaths"),
                ("birth_completeness_pct", "birth_events_on_time", "expected_births"),
                ("death_completeness_pct", "death_events_on_time", "expected_deaths"),
            ),
            at_most=(("births_on_time", "births"), ("deaths_on_time", "deaths")),
        ),
        Shape(
            "T9",
            "T9_data_quality.csv",
            "rpt_t9_data_quality",
            ("rows_received", "rows_loaded", "rows_rejected"),
        ),
    )
}

# T7: under the legal age = women under 18, men under 20 (report.md); the marriage bands are
# <18, 18-19, 20-24, …, 55-59, 60+ and UNKNOWN.
UNDER_LEGAL_AGE_BANDS = {"male": {"<18", "18-19"}, "female": {"<18"}}
UNKNOWN_BAND = "UNKNOWN"


def province_regions(seeds_dir: Path | None = None) -> dict[str, str]:
    """The region of each 2025 province: the region of the PRE2025 province whose code it kept (the
    project's documented rule), read from the public seed files."""
    if seeds_dir is None:
        from crvs import settings

        seeds_dir = settings.SEEDS_DIR
    with (Path(seeds_dir) / "admin_provinces.csv").open(encoding="utf-8", newline="") as f:
        codes_2025 = {r["province_code"] for r in csv.DictReader(f) if r["code_version"] == "2025"}
    with (Path(seeds_dir) / "province_regions.csv").open(encoding="utf-8", newline="") as f:
        old_regions = {
            r["province_code"]: r["region_code"] for r in csv.DictReader(f) if r["code_version"] == "PRE2025"
        }
    return {code: old_regions[code] for code in sorted(codes_2025) if code in old_regions}


# --- reading the public files ---------------------------------------------------------------------


@dataclass
class Table:
    shape: Shape
    path: Path
    rows: list[dict]  # column → int | Decimal | "x" | None | str (keys)

    def key(self, row: dict) -> tuple[str, ...]:
        return tuple(row[k] or "" for k in self.shape.keys if k != "quarter")


def _number(text: str, where: str):
    if text == "":
        return None
    if text == HIDDEN:
        return HIDDEN
    if not _PLAIN_NUMBER.fullmatch(text):  # not 'NaN', '1e3', ' 5': the CSV spells numbers plainly
        raise AuditError(f"{where}: {text!r} is neither a number, `x` nor empty")
    return int(text) if "." not in text else Decimal(text)


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def read_table(path: Path, shape: Shape) -> Table:
    try:
        return _read_table(path, shape)
    except (UnicodeDecodeError, csv.Error) as err:
        raise AuditError(f"{path}: not a readable UTF-8 CSV ({type(err).__name__})") from None


def _read_table(path: Path, shape: Shape) -> Table:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(header) != shape.columns:
            raise AuditError(f"{path}: the columns are {header}, the report's contract says {list(shape.columns)}")
        rows = []
        for line, values in enumerate(reader, start=2):
            if len(values) != len(header):
                raise AuditError(f"{path} row {line}: {len(values)} fields, the header has {len(header)}")
            row = {}
            for column, text in zip(header, values):
                if column in shape.keys:
                    row[column] = text
                else:
                    row[column] = _number(text, f"{path.name} row {line}, column {column}")
                    if column in shape.counts and isinstance(row[column], Decimal):
                        raise AuditError(f"{path.name} row {line}, column {column}: a count with decimals ({text})")
            rows.append(row)
    return Table(shape, path, rows)


def public_folder(folder: Path) -> Path:
    """DIR may be the quarter's folder or its public/ folder."""
    folder = Path(folder)
    if (folder / "public").is_dir():
        folder = folder / "public"
    if not folder.is_dir():
        raise AuditError(f"{folder} is not a folder")
    if not any(folder.glob("T*.csv")):
        raise AuditError(f"{folder} holds no published table (T*.csv)")
    return folder


def read_tables(folder: Path) -> dict[str, Table]:
    tables = {}
    for shape in SHAPES.values():
        path = folder / shape.file
        if path.is_file():
            tables[shape.code] = read_table(path, shape)
    return tables


# --- the constraints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    table: str
    key: tuple[str, ...]
    column: str

    def __str__(self) -> str:
        return f"{self.table} {'/'.join(k for k in self.key if k)} {self.column}"


class Expr:
    """A linear expression: Σ coef · unknown + const."""

    __slots__ = ("terms", "const")

    def __init__(self, terms: dict[int, float] | None = None, const: float = 0.0):
        self.terms = terms or {}
        self.const = const

    def __add__(self, other: Expr) -> Expr:
        terms = dict(self.terms)
        for var, coef in other.terms.items():
            terms[var] = terms.get(var, 0.0) + coef
        return Expr(terms, self.const + other.const)

    def __mul__(self, factor: float) -> Expr:
        return Expr({v: c * factor for v, c in self.terms.items()}, self.const * factor)

    def __sub__(self, other: Expr) -> Expr:
        return self + other * -1.0


def total(exprs) -> Expr:
    out = Expr()
    for e in exprs:
        out = out + e
    return out


@dataclass
class Model:
    """The unknowns (one per hidden count or estimate) and the constraints lo ≤ expr ≤ hi."""

    cells: list[Cell] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    index: dict[Cell, int] = field(default_factory=dict)
    rows: list[tuple[Expr, float, float, str]] = field(default_factory=list)
    rule_rows: set[int] = field(default_factory=set)  # from the suppression rule, not the figures
    contradictions: list[str] = field(default_factory=list)

    def unknown(self, cell: Cell, integer: bool) -> Expr:
        if cell not in self.index:
            self.index[cell] = len(self.cells)
            self.cells.append(cell)
            self.integer.append(integer)
        return Expr({self.index[cell]: 1.0})

    def add(self, expr: Expr, lo: float, hi: float, why: str, rule: bool = False) -> None:
        terms = {v: c for v, c in expr.terms.items() if c != 0.0}
        lo, hi = lo - expr.const, hi - expr.const
        if not terms:
            if lo > _EPS or hi < -_EPS:
                self.contradictions.append(why)
            return
        if rule:
            self.rule_rows.add(len(self.rows))
        self.rows.append((Expr(terms), lo, hi, why))

    def equal(self, a: Expr, b: Expr, why: str) -> None:
        self.add(a - b, 0.0, 0.0, why)

    def at_most(self, a: Expr, b: Expr, why: str) -> None:
        self.add(b - a, 0.0, math.inf, why)


class Builder:
    """Turns the published tables into the intruder's constraints (the module docstring's list)."""

    def __init__(self, tables: dict[str, Table], regions: dict[str, str]):
        self.tables = tables
        self.regions = regions
        self.model = Model()

    # the value of one cell: a constant when published, an unknown when `x`, None when empty (a
    # published estimate stands for e ± 0.05; `rate` widens it where it divides)
    def value(self, table: Table, row: dict, column: str) -> Expr | None:
        v = row[column]
        if v is None:
            return None
        if v == HIDDEN:
            return self.model.unknown(
                Cell(table.shape.code, table.key(row), column), integer=column in table.shape.counts
            )
        return Expr(const=float(v))

    def covers(self, code: str, where) -> bool:
        """Does the table have a row for this geography? T2–T8 are full grids (zeros included), so a
        geography they lack is one they do not cover, not a zero (T1, sparse, is never asked)."""
        return any(where(row) for row in self.tables[code].rows)

    def col(self, code: str, column: str, where=lambda row: True) -> Expr:
        table = self.tables[code]
        return total(e for row in table.rows if where(row) for e in [self.value(table, row, column)] if e is not None)

    def build(self) -> Model:
        for table in self.tables.values():
            self.within_rows(table)
            self.national_rows(table)
        self.same_births()
        self.same_deaths()
        self.same_registrations()
        self.legal_age()
        self.trend_of_the_quarter()
        return self.model

    def within_rows(self, table: Table) -> None:
        shape = table.shape
        for row in table.rows:
            where = f"{shape.code} {'/'.join(k for k in table.key(row) if k)}"
            for column in (*shape.counts, *shape.estimates):
                if row[column] == HIDDEN:
                    self.value(table, row, column)  # every hidden count is an unknown (≥ 1)
            if shape.row_total:
                parts, whole = shape.row_total
                values = [self.value(table, row, c) for c in (*parts, whole)]
                if None not in values:
                    self.model.equal(total(values[:-1]), values[-1], f"{where}: {' + '.join(parts)} = {whole}")
            for a, b in shape.at_most:
                ea, eb = self.value(table, row, a), self.value(table, row, b)
                if ea is not None and eb is not None:
                    self.model.at_most(ea, eb, f"{where}: {a} ≤ {b}")
            for rate, num, den in shape.rates:
                self.rate(table, row, rate, num, den, where)

    def rate(self, table: Table, row: dict, rate: str, num: str, den: str, where: str) -> None:
        p = row[rate]
        if p is None or p == HIDDEN:
            return
        p = float(p)
        lo_p, hi_p = max(p - HALF_DECIMAL, 0.0), p + HALF_DECIMAL
        n, d = self.value(table, row, num), self.value(table, row, den)
        if n is None or d is None:
            return
        why = f"{where}: {rate} {p:.1f} = 100 · {num} / {den}"
        if den in table.shape.estimates and row[den] != HIDDEN:
            # a published estimate is rounded too: den ∈ [e − 0.05, e + 0.05]
            e = float(row[den])
            self.model.add(n * 100.0, lo_p * max(e - HALF_DECIMAL, 0.0), hi_p * (e + HALF_DECIMAL), why)
        else:
            self.model.add(n * 100.0 - d * lo_p, 0.0, math.inf, why)
            self.model.add(n * 100.0 - d * hi_p, -math.inf, 0.0, why)
        # the rule: a rate on a numerator below 20 is suppressed, so this one's is at least 20 (a
        # published numerator below 20 is a primary-rule finding of its own)
        if n.terms:
            self.model.add(
                n,
                RATE_MIN_NUMERATOR,
                math.inf,
                f"{where}: {rate} published, so {num} ≥ {RATE_MIN_NUMERATOR}",
                rule=True,
            )

    def national_rows(self, table: Table) -> None:
        """Each column of the national row against the sum of the provinces / regions with the same other keys."""
        shape = table.shape
        if shape.geography is None:
            return
        groups: dict[tuple, dict] = defaultdict(lambda: {"national": None, "parts": []})
        for row in table.rows:
            other = tuple(row[k] for k in shape.keys if k not in ("quarter", shape.geography, "geography_level"))
            if row[shape.geography] == NATIONAL_CODE:
                groups[other]["national"] = row
            else:
                groups[other]["parts"].append(row)
        for other, group in groups.items():
            national = group["national"]
            if national is None or not group["parts"]:
                continue
            where = f"{shape.code} {'/'.join(o for o in other if o)}".strip()
            remainder = {}
            for column in shape.counts:
                vn = self.value(table, national, column)
                parts = [self.value(table, r, column) for r in group["parts"]]
                if vn is None or None in parts:
                    continue
                remainder[column] = vn - total(parts)
                if shape.national_includes_unknown:
                    self.model.add(remainder[column], 0.0, math.inf, f"{where}: VN {column} ≥ Σ parts")
                else:
                    self.model.add(remainder[column], 0.0, 0.0, f"{where}: VN {column} = Σ parts")
            if shape.national_includes_unknown:
                # the events of unknown residence obey the table's own structure
                if shape.row_total and all(c in remainder for c in (*shape.row_total[0], shape.row_total[1])):
                    self.model.equal(
                        total(remainder[c] for c in shape.row_total[0]),
                        remainder[shape.row_total[1]],
                        f"{where}: unknown residence, {' + '.join(shape.row_total[0])} = total",
                    )
                for a, b in shape.at_most:
                    if a in remainder and b in remainder:
                        self.model.at_most(remainder[a], remainder[b], f"{where}: unknown residence, {a} ≤ {b}")
            for column in shape.estimates:  # sums of rounded estimates: within the rounding
                vn = self.value(table, national, column)
                parts = [self.value(table, r, column) for r in group["parts"]]
                if vn is None or None in parts or not (vn.terms or any(p.terms for p in parts)):
                    continue
                slack = HALF_DECIMAL * (len(parts) + 1)
                self.model.add(vn - total(parts), -slack, math.inf, f"{where}: VN {column} ≈ Σ parts")

    def same_births(self) -> None:
        """T2 (provinces), T3 and T4 (regions) count the same NEW births: per region and for VN."""
        for geo in (*self.region_codes, NATIONAL_CODE):
            where = {
                "T2": self.t2_geo(geo),
                "T3": lambda r, g=geo: r["region_code"] == g,
                "T4": lambda r, g=geo: r["region_code"] == g,
            }
            sums = {
                code: self.col(code, "total" if code == "T2" else "births", where[code])
                for code in ("T2", "T3", "T4")
                if code in self.tables and self.covers(code, where[code])
            }
            first, *rest = sums or [None]
            for other in rest:
                self.model.equal(sums[first], sums[other], f"{geo}: {first} births = {other} births")

    def same_deaths(self) -> None:
        """T6 (provinces) and T5 (regions, NATIONAL) count the same NEW deaths."""
        if "T5" not in self.tables or "T6" not in self.tables:
            return
        for geo in (*self.region_codes, NATIONAL_CODE):
            t6_where = self.t2_geo(geo)
            t5_where = (
                (lambda r: r["geography_level"] == "NATIONAL")
                if geo == NATIONAL_CODE
                else (lambda r, g=geo: r["geography_level"] == "REGION" and r["geography_code"] == g)
            )
            if self.covers("T6", t6_where) and self.covers("T5", t5_where):
                self.model.equal(
                    self.col("T6", "deaths", t6_where),
                    self.col("T5", "total", t5_where),
                    f"{geo}: T6 deaths = T5 deaths",
                )

    @property
    def region_codes(self) -> list[str]:
        return sorted(set(self.regions.values()))

    def t2_geo(self, geo: str):
        """The rows of a province table (T2, T6) that make up `geo`: its VN row, or a region's provinces."""
        if geo == NATIONAL_CODE:
            return lambda r: r["province_code"] == NATIONAL_CODE
        return lambda r: self.regions.get(r["province_code"]) == geo

    def same_registrations(self) -> None:
        """T1's NEW rows are the registrations T2–T7 count (report.md "Counted events"). T1 is sparse:
        a registration kind with no row is zero there."""
        if "T1" not in self.tables:
            return

        def t1(event: str, timeliness: str | None = None, region: str | None = None) -> Expr:
            return self.col(
                "T1",
                "registrations",
                lambda r: (
                    r["event_type"] == event
                    and r["reg_kind"] == "NEW"
                    and (timeliness is None or r["timeliness"] == timeliness)
                    and (region is None or self.regions.get(r["province_code"]) == region)
                ),
            )

        def vn(r):
            return r.get("province_code", r.get("region_code")) == NATIONAL_CODE

        if "T2" in self.tables and self.covers("T2", vn):
            self.model.equal(t1("BIRTH"), self.col("T2", "total", vn), "VN: T1 NEW births = T2 births")
        if "T4" in self.tables and self.covers("T4", vn):
            for timeliness in sorted({r["timeliness"] for r in self.tables["T4"].rows}):
                self.model.equal(
                    t1("BIRTH", timeliness),
                    self.col("T4", "births", lambda r, t=timeliness: vn(r) and r["timeliness"] == t),
                    f"VN: T1 NEW births {timeliness} = T4 births {timeliness}",
                )
        if "T6" in self.tables and self.covers("T6", vn):
            self.model.equal(t1("DEATH"), self.col("T6", "deaths", vn), "VN: T1 NEW deaths = T6 deaths")
            self.model.equal(
                t1("DEATH", "ON_TIME"), self.col("T6", "on_time", vn), "VN: T1 NEW deaths ON_TIME = T6 on_time"
            )
        if "T7" in self.tables:
            for geo in (*self.region_codes, NATIONAL_CODE):
                in_geo = lambda r, g=geo: r["region_code"] == g  # noqa: E731
                if not self.covers("T7", in_geo):
                    continue
                marriages = t1("MARRIAGE") if geo == NATIONAL_CODE else t1("MARRIAGE", region=geo)
                self.model.equal(
                    marriages * 2.0, self.col("T7", "spouses", in_geo), f"{geo}: T1 NEW marriages × 2 = T7 spouses"
                )

    def trend_of_the_quarter(self) -> None:
        """T11's row of the report quarter: its NEW births, deaths (each on time too) and marriages are
        T1's NEW rows of the quarter, its events on time T8's VN births_on_time and deaths_on_time."""
        table = self.tables.get("T11")
        if table is None:
            return
        for row in table.rows:
            if row["period"] != row["quarter"]:
                continue
            for column, event, timeliness in (
                ("births", "BIRTH", None),
                ("births_on_time", "BIRTH", "ON_TIME"),
                ("deaths", "DEATH", None),
                ("deaths_on_time", "DEATH", "ON_TIME"),
                ("marriages", "MARRIAGE", None),
            ):
                own = self.value(table, row, column)
                if own is None or "T1" not in self.tables:
                    continue
                t1 = self.col(
                    "T1",
                    "registrations",
                    lambda r, e=event, t=timeliness: (
                        r["event_type"] == e and r["reg_kind"] == "NEW" and (t is None or r["timeliness"] == t)
                    ),
                )
                self.model.equal(own, t1, f"T11 {row['period']}: {column} = T1 NEW {event} {timeliness or ''}".strip())
            vn = lambda r: r["province_code"] == NATIONAL_CODE  # noqa: E731
            if "T8" not in self.tables or not self.covers("T8", vn):
                continue
            for column, t8_column in (
                ("birth_events_on_time", "births_on_time"),
                ("death_events_on_time", "deaths_on_time"),
            ):
                own = self.value(table, row, column)
                if own is not None:
                    self.model.equal(
                        own, self.col("T8", t8_column, vn), f"T11 {row['period']}: {column} = T8 VN {t8_column}"
                    )

    def legal_age(self) -> None:
        """T7 under_legal_age = spouses in the bands wholly under the legal age, 0 in those over it."""
        table = self.tables.get("T7")
        if table is None:
            return
        for row in table.rows:
            if row["age_band"] == UNKNOWN_BAND or row["sex"] not in UNDER_LEGAL_AGE_BANDS:
                continue
            ula, spouses = self.value(table, row, "under_legal_age"), self.value(table, row, "spouses")
            if ula is None or spouses is None:
                continue
            where = f"T7 {'/'.join(table.key(row))}"
            if row["age_band"] in UNDER_LEGAL_AGE_BANDS[row["sex"]]:
                self.model.equal(ula, spouses, f"{where}: all under the legal age")
            else:
                self.model.equal(ula, Expr(), f"{where}: none under the legal age")


# --- solving --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    cell: Cell
    low: float  # ⌈LP minimum⌉ (counts)
    high: float  # ⌊LP maximum⌋, or inf
    via: tuple[str, ...] = field(default=(), compare=False)  # the knowledge that bounds it (binding rows)

    @property
    def width(self) -> float:
        return self.high - self.low

    def __str__(self) -> str:
        high = "∞" if math.isinf(self.high) else f"{self.high:g}"
        return f"{self.cell} ∈ [{self.low:g}, {high}]"


def _components(n: int, rows: list[tuple[Expr, float, float, str]]) -> list[tuple[list[int], list[int]]]:
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for expr, *_ in rows:
        first, *others = expr.terms
        for other in others:
            a, b = find(first), find(other)
            if a != b:
                parent[a] = b
    variables, constraints = defaultdict(list), defaultdict(list)
    for i in range(n):
        variables[find(i)].append(i)
    for r, (expr, *_) in enumerate(rows):
        constraints[find(next(iter(expr.terms)))].append(r)
    return [(variables[root], constraints.get(root, [])) for root in variables]


def solve(model: Model, exact: bool = True) -> tuple[list[Range], list[str], list[str]]:
    """The lowest and highest value of every unknown; the groups whose figures contradict the
    suppression rule (solved again without it); the groups no value satisfies at all.

    With `exact`, each count whose LP range (rounded inward) is from MIN_RANGE up to EXACT_BELOW is
    solved again as an integer programme: integrality can narrow a range the LP calls safe."""
    ranges: list[Range] = []
    broken_rule: list[str] = []
    infeasible: list[str] = []
    for variables, constraint_rows in _components(len(model.cells), model.rows):
        found = _solve_component(model, variables, constraint_rows, exact)
        if found is None and any(r in model.rule_rows for r in constraint_rows):
            rules = [model.rows[r][3] for r in constraint_rows if r in model.rule_rows]
            constraint_rows = [r for r in constraint_rows if r not in model.rule_rows]
            found = _solve_component(model, variables, constraint_rows, exact)
            if found is not None:
                broken_rule.append(" ; ".join(rules[:4]))
        if found is None:
            infeasible.append(" ; ".join(sorted({model.rows[r][3] for r in constraint_rows})[:6]))
            continue
        ranges += found
    return ranges, broken_rule, infeasible


def _solve_component(model: Model, variables: list[int], constraint_rows: list[int], exact: bool) -> list[Range] | None:
    lower = [1.0 if model.integer[v] else 0.0 for v in variables]
    if not constraint_rows:
        return [Range(model.cells[v], lower[i], math.inf) for i, v in enumerate(variables)]
    local = {v: i for i, v in enumerate(variables)}
    data, row_index, col_index, lhs, rhs = [], [], [], [], []
    for k, r in enumerate(constraint_rows):
        expr, lo, hi, _ = model.rows[r]
        for v, c in expr.terms.items():
            data.append(c)
            row_index.append(k)
            col_index.append(local[v])
        lhs.append(lo)
        rhs.append(hi)
    matrix = csc_matrix((data, (row_index, col_index)), shape=(len(constraint_rows), len(variables)))
    lp = ComponentLP(matrix, np.array(lhs), np.array(rhs), np.array(lower))
    integer_columns = np.array([model.integer[v] for v in variables])
    ranges = []
    for i, v in enumerate(variables):
        low = lp.extreme(i, minimise=True)
        if low is None:
            return None
        binding, low_whole = lp.binding, lp.whole_point(integer_columns)
        high = lp.extreme(i, minimise=False)
        binding, high_whole = binding | lp.binding, lp.whole_point(integer_columns)
        if model.integer[v]:
            low = math.ceil(low - _EPS)
            high = math.floor(high + _EPS) if high < math.inf else math.inf
            # an optimum at a whole-number point is the integer optimum too: no integer programme needed
            if exact and MIN_RANGE <= high - low < EXACT_BELOW:
                integrality = integer_columns.astype(int)
                if not low_whole:
                    low = _whole_or(lp.integer_extreme(i, integrality, True), low)
                if not high_whole:
                    high = _whole_or(lp.integer_extreme(i, integrality, False), high)
        via = (
            tuple(
                sorted(
                    model.rows[constraint_rows[k]][3] if k != X_AT_LEAST_1 else "x ≥ 1 (zero is published)"
                    for k in binding
                )
            )
            if high - low < MIN_RANGE
            else ()
        )
        ranges.append(Range(model.cells[v], low, high, via))
    return ranges


def _whole_or(found: float | None, lp_bound: float) -> float:
    return lp_bound if found is None else found


class ComponentLP:
    """One group's LP, lhs ≤ A·x ≤ rhs, x ≥ lower, loaded into HiGHS once: each min/max only changes
    the objective, so the simplex starts from the previous basis (about ten times faster than a fresh
    `linprog` per bound). Falls back to `scipy.optimize.linprog` (the same HiGHS) when scipy's HiGHS
    bindings are not importable."""

    def __init__(self, matrix, lhs, rhs, lower):
        self.matrix, self.lhs, self.rhs, self.lower = matrix, lhs, rhs, lower
        self.n = matrix.shape[1]
        self.binding: set[int] = set()  # rows with a non-zero dual at the last optimum
        self.point = None  # the last optimum's x (None when unknown)
        try:
            import scipy.optimize._highspy._core as highs
        except ImportError:  # another scipy: the public (slower) interface
            self.highs = None
            return
        inf = highs.kHighsInf
        lp = highs.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, matrix.shape[0]
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, matrix.shape[0]
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_, lp.col_upper_ = lower.astype(float), np.full(self.n, inf)
        lp.row_lower_ = np.where(np.isneginf(lhs), -inf, lhs).astype(float)
        lp.row_upper_ = np.where(np.isposinf(rhs), inf, rhs).astype(float)
        self.highs = highs._Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")  # tiny LPs; and the duals then name the binding rows
        self.highs.passModel(lp)
        status = highs.HighsModelStatus
        self.optimal, self.unbounded = status.kOptimal, {status.kUnbounded, status.kUnboundedOrInfeasible}
        self.infeasible = status.kInfeasible

    def extreme(self, i: int, minimise: bool) -> float | None:
        """min (or max) of x_i: a number, inf when unbounded above, None when infeasible."""
        cost = 1.0 if minimise else -1.0
        if self.highs is None:
            return self._linprog(i, cost)
        self.highs.changeColCost(i, cost)
        self.highs.run()
        status = self.highs.getModelStatus()
        value = self.highs.getInfo().objective_function_value
        self.highs.changeColCost(i, 0.0)
        self.binding, self.point = set(), None
        if status == self.optimal:
            solution = self.highs.getSolution()
            self.point = np.asarray(solution.col_value)
            self.binding = {k for k, d in enumerate(solution.row_dual) if abs(d) > 1e-9}
            if any(abs(d) > 1e-9 for d in solution.col_dual):
                self.binding.add(X_AT_LEAST_1)
            return cost * value
        if not minimise and status in self.unbounded:  # the min was found, so it is feasible: unbounded
            return math.inf
        if status in self.unbounded or status == self.infeasible:
            return None  # a min is bounded below by x ≥ lower: infeasible
        return self._linprog(i, cost)  # a solver hiccup (limit, numerics): solve afresh

    def whole_point(self, integer_columns) -> bool:
        """Is the last optimum a point with whole numbers in every integer column?"""
        if self.point is None:
            return False
        values = self.point[integer_columns]
        return bool(np.all(np.abs(values - np.round(values)) < _EPS))

    def integer_extreme(self, i: int, integrality, minimise: bool) -> float | None:
        """min (or max) of x_i over whole numbers (scipy's milp, HiGHS branch and bound); called only
        where the LP's bound is finite and the group feasible. None when the solver gave no optimum
        (the caller keeps the LP's bound: never a false disclosure, never a crash of `crvs report`)."""
        objective = np.zeros(self.n)
        objective[i] = 1.0 if minimise else -1.0
        result = milp(
            objective,
            constraints=LinearConstraint(self.matrix, self.lhs, self.rhs),
            integrality=integrality,
            bounds=Bounds(self.lower, np.inf),
        )
        if result.status != 0:
            return None
        return round(objective[i] * result.fun)

    def _linprog(self, i: int, cost: float) -> float | None:
        objective = np.zeros(self.n)
        objective[i] = cost
        a = self.matrix.tocsr()
        finite_hi, finite_lo = np.isfinite(self.rhs), np.isfinite(self.lhs)
        a_ub = vstack([a[finite_hi], -a[finite_lo]])
        b_ub = np.concatenate([self.rhs[finite_hi], -self.lhs[finite_lo]])
        result = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=[(lo, None) for lo in self.lower], method="highs")
        if result.status == 0:
            return cost * result.fun
        if result.status == 3 and cost < 0:
            return math.inf
        return None


# --- the audit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str  # "range", "text", "workbook", "primary", "contradiction"
    table: str  # T1…T9, or the file for text findings
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:13} {self.table:4} {self.where}: {self.detail}"


@dataclass
class TableStats:
    table: str
    hidden: int = 0  # hidden counts (and estimates): the unknowns the intruder solves for
    hidden_rates: int = 0  # hidden rates (no unknown of their own: an x rate tells nothing)
    narrowest: Range | None = None


@dataclass
class AuditResult:
    folder: Path
    findings: list[Finding]
    tables: dict[str, TableStats]
    ranges: list[Range]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        """What `crvs audit-disclosure` prints: per table, then the findings."""
        out = [
            f"disclosure audit of {self.folder}: {'passed' if self.passed else 'FAILED'} "
            f"({sum(s.hidden for s in self.tables.values())} hidden counts, {len(self.findings)} findings, "
            f"{self.seconds:.1f} s)"
        ]
        for code, stats in self.tables.items():
            narrow = f"narrowest {stats.narrowest}" if stats.narrowest else "no hidden count"
            rates = f" + {stats.hidden_rates} rates" if stats.hidden_rates else ""
            out.append(f"  {code}: {stats.hidden} hidden{rates}; {narrow}")
        out += [f"  {f}" for f in self.findings]
        return out


def audit_public_edition(
    folder: Path,
    manifest: Path | None = None,
    extra_texts: dict[str, str] | None = None,
    seeds_dir: Path | None = None,
    exact: bool = True,
) -> AuditResult:
    """Audit a quarter's public edition as the intruder of report.md would attack it.

    `folder` is `{out}/{quarter}` or `{out}/{quarter}/public`. The text of `manifest` (a manifest the
    public receives; public/manifest.json is read anyway when it exists) and of `extra_texts` (name →
    text, e.g. an e-mail body) is scanned for figures too. Raises AuditError when the folder cannot be
    read as a public edition.
    """
    from crvs.audit import text as audit_text

    started = time.perf_counter()
    folder = public_folder(Path(folder))
    tables = read_tables(folder)
    findings: list[Finding] = []
    findings += primary_rule_findings(tables)
    model = Builder(tables, province_regions(seeds_dir)).build()
    findings += [Finding("contradiction", why.split(" ")[0], "published cells", why) for why in model.contradictions]
    ranges, broken_rule, infeasible = solve(model, exact)
    findings += [
        Finding(
            "primary",
            why.split(" ")[0],
            "published rate",
            f"its hidden numerator cannot be {RATE_MIN_NUMERATOR} or more: {why}",
        )
        for why in broken_rule
    ]
    findings += [
        Finding("contradiction", why.split(" ")[0], "hidden cells", f"no value of the x satisfies: {why}")
        for why in infeasible
    ]
    stats = {
        code: TableStats(
            code, hidden_rates=sum(row[rate] == HIDDEN for row in table.rows for rate, _, _ in table.shape.rates)
        )
        for code, table in tables.items()
    }
    for r in ranges:
        if r.cell.column in tables[r.cell.table].shape.counts:
            s = stats[r.cell.table]
            s.hidden += 1
            if s.narrowest is None or r.width < s.narrowest.width:
                s.narrowest = r
            if r.width < MIN_RANGE:
                via = f"; via {' | '.join(r.via[:4])}{' …' if len(r.via) > 4 else ''}" if r.via else ""
                findings.append(
                    Finding(
                        "range",
                        r.cell.table,
                        str(r.cell),
                        f"the intruder proves {r.cell.column} ∈ [{r.low:g}, {r.high:g}] "
                        f"(range {r.width:g} < {MIN_RANGE}){via}",
                    )
                )
    findings += audit_text.scan_public_texts(folder, tables, manifest=manifest, extra_texts=extra_texts)
    return AuditResult(folder, findings, stats, ranges, time.perf_counter() - started)


def primary_rule_findings(tables: dict[str, Table]) -> list[Finding]:
    """Counts from 1 to 4, and rates on a published numerator below 20, that were left published."""
    findings = []
    for code, table in tables.items():
        if code == "T9":  # delivery row counts: not counts of persons
            continue
        for row in table.rows:
            where = f"{code} {'/'.join(k for k in table.key(row) if k)}"
            for column in table.shape.counts:
                v = row[column]
                if isinstance(v, int) and 1 <= v <= PRIMARY_MAX:
                    findings.append(
                        Finding(
                            "primary",
                            code,
                            f"{where} {column}",
                            f"a count of {v} is published (1 to {PRIMARY_MAX} must be x)",
                        )
                    )
            for rate, num, _ in table.shape.rates:
                if row[rate] not in (None, HIDDEN) and isinstance(row[num], int) and row[num] < RATE_MIN_NUMERATOR:
                    findings.append(
                        Finding(
                            "primary",
                            code,
                            f"{where} {rate}",
                            f"published on a numerator of {row[num]} (below {RATE_MIN_NUMERATOR})",
                        )
                    )
    return findings
