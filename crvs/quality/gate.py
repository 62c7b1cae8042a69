"""The quality gate: a GX checkpoint over the quarter's report models, its outcome, and its record.

`run_gate(quarter)` validates each report model's rows of the quarter (a GX query asset on the
warehouse) against its suite (crvs/quality/suites.py), records the run in quality.gate_runs and
returns a GateResult. It raises nothing when checks fail: the caller decides (`require_pass`).

The GX data context is ephemeral (in memory): the suites are code, so there is nothing to keep
between runs. With `build_data_docs=True` the run's data docs are written under
expectations/gx/uncommitted/data_docs (git-ignored).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from crvs import database, settings
from crvs.quality.quarter import check_quarter
from crvs.quality.suites import BLOCKING, WARNING, ModelSuite, report_suites

REPORT_SCHEMA = "reports"
DATA_DOCS_DIR = settings.EXPECTATIONS_DIR / "gx" / "uncommitted" / "data_docs" / "local_site"
_SHOWN = 10  # how many provinces / rows a summary names before "… and N more"

GATE_RUNS_DDL = """
create schema if not exists quality;
create table if not exists quality.gate_runs (
    run_id   text primary key,
    quarter  text not null,
    run_at   timestamptz not null,
    passed   boolean not null,
    results  jsonb not null
);
"""


class GateFailed(RuntimeError):
    """The quarter's quality gate has at least one blocking failure; the message is the gate summary."""


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str          # the check, as the suite describes it
    table: str         # the report model
    severity: str      # BLOCKING or WARNING
    success: bool
    observed: str      # what was seen, in words: which provinces are missing, which rows break the rule
    expectation: str   # the GX expectation type
    details: dict = field(default_factory=dict)  # the same, as data (missing values, offending rows)

    def describe(self) -> str:
        return f"{self.table}: {self.name} — {self.observed}"


@dataclass(frozen=True)
class GateResult:
    quarter: str
    run_id: str
    run_at: datetime
    outcomes: list[ExpectationOutcome]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == BLOCKING and not o.success]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == WARNING and not o.success]

    def summary(self) -> str:
        """One line: the verdict, then each failed check with its table, province(s) and count."""
        warnings = "; ".join(o.describe() for o in self.warnings)
        if self.passed:
            if not warnings:
                return f"Gate {self.quarter} passed: all {len(self.outcomes)} checks met."
            return f"Gate {self.quarter} passed with {len(self.warnings)} warning(s): {warnings}"
        failures = "; ".join(o.describe() for o in self.blocking_failures)
        line = f"Gate {self.quarter} FAILED on {len(self.blocking_failures)} blocking check(s): {failures}"
        return line + (f" | warnings: {warnings}" if warnings else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "quarter": self.quarter,
            "run_id": self.run_id,
            "run_at": self.run_at.isoformat(),
            "passed": self.passed,
            "summary": self.summary(),
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def require_pass(result: GateResult) -> GateResult:
    if not result.passed:
        raise GateFailed(result.summary())
    return result


def run_gate(quarter: str, build_data_docs: bool = False) -> GateResult:
    """Validate the quarter's report models, record the run in quality.gate_runs, return the outcome."""
    check_quarter(quarter)
    suites = report_suites()
    with database.connect(autocommit=True) as conn:
        present = {s.model for s in suites if _table_exists(conn, s.model)}
    outcomes = [_missing_table(s.model) for s in suites if s.model not in present]
    outcomes += _run_checkpoint(quarter, [s for s in suites if s.model in present], build_data_docs)
    result = GateResult(quarter, str(uuid.uuid4()), datetime.now(timezone.utc), outcomes)
    _record(result)
    return result


def _table_exists(conn: psycopg.Connection, model: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (f"{REPORT_SCHEMA}.{model}",)).fetchone()[0]


def _missing_table(model: str) -> ExpectationOutcome:
    return ExpectationOutcome(
        name="the report model exists", table=model, severity=BLOCKING, success=False,
        observed=f"table {REPORT_SCHEMA}.{model} does not exist (run dbt build)", expectation="table_exists",
    )


def _quiet_gx() -> None:
    # Analytics are off (crvs/quality/__init__.py and the context config); GX logs every metric at INFO.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _context(build_data_docs: bool):
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig,
    )

    sites = {}
    if build_data_docs:
        sites["local_site"] = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(DATA_DOCS_DIR)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites=sites,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _run_checkpoint(quarter: str, suites: list[ModelSuite], build_data_docs: bool) -> list[ExpectationOutcome]:
    if not suites:
        return []
    context = _context(build_data_docs)
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    source = context.data_sources.add_postgres("warehouse", connection_string=settings.warehouse_url())
    try:
        definitions = []
        for suite in suites:
            # The quarter is checked against a strict pattern above, so quoting it into the SQL is safe.
            asset = source.add_query_asset(
                suite.model, query=f"select * from {REPORT_SCHEMA}.{suite.model} where quarter = '{quarter}'"
            )
            gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.model, expectations=list(suite.expectations)))
            definitions.append(context.validation_definitions.add(gx.ValidationDefinition(
                name=suite.model, data=asset.add_batch_definition_whole_table(quarter), suite=gx_suite,
            )))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"report_gate_{quarter}",
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="data_docs")] if build_data_docs else [],
            # COMPLETE: the offending values and rows, so the summary can name the provinces.
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["province_code"]},
        ))
        run = checkpoint.run()
    finally:
        source.get_execution_engine().engine.dispose()
    by_model = {v.suite_name: v for v in run.run_results.values()}
    outcomes = []
    for suite in suites:  # GX groups results by metric domain; report them in the suite's order instead
        order = {e.description: i for i, e in enumerate(suite.expectations)}
        found = [_outcome(suite.model, r.to_json_dict()) for r in by_model[suite.model].results]
        outcomes += sorted(found, key=lambda o: order.get(o.name, len(order)))
    return outcomes


