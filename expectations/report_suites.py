"""The suites run over a quarter before export (the gate). `suites()` is what the gate runs.

Checks are cheap and honest: each states something that must hold by construction of the models
(BLOCKING), or compares a figure of a report model with a plausibility band (BANDS below): outside
the WARNING band the report goes out with a warning, outside the BLOCKING band — what cannot be
true — it does not, unless a statistician accepts the finding for the quarter
(`crvs gate accept`). None recomputes a report figure: the figures the bands judge come from dbt
(T2, T8, and the gate's own models rpt_gate_registration_changes, rpt_gate_population_changes).
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations.expectations as gxe

from crvs import database, settings
from crvs.model_contracts import COUNT, RATE
from crvs.quality import freshness
from crvs.quality.provinces import NATIONAL_CODE, province_codes
from crvs.quality.suites import (
    BLOCKING,
    WARNING,
    ModelSuite,
    band_check,
    blocking,
    non_negative,
    not_null,
    one_row_per_province,
    rows_check,
    warning,
)
from crvs.quarter import year_and_number
from crvs.report.tables import (
    DEATH_AGE_BANDS,
    MARRIAGE_AGE_BANDS,
    MOTHER_AGE_BANDS,
    PLACE_ORDER,
    REGION_ORDER,
    T1,
    T2,
    T3,
    T4,
    T5,
    T6,
    T7,
    T8,
    TIMELINESS_ORDER,
    ReportTable,
)


def _names(table: ReportTable, kind: str) -> list[str]:
    """The table's columns of `kind`, in its order: its dbt YAML contract declares them (crvs.report.tables)."""
    return [c.name for c in table.of_kind(kind)]


EVENT_TYPES = ["BIRTH", "DEATH", "MARRIAGE"]
REG_KINDS = ["NEW", "RE_REGISTRATION", "RECORDED_ABROAD"]
TIMELINESS = ["ON_TIME", "LATE", "DELAYED_1_5Y", "DELAYED_5Y_PLUS", "NOT_APPLICABLE"]
BIRTH_TIMELINESS = TIMELINESS_ORDER


@dataclass(frozen=True)
class PlausibilityBands:
    """Every plausibility band of the gate with its default, in one place: a check's name, its
    query and the docs' table all follow from these figures.

    WARNING bands mark the unusual (the report goes out, the warning in its notes); BLOCKING bands
    mark what cannot be true — a unit error in a denominator, a lost or doubled file, a wrong year —
    and stop the report until a corrected delivery arrives or a statistician accepts the finding for
    the quarter (`crvs gate accept --quarter Q --check NAME --reason ...`)."""

    # Completeness (T8), % of expected events (domain.md §7.8; VN 2024: births 96.6 %).
    completeness_warning: tuple[float, float] = (50, 120)
    completeness_blocking: tuple[float, float] = (10, 150)
    # A province's completeness blocks only when it expects this many events in the quarter: below
    # that, chance and one small GSO area move the percentage too far. VN always counts.
    completeness_blocking_min_expected: float = 50
    # GSO's population of a province (and VN) against the year before: real populations move a few
    # per cent a year; a fifth is a unit or coding error, or the wrong year.
    population_change_blocking_pct: float = 20
    # Registrations of a province × event type against the quarter before (WHO data-quality review).
    registrations_change_warning_pct: float = 33
    # ×3 or ÷3 blocks (VN and provinces) where the larger of the two quarters counts at least
    # registrations_change_blocking_min: "large" — at that size chance moves a count by a tenth, so
    # a factor of three is a lost, doubled or misdated file; a fall to nothing from a large count too.
    registrations_change_blocking_factor: float = 3
    registrations_change_blocking_min: int = 100
    # Sex ratio at birth (T2), boys per 100 girls (domain.md §7.6; biological 104–106, VN 110.7).
    srb_national_warning: tuple[float, float] = (100, 120)
    srb_provincial_warning: tuple[float, float] = (95, 125)
    srb_provincial_warning_min_births: int = 1000
    srb_national_blocking: tuple[float, float] = (90, 130)
    # Below this many births chance alone can carry the national ratio past the blocking band.
    srb_national_blocking_min_births: int = 1000


BANDS = PlausibilityBands()


