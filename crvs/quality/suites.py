"""The gate's expectation suites, as code: one suite per report model, reviewed in diffs.

Every expectation carries `meta.severity`: BLOCKING (the quarter's report must not be published) or
WARNING (published, but the analyst should look). Its `description` is the check's name in the gate
result and in data docs. Checks are cheap and honest: each one states something that must hold by
construction of the model (or, for warnings, a plausibility band from domain.md §7), never a figure
recomputed in Python.

Row-level SQL checks use GX's `UnexpectedRowsExpectation`; `{batch}` is the quarter's query. Their
queries select `province_code` first and then the columns that show the problem, because the gate
summary names the province and the values from those rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from crvs.quality.provinces import NATIONAL_CODE, province_codes

BLOCKING = "BLOCKING"
WARNING = "WARNING"

EVENT_TYPES = ["BIRTH", "DEATH", "MARRIAGE"]
REG_KINDS = ["NEW", "RE_REGISTRATION", "RECORDED_ABROAD"]
TIMELINESS = ["ON_TIME", "LATE", "DELAYED_1_5Y", "DELAYED_5Y_PLUS", "NOT_APPLICABLE"]


@dataclass(frozen=True)
class ModelSuite:
    """The expectations for one report model (table `reports.<model>`)."""

    model: str
    expectations: tuple


def _expect(kind, severity: str, name: str, **kwargs):
    gx_severity = FailureSeverity.CRITICAL if severity == BLOCKING else FailureSeverity.WARNING
    return kind(**kwargs, description=name, meta={"severity": severity}, severity=gx_severity)


def blocking(kind, name: str, **kwargs):
    return _expect(kind, BLOCKING, name, **kwargs)


def warning(kind, name: str, **kwargs):
    return _expect(kind, WARNING, name, **kwargs)


def _not_null(columns: list[str]) -> list:
    return [blocking(gxe.ExpectColumnValuesToNotBeNull, f"{c} is never null", column=c) for c in columns]


def _non_negative(columns: list[str]) -> list:
    return [
        blocking(gxe.ExpectColumnValuesToBeBetween, f"{c} is not negative", column=c, min_value=0)
        for c in columns
    ]


def _rows(name: str, query: str, severity: str = BLOCKING):
    return _expect(gxe.UnexpectedRowsExpectation, severity, name, unexpected_rows_query=query)


def _one_row_per_province(key: list[str]) -> list:
    """All 34 provinces and VN present, nothing else, each once."""
    wanted = [*province_codes(), NATIONAL_CODE]
    return [
        blocking(gxe.ExpectColumnDistinctValuesToContainSet, "every province and VN present",
                 column="province_code", value_set=wanted),
        blocking(gxe.ExpectColumnValuesToBeInSet, "province_code is a 2025 province or VN",
                 column="province_code", value_set=wanted),
        blocking(gxe.ExpectCompoundColumnsToBeUnique, "one row per province", column_list=key),
    ]


def t1_registrations() -> ModelSuite:
    key = ["quarter", "province_code", "event_type", "reg_kind", "timeliness"]
    counts = ["registrations", "foreign_element"]
    return ModelSuite("rpt_t1_registrations", (
        blocking(gxe.ExpectTableRowCountToBeBetween, "the quarter has registrations", min_value=1),
        *_not_null(key + counts),
        blocking(gxe.ExpectColumnValuesToBeInSet, "province_code is a 2025 province",
                 column="province_code", value_set=list(province_codes())),
        blocking(gxe.ExpectColumnValuesToBeInSet, "event_type is BIRTH, DEATH or MARRIAGE",
                 column="event_type", value_set=EVENT_TYPES),
        blocking(gxe.ExpectColumnValuesToBeInSet, "reg_kind is a feed-contract value",
                 column="reg_kind", value_set=REG_KINDS),
        blocking(gxe.ExpectColumnValuesToBeInSet, "timeliness is a known class",
                 column="timeliness", value_set=TIMELINESS),
        blocking(gxe.ExpectCompoundColumnsToBeUnique, "one row per key", column_list=key),
        *_non_negative(counts),
        _rows("foreign_element is at most registrations",
              "select province_code, event_type, reg_kind, timeliness, registrations, foreign_element "
              "from {batch} where foreign_element > registrations"),
        _rows("timeliness is NOT_APPLICABLE exactly for marriages",
              "select province_code, event_type, timeliness from {batch} "
              "where (event_type = 'MARRIAGE') <> (timeliness = 'NOT_APPLICABLE')"),
    ))


def t2_births_by_sex() -> ModelSuite:
    counts = ["male", "female", "unknown", "total"]
    return ModelSuite("rpt_t2_births_by_sex", (
        *_not_null(["quarter", "province_code", *counts]),
        *_one_row_per_province(["quarter", "province_code"]),
        *_non_negative([*counts, "sex_ratio_at_birth"]),
        _rows("total = male + female + unknown",
              "select province_code, male, female, unknown, total from {batch} "
              "where total <> male + female + unknown"),
        # domain.md §7.6: plausibility bands for the sex ratio at birth.
        _rows("national sex ratio at birth within 100-120",
              f"select province_code, sex_ratio_at_birth from {{batch}} where province_code = '{NATIONAL_CODE}' "
              "and (sex_ratio_at_birth is null or sex_ratio_at_birth not between 100 and 120)", WARNING),
        _rows("provincial sex ratio at birth within 95-125 where births >= 1000",
              "select province_code, total, sex_ratio_at_birth from {batch} "
              f"where province_code <> '{NATIONAL_CODE}' "
              "and total >= 1000 and sex_ratio_at_birth not between 95 and 125", WARNING),
    ))


def t8_completeness() -> ModelSuite:
    counts = ["expected_births", "births_on_time", "expected_deaths", "deaths_on_time",
              "facility_live_births", "facility_births_registered"]
    rates = ["birth_completeness_pct", "death_completeness_pct", "facility_linkage_pct"]
    return ModelSuite("rpt_t8_completeness", (
        *_not_null(["quarter", "province_code", *counts]),
        *_one_row_per_province(["quarter", "province_code"]),
        *_non_negative(counts + rates),
        # Matching is one to one, so a facility birth is registered at most once.
        _rows("facility_births_registered is at most facility_live_births",
              "select province_code, facility_live_births, facility_births_registered from {batch} "
              "where facility_births_registered > facility_live_births"),
        # More on-time registrations than expected events points at the denominators (GSO figures, geography).
        _rows("completeness at most 110 %",
              "select province_code, birth_completeness_pct, death_completeness_pct from {batch} "
              "where birth_completeness_pct > 110 or death_completeness_pct > 110", WARNING),
    ))


def report_suites() -> list[ModelSuite]:
    """The suites the gate runs over the quarter's report models, in report order."""
    suites = [t1_registrations(), t2_births_by_sex(), t8_completeness()]
    for suite in suites:  # the description names the check in results, so it must be unique in its suite
        names = [e.description for e in suite.expectations]
        if len(names) != len(set(names)):
            raise RuntimeError(f"suite {suite.model} has two checks with the same description")
    return suites
