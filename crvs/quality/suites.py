"""How a suite is written (ModelSuite, blocking(), warning(), the check helpers) and where the gate
finds the suites: Python files under expectations/ (reviewed in diffs, never hand-edited JSON).

- expectations/report_suites.py: `suites()`, the suites run over a quarter before export (report
  models, marts, deliveries' freshness, personal identifiers). `report_suites()` returns them.
- expectations/feed_suites.py: `suites(datasets)`, the suites run over one delivery after its load.
  `feed_suites(datasets)` returns them.

Every expectation carries `meta.severity`: BLOCKING (the report must not be written) or WARNING
(written, with the warning in its notes). Its `description` names the check in results, alerts
and data docs, so it is unique within its suite.

Plausibility bands (`band_check`) are rows checks whose expectation also carries the check's short
name, the band, and the columns holding the area and the figure, so each finding is structured
data and a BLOCKING band's finding can be accepted for one quarter (crvs/quality/acceptances.py).

Row-level SQL checks use GX's `UnexpectedRowsExpectation` (`rows_check`): `{batch}` is the suite's
query for the quarter (or the delivery). They select the columns that show the problem, the
province first where there is one, because the gate's summary names the rows they return.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Callable

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from crvs import settings
from crvs.quality.provinces import NATIONAL_CODE, province_codes

BLOCKING = "BLOCKING"
WARNING = "WARNING"


@dataclass(frozen=True)
class ModelSuite:
    """The expectations over one table's rows of a quarter: by default `select * from
    <schema>.<model> where quarter = '<quarter>'`; `query(quarter)` replaces that select when the
    rows to check are not a plain slice (freshness verdicts, a mart's own quarter column)."""

    model: str
    expectations: tuple
    schema: str = "reports"
    query: Callable[[str], str] | None = None
    # The model must exist (a report model dbt builds); False for tables that may legitimately be absent.
    required: bool = True

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.model}"

    def batch_query(self, quarter: str) -> str:
        """The rows the suite checks. The quarter is validated (crvs.quarter) before it is quoted."""
        if self.query is not None:
            return self.query(quarter)
        return f"select * from {self.relation} where quarter = '{quarter}'"


def _expect(kind, severity: str, name: str, meta: dict | None = None, **kwargs):
    gx_severity = FailureSeverity.CRITICAL if severity == BLOCKING else FailureSeverity.WARNING
    return kind(**kwargs, description=name, meta={"severity": severity, **(meta or {})}, severity=gx_severity)


def blocking(kind, name: str, **kwargs):
    return _expect(kind, BLOCKING, name, **kwargs)


def warning(kind, name: str, **kwargs):
    return _expect(kind, WARNING, name, **kwargs)


def rows_check(name: str, query: str, severity: str = BLOCKING):
    """A check that fails when `query` (over `{batch}`) returns rows; the rows are the evidence."""
    return _expect(gxe.UnexpectedRowsExpectation, severity, name, unexpected_rows_query=query)


def band_check(check: str, name: str, query: str, severity: str, *, band: str, area: str, figure: str):
    """A plausibility band (expectations/report_suites.py, PlausibilityBands): `query` (over `{batch}`)
    returns the rows whose figure lies outside `band`. The check's short name `check` is what a
    statistician passes to `crvs gate accept --check` (a BLOCKING band may be accepted for a quarter,
    nothing else may); `area` and `figure` name the columns each finding (check, area, figure, band)
    is read from, so the public wording can be made from the findings without their values."""
    meta = {
        "check": check,
        "band": band,
        "area_column": area,
        "figure_column": figure,
        "acceptable": severity == BLOCKING,
    }
    return _expect(gxe.UnexpectedRowsExpectation, severity, name, meta=meta, unexpected_rows_query=query)


def not_null(columns: list[str]) -> list:
    return [blocking(gxe.ExpectColumnValuesToNotBeNull, f"{c} is never null", column=c) for c in columns]


def non_negative(columns: list[str]) -> list:
    return [blocking(gxe.ExpectColumnValuesToBeBetween, f"{c} is not negative", column=c, min_value=0) for c in columns]


def one_row_per_province(key: list[str]) -> list:
    """All 34 provinces and VN present, nothing else, each once."""
    wanted = [*province_codes(), NATIONAL_CODE]
    return [
        blocking(
            gxe.ExpectColumnDistinctValuesToContainSet,
            "every province and VN present",
            column="province_code",
            value_set=wanted,
        ),
        blocking(
            gxe.ExpectColumnValuesToBeInSet,
            "province_code is a 2025 province or VN",
            column="province_code",
            value_set=wanted,
        ),
        blocking(gxe.ExpectCompoundColumnsToBeUnique, "one row per province", column_list=key),
    ]


def check_unique_names(suites: list[ModelSuite]) -> list[ModelSuite]:
    """Descriptions name checks in results; suite names name GX suites: both must be unique."""
    models = [s.model for s in suites]
    if len(models) != len(set(models)):
        raise RuntimeError(f"two suites for the same model: {sorted(m for m in models if models.count(m) > 1)}")
    for suite in suites:
        names = [e.description for e in suite.expectations]
        if len(names) != len(set(names)):
            raise RuntimeError(f"suite {suite.model} has two checks with the same description")
    return suites


def load_suite_file(name: str) -> ModuleType:
    """Import expectations/<name>.py (a plain file, not a package: the folder also holds the GX
    context and the windows file)."""
    module_name = f"crvs_expectations_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = settings.EXPECTATIONS_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or not path.is_file():
        raise RuntimeError(f"the suite file {path} is missing")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def report_suites() -> list[ModelSuite]:
    """The suites the gate runs over a quarter before export, in report order."""
    return check_unique_names(load_suite_file("report_suites").suites())


def feed_suites(datasets: list[str]) -> list[ModelSuite]:
    """The suites run over one delivery's rows of each of its datasets, after the load."""
    return check_unique_names(load_suite_file("feed_suites").suites(datasets))