def _range(band: tuple[float, float]) -> str:
    return f"{band[0]:g}-{band[1]:g}"


def t1_registrations() -> ModelSuite:
    key = T1.key_names
    counts = _names(T1, COUNT)
    return ModelSuite(
        "rpt_t1_registrations",
        (
            blocking(gxe.ExpectTableRowCountToBeBetween, "the quarter has registrations", min_value=1),
            *not_null(key + counts),
            # T1 has a row only where something was registered: a province absent here registered
            # nothing at all in the quarter, which is implausible (T2 and T8 list every province by
            # construction and block when one is missing).
            warning(
                gxe.ExpectColumnDistinctValuesToContainSet,
                "every province registered events in the quarter",
                column="province_code",
                value_set=list(province_codes()),
            ),
            blocking(
                gxe.ExpectColumnValuesToBeInSet,
                "province_code is a 2025 province",
                column="province_code",
                value_set=list(province_codes()),
            ),
            blocking(
                gxe.ExpectColumnValuesToBeInSet,
                "event_type is BIRTH, DEATH or MARRIAGE",
                column="event_type",
                value_set=EVENT_TYPES,
            ),
            blocking(
                gxe.ExpectColumnValuesToBeInSet,
                "reg_kind is a feed-contract value",
                column="reg_kind",
                value_set=REG_KINDS,
            ),
            blocking(
                gxe.ExpectColumnValuesToBeInSet,
                "timeliness is a known class",
                column="timeliness",
                value_set=TIMELINESS,
            ),
            blocking(gxe.ExpectCompoundColumnsToBeUnique, "one row per key", column_list=key),
            *non_negative(counts),
            rows_check(
                "foreign_element is at most registrations",
                "select province_code, event_type, reg_kind, timeliness, registrations, foreign_element "
                "from {batch} where foreign_element > registrations",
            ),
            rows_check(
                "timeliness is NOT_APPLICABLE exactly for marriages",
                "select province_code, event_type, timeliness from {batch} "
                "where (event_type = 'MARRIAGE') <> (timeliness = 'NOT_APPLICABLE')",
            ),
        ),
    )


def t2_births_by_sex() -> ModelSuite:
    counts = _names(T2, COUNT)
    return ModelSuite(
        "rpt_t2_births_by_sex",
        (
            *not_null(["quarter", "province_code", *counts]),
            *one_row_per_province(["quarter", "province_code"]),
            *non_negative([*counts, "sex_ratio_at_birth"]),
            rows_check(
                "total = male + female + unknown",
                "select province_code, male, female, unknown, total from {batch} "
                "where total <> male + female + unknown",
            ),
            # Both count every current NEW birth registered in the quarter (T1 by registration province,
            # T2 by residence, so they meet only in the national total).
            rows_check(
                "T1 NEW births = T2 total (VN)",
                "select t2.province_code, t2.total as t2_total, coalesce(t1.births, 0) as t1_new_births "
                "from {batch} t2 left join (select quarter, sum(registrations) as births "
                "    from reports.rpt_t1_registrations where event_type = 'BIRTH' and reg_kind = 'NEW' "
                "    group by quarter) t1 on t1.quarter = t2.quarter "
                f"where t2.province_code = '{NATIONAL_CODE}' and t2.total <> coalesce(t1.births, 0)",
            ),
            # domain.md §7.6: plausibility bands for the sex ratio at birth, and unknown sex under 1 %
            # (nationally, and where a province's births make a percentage meaningful).
            rows_check(
                f"national sex ratio at birth within {_range(BANDS.srb_national_warning)}",
                f"select province_code, sex_ratio_at_birth from {{batch}} where province_code = '{NATIONAL_CODE}' "
                "and (sex_ratio_at_birth is null or sex_ratio_at_birth not between "
                f"{BANDS.srb_national_warning[0]} and {BANDS.srb_national_warning[1]})",
                WARNING,
            ),
            rows_check(
                f"provincial sex ratio at birth within {_range(BANDS.srb_provincial_warning)} "
                f"where births >= {BANDS.srb_provincial_warning_min_births}",
                "select province_code, total, sex_ratio_at_birth from {batch} "
                f"where province_code <> '{NATIONAL_CODE}' "
                f"and total >= {BANDS.srb_provincial_warning_min_births} and sex_ratio_at_birth not between "
                f"{BANDS.srb_provincial_warning[0]} and {BANDS.srb_provincial_warning[1]}",
                WARNING,
            ),
            band_check(
                "sex_ratio_at_birth",
                f"national sex ratio at birth within {_range(BANDS.srb_national_blocking)} "
                f"(>= {BANDS.srb_national_blocking_min_births} births)",
                "select province_code, sex_ratio_at_birth, male, female from {batch} "
                f"where province_code = '{NATIONAL_CODE}' and total >= {BANDS.srb_national_blocking_min_births} "
                "and (sex_ratio_at_birth is null or sex_ratio_at_birth not between "
                f"{BANDS.srb_national_blocking[0]} and {BANDS.srb_national_blocking[1]})",
                BLOCKING,
                band=_range(BANDS.srb_national_blocking),
                area="province_code",
                figure="sex_ratio_at_birth",
            ),
            rows_check(
                "unknown sex under 1 % (VN, and provinces with >= 1000 births)",
                "select province_code, unknown, total from {batch} "
                f"where (province_code = '{NATIONAL_CODE}' and total > 0 or total >= 1000) "
                "and unknown * 100 >= total",
                WARNING,
            ),
        ),
    )


