"""The report's tables as data: one entry per table, so T3–T7, T9 (and the PDF) slot in as entries.

Each entry names its file, its report model (`reports.<model>`, the only thing the writer reads), its
columns exactly as docs report.md lists them, what kind each column is, and the additive structure
that disclosure control must respect:

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

KEY, COUNT, ESTIMATE, RATE, TALLY, TEXT = "key", "count", "estimate", "rate", "tally", "text"


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
        _key(
            "timeliness",
            "ON_TIME (births ≤ 60 days, deaths ≤ 15 days), LATE (≤ 365 days), "
            "DELAYED_1_5Y, DELAYED_5Y_PLUS; NOT_APPLICABLE for marriages",
        ),
        _count("registrations", "current active registrations in the quarter"),
        _count("foreign_element", "of which with a foreign element"),
    ),
    order_by="province_code, event_type, reg_kind, timeliness",
    at_most=(("foreign_element", "registrations"),),
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
        Column(
            "sex_ratio_at_birth", RATE, "boys per 100 girls", numerator=("male", "female"), inputs=("male", "female")
        ),
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
        Column(
            "birth_completeness_pct",
            RATE,
            "births_on_time / expected_births × 100",
            numerator=("births_on_time",),
            inputs=("births_on_time", "expected_births"),
        ),
        Column("expected_deaths", ESTIMATE, "deaths expected from GSO crude death rates and population"),
        _count("deaths_on_time", "deaths of the quarter registered within 15 days"),
        Column(
            "death_completeness_pct",
            RATE,
            "deaths_on_time / expected_deaths × 100",
            numerator=("deaths_on_time",),
            inputs=("deaths_on_time", "expected_deaths"),
        ),
        _count("facility_live_births", "live births notified by health facilities of the province"),
        _count("facility_births_registered", "of which matched to a registered birth"),
        Column(
            "facility_linkage_pct",
            RATE,
            "facility_births_registered / facility_live_births × 100",
            numerator=("facility_births_registered",),
            inputs=("facility_births_registered", "facility_live_births"),
        ),
    ),
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


REGION = _key(
    "region_code",
    "socio-economic region of residence (NMM, RRD, NCC, CHL, SE, MRD); VN = the whole "
    "country, which also counts events whose residence is unknown",
)

T3 = ReportTable(
    code="T3",
    file_stem="T3_births_by_mother_age",
    model="rpt_t3_births_by_mother_age",
    title="Births registered in the quarter by region of residence and mother's age",
    columns=(
        QUARTER,
        REGION,
        _key(
            "mother_age_band",
            "mother's age at the birth in completed years: <15, 15-19, …, 45-49, 50+; "
            "UNKNOWN when her birth date is missing",
        ),
        _count("births", "NEW births registered in the quarter"),
    ),
    order_by=f"{_in_order('region_code', REGION_ORDER)}, {_in_order('mother_age_band', MOTHER_AGE_BANDS)}",
    column_total=ColumnTotal(key="region_code", total_code="VN", columns=("births",)),
)

T4 = ReportTable(
    code="T4",
    file_stem="T4_births_by_place",
    model="rpt_t4_births_by_place",
    title="Births registered in the quarter by region of residence, place of birth and timeliness",
    columns=(
        QUARTER,
        REGION,
        _key("place_of_birth", "FACILITY (health facility), HOME, OTHER or ABROAD"),
        _key(
            "timeliness",
            "ON_TIME (≤ 60 days after the birth), LATE (≤ 365 days), DELAYED_1_5Y (≤ 5 years), DELAYED_5Y_PLUS",
        ),
        _count("births", "NEW births registered in the quarter"),
    ),
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
    columns=(
        QUARTER,
        _key("geography_level", "NATIONAL or REGION"),
        _key("geography_code", "VN (NATIONAL) or the region of the deceased's residence (REGION)"),
        _key(
            "age_band",
            "age at death in completed years: <1, 1-4, 5-9, …, 80-84, 85+; UNKNOWN when the birth date is missing",
        ),
        _count("male", "deaths of men"),
        _count("female", "deaths of women"),
        _count("unknown", "deaths of unknown sex"),
        _count("total", "all deaths (male + female + unknown)"),
    ),
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
    columns=(
        QUARTER,
        PROVINCE,
        _count("deaths", "NEW deaths registered in the quarter"),
        _count("on_time", "of which registered within 15 days of the death"),
        Column("on_time_pct", RATE, "on_time / deaths × 100", numerator=("on_time",), inputs=("on_time", "deaths")),
        _count("with_cause", "of which with an ICD-10 cause of death"),
        _count("certified", "of which with a cause certified by a physician"),
        Column(
            "certified_pct", RATE, "certified / deaths × 100", numerator=("certified",), inputs=("certified", "deaths")
        ),
        _count("ill_defined", "of the deaths with a cause, those coded R00–R99 (ill-defined)"),
        Column(
            "ill_defined_pct",
            RATE,
            "ill_defined / with_cause × 100",
            numerator=("ill_defined",),
            inputs=("ill_defined", "with_cause"),
        ),
    ),
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
    columns=(
        QUARTER,
        _key(
            "region_code",
            "socio-economic region of the registration office (NMM, RRD, NCC, CHL, SE, MRD); VN = the whole country",
        ),
        _key("sex", "male or female"),
        _key("age_band", "age at marriage in completed years: <18, 18-19, 20-24, …, 55-59, 60+"),
        _count("spouses", "spouses in NEW marriages registered in the quarter"),
        _count("first_marriages", "of which never married before"),
        _count("under_legal_age", "of which under the legal age (women under 18, men under 20)"),
    ),
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
    columns=(
        Column("agency", TEXT, "MOJ, MOH or GSO"),
        _key("dataset", "the delivered dataset (moj_births, …)"),
        _key("delivery_id", "the agency's delivery id"),
        Column("channel", TEXT, "FILE, EMAIL or API"),
        Column("extracted_at", TEXT, "when the agency extracted the data (UTC)"),
        Column("rows_received", TALLY, "data rows received"),
        Column("rows_loaded", TALLY, "rows loaded into the warehouse"),
        Column("rows_rejected", TALLY, "rows rejected (quarantined) with their reason"),
        Column("top_rejection_reason", TEXT, "the column and rule most rejected rows broke, with their count"),
    ),
    order_by="agency, extracted_at, delivery_id, dataset",
)

# The report, in order.
REPORT_TABLES: tuple[ReportTable, ...] = (T1, T2, T3, T4, T5, T6, T7, T8, T9)
