"""The report's tables as data: one entry per table, so T3–T7, T9 (and the PDF) slot in as entries.

Each entry names its file, its report model (`reports.<model>`, the only thing the writer reads), its
columns exactly as docs report.md lists them, what kind each column is, and the additive structure
that disclosure control must respect:

- `key`: identifies the row (never suppressed).
- `count`: a count of people or events; primary suppression applies (1–4 → x).
- `estimate`: a modelled figure (expected births from GSO rates × population); not a count of
  people, so never suppressed.
- `rate`: a percentage, rate or ratio. Suppressed when the smallest of its `numerator` counts is
  below 20, or when any of its `inputs` is suppressed (it would give the hidden count back).
- `row_totals`: within each row, `total` is the sum of `parts` (T2: male + female + unknown).
- `column_total`: down each count column, the rows whose `key` is not `total_code` sum to the row
  whose key is `total_code` (provinces → VN), within groups of equal other keys.
"""

from __future__ import annotations

from dataclasses import dataclass

KEY, COUNT, ESTIMATE, RATE = "key", "count", "estimate", "rate"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    definition: str
    numerator: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowTotal:
    parts: tuple[str, ...]
    total: str


@dataclass(frozen=True)
class ColumnTotal:
    key: str
    total_code: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ReportTable:
    code: str
    file_stem: str
    model: str
    title: str
    columns: tuple[Column, ...]
    order_by: str  # SQL over the model's columns; deterministic (the row key), VN last
    row_totals: tuple[RowTotal, ...] = ()
    column_total: ColumnTotal | None = None

    @property
    def csv_name(self) -> str:
        return f"{self.file_stem}.csv"

    @property
    def sheet_name(self) -> str:
        return self.file_stem[:31]  # Excel's limit

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def of_kind(self, kind: str) -> list[Column]:
        return [c for c in self.columns if c.kind == kind]

    @property
    def key_names(self) -> list[str]:
        return [c.name for c in self.of_kind(KEY)]


def _key(name: str, definition: str) -> Column:
    return Column(name, KEY, definition)


def _count(name: str, definition: str) -> Column:
    return Column(name, COUNT, definition)


QUARTER = _key("quarter", "the quarter, e.g. 2025Q3")
PROVINCE = _key("province_code", "2-digit province code of the 2025 list; VN = the whole country")
VN_LAST = "province_code = 'VN', province_code"

T1 = ReportTable(
    code="T1",
    file_stem="T1_registrations",
    model="rpt_t1_registrations",
    title="Registrations by registration province, event, kind and timeliness",
    columns=(
        QUARTER,
        _key("province_code", "2-digit province code of the registration office (2025 list)"),
        _key("event_type", "BIRTH, DEATH or MARRIAGE"),
        _key("reg_kind", "NEW, RE_REGISTRATION or RECORDED_ABROAD"),
        _key("timeliness", "ON_TIME (births ≤ 60 days, deaths ≤ 15 days), LATE (≤ 365 days), "
                           "DELAYED_1_5Y, DELAYED_5Y_PLUS; NOT_APPLICABLE for marriages"),
        _count("registrations", "current active registrations in the quarter"),
        _count("foreign_element", "of which with a foreign element"),
    ),
    order_by="province_code, event_type, reg_kind, timeliness",
)

T2 = ReportTable(
    code="T2",
    file_stem="T2_births_by_sex",
    model="rpt_t2_births_by_sex",
    title="Births registered in the quarter by the mother's province of residence and sex",
    columns=(
        QUARTER,
        PROVINCE,
        _count("male", "births of boys"),
        _count("female", "births of girls"),
        _count("unknown", "births of unknown sex"),
        _count("total", "all births (male + female + unknown)"),
        # The ratio male / female × 100 is as unstable as its smaller count, and with the other
        # count published it gives the smaller one back; so both are its numerator.
        Column("sex_ratio_at_birth", RATE, "boys per 100 girls", numerator=("male", "female"),
               inputs=("male", "female")),
    ),
    order_by=VN_LAST,
    row_totals=(RowTotal(parts=("male", "female", "unknown"), total="total"),),
    column_total=ColumnTotal(key="province_code", total_code="VN", columns=("male", "female", "unknown", "total")),
)

T8 = ReportTable(
    code="T8",
    file_stem="T8_completeness",
    model="rpt_t8_completeness",
    title="Registration completeness and facility-birth linkage, by province (events of the quarter)",
    columns=(
        QUARTER,
        PROVINCE,
        Column("expected_births", ESTIMATE, "births expected from GSO crude birth rates and population"),
        _count("births_on_time", "births of the quarter registered within 60 days"),
        Column("birth_completeness_pct", RATE, "births_on_time / expected_births × 100",
               numerator=("births_on_time",), inputs=("births_on_time", "expected_births")),
        Column("expected_deaths", ESTIMATE, "deaths expected from GSO crude death rates and population"),
        _count("deaths_on_time", "deaths of the quarter registered within 15 days"),
        Column("death_completeness_pct", RATE, "deaths_on_time / expected_deaths × 100",
               numerator=("deaths_on_time",), inputs=("deaths_on_time", "expected_deaths")),
        _count("facility_live_births", "live births notified by health facilities of the province"),
        _count("facility_births_registered", "of which matched to a registered birth"),
        Column("facility_linkage_pct", RATE, "facility_births_registered / facility_live_births × 100",
               numerator=("facility_births_registered",),
               inputs=("facility_births_registered", "facility_live_births")),
    ),
    order_by=VN_LAST,
    column_total=ColumnTotal(
        key="province_code", total_code="VN",
        columns=("births_on_time", "deaths_on_time", "facility_live_births", "facility_births_registered"),
    ),
)

# The report, in order. Add T3–T7 and T9 here when their models exist.
REPORT_TABLES: tuple[ReportTable, ...] = (T1, T2, T8)