def t8_completeness() -> ModelSuite:
    counts = _names(T8, COUNT)
    rates = _names(T8, RATE)
    return ModelSuite(
        "rpt_t8_completeness",
        (
            *not_null(["quarter", "province_code", *counts]),
            *one_row_per_province(["quarter", "province_code"]),
            *non_negative(["expected_births", "expected_deaths", *counts, *rates]),
            # domain.md §7.8: completeness has no meaning without GSO's population and rates.
            rows_check(
                "GSO denominators present for every province",
                "select province_code, expected_births, expected_deaths from {batch} "
                "where expected_births is null or expected_deaths is null",
            ),
            # Matching is one to one, so a facility birth is registered at most once.
            rows_check(
                "facility_births_registered is at most facility_live_births",
                "select province_code, facility_live_births, facility_births_registered from {batch} "
                "where facility_births_registered > facility_live_births",
            ),
            rows_check(
                f"completeness within {_range(BANDS.completeness_warning)} %",
                "select province_code, birth_completeness_pct, death_completeness_pct from {batch} "
                f"where birth_completeness_pct not between {BANDS.completeness_warning[0]} "
                f"and {BANDS.completeness_warning[1]} or death_completeness_pct not between "
                f"{BANDS.completeness_warning[0]} and {BANDS.completeness_warning[1]}",
                WARNING,
            ),
            _completeness_blocks("birth"),
            _completeness_blocks("death"),
        ),
    )


def _completeness_blocks(event: str) -> object:
    """Completeness that cannot be true, with the GSO deliveries its denominator came from."""
    low, high = BANDS.completeness_blocking
    minimum = BANDS.completeness_blocking_min_expected
    return band_check(
        f"{event}_completeness",
        f"{event} completeness within {_range(BANDS.completeness_blocking)} % "
        f"(VN, provinces expecting >= {minimum:g} {event}s)",
        f"select t8.province_code, t8.{event}_completeness_pct, t8.{event}s_on_time, t8.expected_{event}s, "
        "p.population_deliveries as population_from "
        "from {batch} t8 left join reports.rpt_gate_population_changes p "
        "  on p.year = left(t8.quarter, 4)::int and p.province_code = t8.province_code "
        f"where (t8.province_code = '{NATIONAL_CODE}' or t8.expected_{event}s >= {minimum}) "
        f"and t8.{event}_completeness_pct not between {low} and {high} "
        f"order by t8.province_code = '{NATIONAL_CODE}' desc, t8.province_code",
        BLOCKING,
        band=f"{_range(BANDS.completeness_blocking)} %",
        area="province_code",
        figure=f"{event}_completeness_pct",
    )


