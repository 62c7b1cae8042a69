"""The report's tables as data: one entry per table, so T3–T7, T9 (and the PDF) slot in as entries.

Each entry names its file, its report model (`reports.<model>`, the only thing the writer reads) and
the additive structure that disclosure control must respect. Its columns are declared once, in the
model's dbt YAML contract (dbt_project/models/reports/[by_quarter/]<model>.yml: name, data_type, order exactly as
docs report.md lists them), each with its kind and the workbook's definition in `config.meta`
(`kind`, `definition`, for a rate `numerator` and `inputs`; `published: false` for a column to
select by that the table does not show, T9's quarter); `crvs.model_contracts.contract_columns` reads
them:

- `key`: identifies the row (never suppressed).
- `count`: a count of people or events; primary suppression applies (1–4 → x).
- `estimate`: a modelled figure (expected births from GSO rates × population); not a count of
  people, so never suppressed.
- `tally`: a count of delivered rows (T9), not of people or events: never suppressed.
- `text`: a descriptive value that is not part of the row's key (T9's channel, reason).
- `rate`: a percentage, rate or ratio. Suppressed when the smallest of its `numerator` counts is
  below 20, or when any of its `inputs` is suppressed (it would give the hidden count back).
- `row_totals`: within each row, `total` is the sum of `parts` (T2: male + female + unknown).
- `column_total`: down each count column, the rows whose `key` is not `total_code` sum to the row
  whose key is `total_code` (provinces → VN), within groups of equal other keys, leaving out the
  `dependent_keys` that merely follow from `key` (T5's geography_level: NATIONAL for VN, REGION
  for the regions). VN also counts events whose residence is unknown, so it may exceed the sum.
- `at_most`: (part, whole) pairs of count columns where, in every row, part ≤ whole (on_time ≤
  deaths): what report.md lists as "the inequalities between columns".

The links between tables (T2, T3 and T4 count the same births, …) are in crvs/report/linkage.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from crvs.model_contracts import KEY, Column, contract_columns


@dataclass(frozen=True)
class RowTotal:
    parts: tuple[str, ...]
    total: str


@dataclass(frozen=True)
class ColumnTotal:
    key: str
    total_code: str
    columns: tuple[str, ...]
    dependent_keys: tuple[str, ...] = ()

    def group_keys(self, key_names: list[str]) -> list[str]:
        """The keys whose equal values make one additive group (all but `key` and its dependents)."""
        return [k for k in key_names if k != self.key and k not in self.dependent_keys]


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
    at_most: tuple[tuple[str, str], ...] = ()

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


VN_LAST = "province_code = 'VN', province_code"

T1 = ReportTable(
    code="T1",
    file_stem="T1_registrations",
    model="rpt_t1_registrations",
    title="Registrations by registration province, event, kind and timeliness",
    columns=contract_columns("rpt_t1_registrations"),
    order_by="province_code, event_type, reg_kind, timeliness",
    at_most=(("foreign_element", "registrations"),),
)

T2 = ReportTable(
    code="T2",
    file_stem="T2_births_by_sex",
    model="rpt_t2_births_by_sex",
    title="Births registered in the quarter by the mother's province of residence and sex",
    columns=contract_columns("rpt_t2_births_by_sex"),
    order_by=VN_LAST,
    row_totals=(RowTotal(parts=("male", "female", "unknown"), total="total"),),
    column_total=ColumnTotal(key="province_code", total_code="VN", columns=("male", "female", "unknown", "total")),
)

T8 = ReportTable(
    code="T8",
    file_stem="T8_completeness",
    model="rpt_t8_completeness",
    title="Registration completeness and facility-birth linkage, by province (events of the quarter)",
    columns=contract_columns("rpt_t8_completeness"),
    order_by=VN_LAST,
    column_total=ColumnTotal(
        key="province_code",
        total_code="VN",
        columns=("births_on_time", "deaths_on_time", "facility_live_births", "facility_births_registered"),
    ),
    at_most=(("facility_births_registered", "facility_live_births"),),
)

# Orders of the region and band keys, as dim_region and dim_age_band sort them (the models store
# their rows in this order too; tests/integration/test_dbt_report_tables.py checks the two agree).
REGION_ORDER = ("NMM", "RRD", "NCC", "CHL", "SE", "MRD", "VN")
MOTHER_AGE_BANDS = ("<15", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50+", "UNKNOWN")
DEATH_AGE_BANDS = ("<1", "1-4", *(f"{a}-{a + 4}" for a in range(5, 85, 5)), "85+", "UNKNOWN")
MARRIAGE_AGE_BANDS = ("<18", "18-19", *(f"{a}-{a + 4}" for a in range(20, 60, 5)), "60+", "UNKNOWN")
PLACE_ORDER = ("FACILITY", "HOME", "OTHER", "ABROAD")
TIMELINESS_ORDER = ("ON_TIME", "LATE", "DELAYED_1_5Y", "DELAYED_5Y_PLUS")


def _in_order(column: str, values: tuple[str, ...]) -> str:
    """SQL ordering `column` as `values` lists them (a value not listed comes last)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"coalesce(array_position(array[{quoted}], {column}), {len(values) + 1})"