def _outcome(model: str, result: dict) -> ExpectationOutcome:
    config = result["expectation_config"]
    observed, details = _observed(config, result)
    return ExpectationOutcome(
        name=config.get("description") or config["type"],
        table=model,
        severity=(config.get("meta") or {}).get("severity", BLOCKING),
        success=bool(result["success"]),
        observed=observed,
        expectation=config["type"],
        details=details,
    )


def _listed(items: list[str], total: int) -> str:
    shown = ", ".join(items[:_SHOWN])
    more = total - min(len(items), _SHOWN)
    return shown + (f" … and {more} more" if more > 0 else "")


def _row_text(row: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def _observed(config: dict, result: dict) -> tuple[str, dict]:
    """What the check saw, as one phrase and as data."""
    info = result.get("exception_info") or {}
    if info.get("raised_exception"):
        message = (info.get("exception_message") or "error").strip().splitlines()[0]
        return f"could not be evaluated: {message}", {"error": message}
    found = result.get("result") or {}
    kind = config["type"]
    if kind == "expect_column_distinct_values_to_contain_set":
        missing, count = found.get("partial_missing_list") or [], found.get("missing_count") or 0
        if not count:
            return "all present", {"missing": []}
        return f"missing {count} province(s): {_listed([str(m) for m in missing], count)}", {"missing": missing}
    if kind == "unexpected_rows_expectation":
        rows = (found.get("details") or {}).get("unexpected_rows") or []
        count = found.get("observed_value") or 0
        if not count:
            return "no offending rows", {"rows": []}
        return f"{count} row(s): {_listed([_row_text(r) for r in rows], count)}", {"rows": rows[:_SHOWN * 5]}
    if "unexpected_count" in found:
        count = found["unexpected_count"] or 0
        if not count:
            return "no offending rows", {"unexpected_count": 0}
        column = config["kwargs"].get("column")
        rows = found.get("unexpected_index_list") or []
        if rows and column:
            texts = [f"{r.get('province_code')}: {column}={r.get(column)}" for r in rows]
        else:
            texts = [json.dumps(v, default=str) for v in (found.get("partial_unexpected_list") or [])]
        return (f"{count} row(s) unexpected ({_listed(texts, count)})",
                {"unexpected_count": count, "rows": rows[:_SHOWN * 5]})
    if "observed_value" in found:
        return f"observed {found['observed_value']}", {"observed_value": found["observed_value"]}
    return ("met" if result["success"] else "not met"), {}


def _record(result: GateResult) -> None:
    with database.connect(autocommit=True) as conn:
        conn.execute(GATE_RUNS_DDL)
        conn.execute(
            "insert into quality.gate_runs (run_id, quarter, run_at, passed, results) values (%s, %s, %s, %s, %s)",
            (result.run_id, result.quarter, result.run_at, result.passed,
             Jsonb(result.to_json(), dumps=lambda v: json.dumps(v, default=str))),
        )