def registration_changes() -> ModelSuite:
    """Registrations against the quarter before (rpt_gate_registration_changes): provinces moving
    more than a third warn (domain.md §7.7); a factor of three where counts are large blocks."""
    factor, minimum = BANDS.registrations_change_blocking_factor, BANDS.registrations_change_blocking_min
    share = BANDS.registrations_change_warning_pct
    return ModelSuite(
        "rpt_gate_registration_changes",
        (
            rows_check(
                f"registrations within ±{share:g} % of the previous quarter",
                "select province_code, event_type, previous_registrations as previous_quarter, "
                "registrations as this_quarter, change_pct from {batch} "
                f"where province_code <> '{NATIONAL_CODE}' and previous_registrations > 0 "
                f"and abs(registrations - previous_registrations) > {share / 100} * previous_registrations "
                "order by province_code, event_type",
                WARNING,
            ),
            band_check(
                "registrations_change",
                f"registrations change from the previous quarter within {factor:g} times up or down "
                f"(VN, provinces; where either quarter counts >= {minimum})",
                "select province_code, event_type, change_pct, previous_registrations as previous_quarter, "
                "registrations as this_quarter from {batch} "
                f"where greatest(previous_registrations, registrations) >= {minimum} "
                f"and (registrations > {factor} * previous_registrations "
                f"or {factor} * registrations < previous_registrations) "
                f"order by province_code = '{NATIONAL_CODE}' desc, province_code, event_type",
                BLOCKING,
                band=f"×{factor:g} / ÷{factor:g}",
                area="province_code",
                figure="change_pct",
            ),
        ),
    )


def population_changes() -> ModelSuite:
    """GSO's population of the quarter's year against the year before (rpt_gate_population_changes).
    A province with no population at all blocks in T8 ("GSO denominators present for every province")."""
    share = BANDS.population_change_blocking_pct
    return ModelSuite(
        "rpt_gate_population_changes",
        (
            band_check(
                "population_change",
                f"GSO population within ±{share:g} % of the year before (VN, provinces)",
                "select province_code, change_pct, population, previous_year_population, "
                "population_deliveries, previous_year_deliveries from {batch} "
                f"where abs(population - previous_year_population) > {share / 100} * previous_year_population "
                f"order by province_code = '{NATIONAL_CODE}' desc, province_code",
                BLOCKING,
                band=f"±{share:g} %",
                area="province_code",
                figure="change_pct",
            ),
        ),
        query=lambda quarter: (
            f"select * from reports.rpt_gate_population_changes where year = {year_and_number(quarter)[0]}"
        ),
    )


def mothers_age() -> ModelSuite:
    """Plausibility on the mart: only the province and the age leave the warehouse's SQL."""
    return ModelSuite(
        "fct_registration",
        (
            rows_check(
                "mother's age at the birth within 12-50",
                "select province_code, count(*) as births, min(age_years) as youngest, max(age_years) as oldest "
                "from {batch} where age_years not between 12 and 50 group by province_code order by province_code",
                WARNING,
            ),
        ),
        schema="marts",
        required=False,
        query=lambda quarter: (
            "select coalesce(residence_province_2025, 'unknown') as province_code, age_years "
            f"from marts.fct_registration where registration_quarter = '{quarter}' "
            "and event_type = 'BIRTH' and reg_kind = 'NEW'"
        ),
    )


def delivery_freshness() -> ModelSuite:
    """crvs/quality/freshness.py holds the rule; expectations/freshness.toml the agreed windows."""
    return ModelSuite(
        "delivery_freshness",
        (
            rows_check(
                "every agency delivered the quarter within its agreed window",
                f"select agency, dataset, verdict, problem from {{batch}} where verdict <> '{freshness.FRESH}'",
            ),
        ),
        schema="raw",
        query=lambda quarter: freshness.verdict_query(quarter),
        required=False,
    )


def feed_checks_passed() -> ModelSuite:
    """Every delivery feeding the quarter passed its blocking feed checks (crvs/quality/feeds.py)."""
    from crvs.quality.feeds import failed_checks_query

    return ModelSuite(
        "feed_checks",
        (
            rows_check(
                "every delivery of the quarter passed its feed checks",
                "select delivery_id, dataset, expectation, observed from {batch}",
            ),
        ),
        schema="quality",
        query=failed_checks_query,
        required=False,
    )