T3 = ReportTable(
    code="T3",
    file_stem="T3_births_by_mother_age",
    model="rpt_t3_births_by_mother_age",
    title="Births registered in the quarter by region of residence and mother's age",
    columns=contract_columns("rpt_t3_births_by_mother_age"),
    order_by=f"{_in_order('region_code', REGION_ORDER)}, {_in_order('mother_age_band', MOTHER_AGE_BANDS)}",
    column_total=ColumnTotal(key="region_code", total_code="VN", columns=("births",)),
)

T4 = ReportTable(
    code="T4",
    file_stem="T4_births_by_place",
    model="rpt_t4_births_by_place",
    title="Births registered in the quarter by region of residence, place of birth and timeliness",
    columns=contract_columns("rpt_t4_births_by_place"),
    order_by=(
        f"{_in_order('region_code', REGION_ORDER)}, {_in_order('place_of_birth', PLACE_ORDER)}, "
        f"{_in_order('timeliness', TIMELINESS_ORDER)}"
    ),
    column_total=ColumnTotal(key="region_code", total_code="VN", columns=("births",)),
)

T5 = ReportTable(
    code="T5",
    file_stem="T5_deaths_by_age_sex",
    model="rpt_t5_deaths_by_age_sex",
    title="Deaths registered in the quarter by age and sex, nationally and by region",
    columns=contract_columns("rpt_t5_deaths_by_age_sex"),
    order_by=f"{_in_order('geography_code', ('VN', *REGION_ORDER[:-1]))}, {_in_order('age_band', DEATH_AGE_BANDS)}",
    row_totals=(RowTotal(parts=("male", "female", "unknown"), total="total"),),
    column_total=ColumnTotal(
        key="geography_code",
        total_code="VN",
        columns=("male", "female", "unknown", "total"),
        dependent_keys=("geography_level",),
    ),
)

T6 = ReportTable(
    code="T6",
    file_stem="T6_deaths_quality",
    model="rpt_t6_deaths_quality",
    title="Deaths registered in the quarter: timeliness and cause of death, by province of residence",
    columns=contract_columns("rpt_t6_deaths_quality"),
    order_by=VN_LAST,
    column_total=ColumnTotal(
        key="province_code", total_code="VN", columns=("deaths", "on_time", "with_cause", "certified", "ill_defined")
    ),
    at_most=(("on_time", "deaths"), ("certified", "deaths"), ("with_cause", "deaths"), ("ill_defined", "with_cause")),
)

T7 = ReportTable(
    code="T7",
    file_stem="T7_marriages_by_age",
    model="rpt_t7_marriages_by_age",
    title="Spouses in marriages registered in the quarter by registration region, sex and age",
    columns=contract_columns("rpt_t7_marriages_by_age"),
    order_by=(
        f"{_in_order('region_code', REGION_ORDER)}, {_in_order('sex', ('male', 'female'))}, "
        f"{_in_order('age_band', MARRIAGE_AGE_BANDS)}"
    ),
    # under_legal_age equals spouses in the bands under the legal age (crvs/report/linkage.py).
    column_total=ColumnTotal(
        key="region_code", total_code="VN", columns=("spouses", "first_marriages", "under_legal_age")
    ),
    at_most=(("first_marriages", "spouses"), ("under_legal_age", "spouses")),
)

T9 = ReportTable(
    code="T9",
    file_stem="T9_data_quality",
    model="rpt_t9_data_quality",
    title="Data quality: the deliveries that fed the quarter",
    columns=contract_columns("rpt_t9_data_quality"),
    order_by="agency, extracted_at, delivery_id, dataset",
)

TIME_LIMITS = ("LEGAL", "WITHIN_1Y", "WITHIN_5Y")

T10 = ReportTable(
    code="T10",
    file_stem="T10_completeness_by_period",
    model="rpt_t10_completeness_by_period",
    title=(
        "Registration completeness within the legal period, 1 year and 5 years of the event, by sex and region "
        "(the latest events whose time limit has run out)"
    ),
    columns=contract_columns("rpt_t10_completeness_by_period"),
    order_by=(
        f"{_in_order('registered_within', TIME_LIMITS)}, {_in_order('event_type', ('BIRTH', 'DEATH'))}, "
        f"{_in_order('region_code', REGION_ORDER)}"
    ),
    row_totals=(RowTotal(parts=("registered_male", "registered_female", "registered_unknown"), total="registered"),),
    column_total=ColumnTotal(
        key="region_code",
        total_code="VN",
        columns=("registered_male", "registered_female", "registered_unknown", "registered"),
        dependent_keys=("event_quarter",),
    ),
)

# T11: the last eight quarters held, nationally (one row per quarter, `period`; `quarter` is the
# report quarter). No additive line: each row is a quarter of its own; its report quarter's row is
# the quarter's T1, C1, C2 and T8 figures (crvs/report/linkage.py).
T11 = ReportTable(
    code="T11",
    file_stem="T11_trends",
    model="rpt_t11_trends",
    title="Trends: the last eight quarters held, nationally (registrations, timeliness, completeness)",
    columns=contract_columns("rpt_t11_trends"),
    order_by="period",
    at_most=(("births_on_time", "births"), ("deaths_on_time", "deaths")),
)

# The report, in order.
REPORT_TABLES: tuple[ReportTable, ...] = (T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11)