# Column names that say "a person": pseudonyms, citizen numbers, names, exact birth dates.
PERSONAL_COLUMN = r"(pid|citizen|(^|_)name$|birth_date|(^|_)id$)"
NOT_PERSONAL = ("delivery_id",)
# Values that are a person: a 64-hex HMAC pseudonym or a 12-digit citizen number.
PERSONAL_VALUE = r"^([0-9a-f]{64}|[0-9]{12})$"


def personal_identifiers_query(quarter: str) -> str:
    """Every report model's columns that look personal by name, and its text columns' values that
    look personal, as (model, column_name, finding, rows). Built from the catalogue at run time, so
    models added later are covered without a change here."""
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        columns = conn.execute(
            "select table_name, column_name, data_type in ('text', 'character', 'character varying') "
            "from information_schema.columns where table_schema = 'reports' order by table_name, ordinal_position"
        ).fetchall()
    parts = [
        "select null::text as model, null::text as column_name, null::text as finding, 0::bigint as rows where false"
    ]
    for table, column, is_text in columns:
        quoted_table, quoted_column = '"' + table.replace('"', '""') + '"', '"' + column.replace('"', '""') + '"'
        literal_table, literal_column = "'" + table.replace("'", "''") + "'", "'" + column.replace("'", "''") + "'"
        parts.append(
            f"select {literal_table}, {literal_column}, 'named like a personal identifier', 1 "
            f"where {literal_column} ~* '{PERSONAL_COLUMN}' "
            f"and {literal_column} not in ({', '.join(repr(n) for n in NOT_PERSONAL)})"
        )
        if is_text:
            parts.append(
                f"select {literal_table}, {literal_column}, 'values look like pseudonyms or citizen numbers', "
                f"count(*) from reports.{quoted_table} where {quoted_column} ~ '{PERSONAL_VALUE}'"
            )
    return "\nunion all\n".join(parts)


def personal_identifiers() -> ModelSuite:
    return ModelSuite(
        "personal_identifiers",
        (
            rows_check(
                "no personal identifiers in the report models",
                "select model, column_name, finding, rows from {batch} where rows > 0 order by model, column_name",
            ),
        ),
        schema="reports",
        query=personal_identifiers_query,
        required=False,
    )


# Tables without a province_code column (T3–T5, T7, T9) are checked with SQL rows checks only: the
# gate's column expectations name failing rows by province_code, which these tables do not have.
def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _never_null(key: list[str], columns: list[str]) -> object:
    return rows_check(
        f"{', '.join(columns)} never null",
        f"select {', '.join(key)} from {{batch}} where " + " or ".join(f"{c} is null" for c in columns),
    )


def _in_set(column: str, values, name: str) -> object:
    return rows_check(
        name,
        f"select {column}, count(*) as rows from {{batch}} "
        f"where {column} not in ({_sql_list(values)}) group by {column} order by {column}",
    )


def _all_present(column: str, values, name: str) -> object:
    return rows_check(
        name,
        f"select wanted.code as missing_{column} from (values "
        + ", ".join(f"('{v}')" for v in values)
        + f") as wanted (code) where wanted.code not in (select {column} from {{batch}}) "
        "order by wanted.code",
    )


def _one_row_per_key(key: list[str], name: str = "one row per key") -> object:
    return rows_check(
        name,
        f"select {', '.join(key)}, count(*) as rows from {{batch}} "
        f"group by {', '.join(key)} having count(*) > 1 order by {', '.join(key)}",
    )


def _not_negative(key: list[str], columns: list[str]) -> object:
    return rows_check(
        f"{', '.join(columns)} not negative",
        f"select {', '.join(key + columns)} from {{batch}} where " + " or ".join(f"{c} < 0" for c in columns),
    )


def _national_births_equal_t2(table: str) -> object:
    """A births table's VN rows add up to T2's VN total: both count every NEW birth of the quarter."""
    return rows_check(
        f"{table} VN births = T2 total (VN)",
        "select b.births as " + table.lower() + "_vn_births, coalesce(t2.total, 0) as t2_total "
        "from (select quarter, sum(births) as births from {batch} "
        f"      where region_code = '{NATIONAL_CODE}' "
        "      group by quarter) b "
        "left join reports.rpt_t2_births_by_sex t2 "
        f"  on t2.quarter = b.quarter and t2.province_code = '{NATIONAL_CODE}' "
        "where b.births <> coalesce(t2.total, 0)",
    )


def _every_region(column: str = "region_code") -> list:
    wanted = list(REGION_ORDER)  # the six regions and VN
    return [
        _all_present(column, wanted, "every region and VN present"),
        _in_set(column, wanted, f"{column} is a region or VN"),
    ]


def t3_births_by_mother_age() -> ModelSuite:
    key = T3.key_names
    return ModelSuite(
        "rpt_t3_births_by_mother_age",
        (
            _never_null(key, [*key, "births"]),
            *_every_region(),
            _in_set("mother_age_band", MOTHER_AGE_BANDS, "mother_age_band is a report band"),
            _one_row_per_key(key),
            _not_negative(key, ["births"]),
            _national_births_equal_t2("T3"),
        ),
    )


def t4_births_by_place() -> ModelSuite:
    key = T4.key_names
    return ModelSuite(
        "rpt_t4_births_by_place",
        (
            _never_null(key, [*key, "births"]),
            *_every_region(),
            _in_set("place_of_birth", PLACE_ORDER, "place_of_birth is a feed-contract place"),
            _in_set("timeliness", BIRTH_TIMELINESS, "timeliness is a births' class"),
            _one_row_per_key(key),
            _not_negative(key, ["births"]),
            _national_births_equal_t2("T4"),
        ),
    )


def t5_deaths_by_age_sex() -> ModelSuite:
    key = T5.key_names
    counts = _names(T5, COUNT)
    return ModelSuite(
        "rpt_t5_deaths_by_age_sex",
        (
            _never_null(key, [*key, *counts]),
            *_every_region("geography_code"),
            _in_set("age_band", DEATH_AGE_BANDS, "age_band is a report band"),
            _one_row_per_key(key),
            _not_negative(key, counts),
            rows_check(
                "total = male + female + unknown",
                "select geography_code, age_band, male, female, unknown, total from {batch} "
                "where total <> male + female + unknown",
            ),
            rows_check(
                "NATIONAL is exactly VN",
                "select geography_level, geography_code from {batch} "
                f"where (geography_level = 'NATIONAL') <> (geography_code = '{NATIONAL_CODE}')",
            ),
        ),
    )


def _t5_deaths_equal_t6() -> object:
    """T5 = T6 deaths: both count every NEW death registered in the quarter (domain.md §7, BLOCKING)."""
    return rows_check(
        "T5 deaths = T6 deaths (VN)",
        "select t6.province_code, t6.deaths as t6_deaths, coalesce(t5.deaths, 0) as t5_deaths "
        "from {batch} t6 left join (select quarter, sum(total) as deaths "
        "    from reports.rpt_t5_deaths_by_age_sex where geography_level = 'NATIONAL' "
        "    group by quarter) t5 on t5.quarter = t6.quarter "
        f"where t6.province_code = '{NATIONAL_CODE}' and t6.deaths <> coalesce(t5.deaths, 0)",
    )


def t6_deaths_reconcile_with_t5() -> ModelSuite:
    """The T5 = T6 reconciliation alone (the full T6 suite, `t6_deaths_quality`, holds it too)."""
    return ModelSuite("rpt_t6_deaths_quality", (_t5_deaths_equal_t6(),))


def t6_deaths_quality() -> ModelSuite:
    counts = _names(T6, COUNT)
    rates = _names(T6, RATE)
    return ModelSuite(
        "rpt_t6_deaths_quality",
        (
            *not_null(["quarter", "province_code", *counts]),
            *one_row_per_province(["quarter", "province_code"]),
            *non_negative([*counts, *rates]),
            rows_check(
                "on_time, with_cause and certified are at most deaths; ill_defined at most with_cause",
                "select province_code, deaths, on_time, with_cause, certified, ill_defined from {batch} "
                "where on_time > deaths or with_cause > deaths or certified > deaths or ill_defined > with_cause",
            ),
            _t5_deaths_equal_t6(),
            # domain.md §2: under 10 % ill-defined causes is good practice (Mathers et al. 2005).
            rows_check(
                "ill-defined causes under 10 % of deaths with a cause (VN, provinces with >= 100 causes)",
                "select province_code, with_cause, ill_defined, ill_defined_pct from {batch} "
                f"where (province_code = '{NATIONAL_CODE}' and with_cause > 0 or with_cause >= 100) "
                "and ill_defined * 10 >= with_cause",
                WARNING,
            ),
        ),
    )


def t7_marriages_by_age() -> ModelSuite:
    key = T7.key_names
    counts = _names(T7, COUNT)
    return ModelSuite(
        "rpt_t7_marriages_by_age",
        (
            _never_null(key, [*key, *counts]),
            *_every_region(),
            _in_set("sex", ("male", "female"), "sex is male or female"),
            _in_set("age_band", MARRIAGE_AGE_BANDS, "age_band is a report band"),
            _one_row_per_key(key),
            _not_negative(key, counts),
            rows_check(
                "first_marriages and under_legal_age are at most spouses",
                "select region_code, sex, age_band, spouses, first_marriages, under_legal_age from {batch} "
                "where first_marriages > spouses or under_legal_age > spouses",
            ),
            rows_check(
                "under legal age only in the bands below 18 (women) and 20 (men)",
                "select region_code, sex, age_band, under_legal_age from {batch} where under_legal_age > 0 "
                "and not (age_band = '<18' or (sex = 'male' and age_band = '18-19'))",
            ),
            # Two spouses per marriage: T7 counts people, T1 registrations.
            rows_check(
                "T7 spouses = 2 × T1 NEW marriages (VN)",
                "select t7.spouses, coalesce(t1.marriages, 0) as t1_new_marriages "
                "from (select quarter, sum(spouses) as spouses from {batch} "
                f"      where region_code = '{NATIONAL_CODE}' "
                "      group by quarter) t7 "
                "left join (select quarter, sum(registrations) as marriages from reports.rpt_t1_registrations "
                "      where event_type = 'MARRIAGE' and reg_kind = 'NEW' group by quarter) t1 "
                "  on t1.quarter = t7.quarter "
                "where t7.spouses <> 2 * coalesce(t1.marriages, 0)",
            ),
            # domain.md §7.6: marriages below the legal age are flagged, with the region and the count.
            rows_check(
                "no spouse under the legal age",
                "select region_code, sum(under_legal_age) as under_legal_age from {batch} "
                f"where region_code <> '{NATIONAL_CODE}' and under_legal_age > 0 group by region_code "
                "order by region_code",
                WARNING,
            ),
        ),
    )


def t9_data_quality() -> ModelSuite:
    return ModelSuite(
        "rpt_t9_data_quality",
        (
            blocking(gxe.ExpectTableRowCountToBeBetween, "deliveries fed the quarter", min_value=1),
            _never_null(
                ["delivery_id", "dataset"],
                ["agency", "dataset", "delivery_id", "rows_received", "rows_loaded", "rows_rejected"],
            ),
            _one_row_per_key(["delivery_id", "dataset"], "one row per delivery and dataset"),
            rows_check(
                "rows_received = rows_loaded + rows_rejected",
                "select delivery_id, dataset, rows_received, rows_loaded, rows_rejected from {batch} "
                "where rows_received <> rows_loaded + rows_rejected",
            ),
            rows_check(
                "rows rejected under 1 % of rows received",
                "select delivery_id, dataset, rows_received, rows_rejected, top_rejection_reason from {batch} "
                "where rows_rejected * 100 >= rows_received and rows_rejected > 0",
                WARNING,
            ),
        ),
    )


def suites() -> list[ModelSuite]:
    """The gate's suites, in report order, then the checks over deliveries and identifiers."""
    return [
        t1_registrations(),
        t2_births_by_sex(),
        t3_births_by_mother_age(),
        t4_births_by_place(),
        t5_deaths_by_age_sex(),
        t6_deaths_quality(),
        t7_marriages_by_age(),
        t8_completeness(),
        t9_data_quality(),
        registration_changes(),
        population_changes(),
        mothers_age(),
        delivery_freshness(),
        feed_checks_passed(),
        personal_identifiers(),
    ]


__all__ = ["BANDS", "PlausibilityBands", "suites", "t6_deaths_reconcile_with_t5"]
