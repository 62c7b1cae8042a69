"""Running suites with GX 1.x: the File data context under expectations/gx, one checkpoint per run,
data docs rebuilt by every run, and each expectation result turned into an ExpectationOutcome.

The context's folder (expectations/gx/, git-ignored) is generated: the suites are code
(expectations/*.py) and are written into it at each run, so nothing in it is edited by hand. It holds
the latest suites, checkpoints, validation results and the data docs site
(expectations/gx/uncommitted/data_docs/local_site/index.html; `crvs gate --docs`).

The warehouse's address never reaches the context's files: the data source's connection string is
`${CRVS_GX_WAREHOUSE_URL}`, which GX substitutes from the environment of the process at run time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from crvs import database, settings
from crvs.quality.suites import BLOCKING, ModelSuite

DATASOURCE = "warehouse"
URL_VARIABLE = "CRVS_GX_WAREHOUSE_URL"
RESULTS_KEPT = 5  # validation results kept per suite (history in the data docs)
_SHOWN = 10  # how many provinces / rows a summary names before "… and N more"


def context_root() -> Path:
    """The folder holding gx/ (CRVS_GX_ROOT, default expectations/)."""
    return Path(os.environ.get("CRVS_GX_ROOT") or settings.EXPECTATIONS_DIR)


def data_docs_index() -> Path:
    return context_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str          # the check, as the suite describes it
    table: str         # the model (or check) the suite is about
    severity: str      # BLOCKING or WARNING
    success: bool
    observed: str      # what was seen, in words: which provinces are missing, which rows break the rule
    expectation: str   # the GX expectation type
    details: dict = field(default_factory=dict)  # the same, as data (missing values, offending rows)

    def describe(self) -> str:
        return f"{self.table}: {self.name} — {self.observed}"


def missing_table(suite: ModelSuite) -> ExpectationOutcome:
    return ExpectationOutcome(
        name="the model exists", table=suite.model, severity=BLOCKING, success=False,
        observed=f"table {suite.relation} does not exist (run dbt build)", expectation="table_exists",
    )


def table_exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def present_suites(suites: list[ModelSuite]) -> tuple[list[ModelSuite], list[ExpectationOutcome]]:
    """The suites whose table exists, and a blocking outcome for each required table that does not."""
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        absent = {s.model for s in suites if s.required and not table_exists(conn, s.relation)}
    return ([s for s in suites if s.model not in absent],
            [missing_table(s) for s in suites if s.model in absent])


def _quiet_gx() -> None:
    # Analytics are off (crvs/quality/__init__.py); GX logs every metric at INFO.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def file_context():
    """The File data context under expectations/gx, created on first use."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(context_root()))
    bars = context.variables.progress_bars
    if (bars.get("globally") if isinstance(bars, dict) else getattr(bars, "globally", None)) is not False:
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    return context


def _checkpoint_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def run_suites(key: str, suites: list[ModelSuite], *, checkpoint: str,
               index_column: str | None) -> list[ExpectationOutcome]:
    """Validate `suite.batch_query(key)` against each suite in one checkpoint run; data docs updated.

    `key` is the quarter or the delivery id the suites' queries select (already validated by the
    caller). `index_column` names the column GX reports failing rows by (province_code, source_row)."""
    if not suites:
        return []
    import great_expectations as gx

    context = file_context()
    os.environ[URL_VARIABLE] = settings.role_url(settings.GATE_ROLE)
    source = context.data_sources.add_or_update_postgres(DATASOURCE, connection_string="${" + URL_VARIABLE + "}")
    try:
        _forget_checkpoint(source, _checkpoint_safe(checkpoint))
        definitions = []
        for suite in suites:
            name = _checkpoint_safe(f"{checkpoint}.{suite.model}")
            # GX wants a query starting with SELECT; a suite's may start with WITH.
            asset = source.add_query_asset(name, query=f"select * from ({suite.batch_query(key)}) as batch_rows")
            # Copies: an expectation object belongs to one GX suite, and a suite may be run again.
            expectations = [e.copy(update={"id": None}) for e in suite.expectations]
            gx_suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
            definitions.append(context.validation_definitions.add_or_update(gx.ValidationDefinition(
                name=name, data=asset.add_batch_definition_whole_table(_checkpoint_safe(key)), suite=gx_suite,
            )))
        result_format = {"result_format": "COMPLETE"}
        if index_column:
            result_format["unexpected_index_column_names"] = [index_column]
        run = context.checkpoints.add_or_update(gx.Checkpoint(
            name=_checkpoint_safe(checkpoint),
            validation_definitions=definitions,
            actions=[],  # data docs once after the run, not once per validation (see below)
            # COMPLETE: the offending values and rows, so the summary can name the provinces.
            result_format=result_format,
        )).run()
        _prune_validation_results()
        context.build_data_docs(resource_identifiers=list(run.run_results))
    finally:
        source.get_execution_engine().engine.dispose()
    by_suite = {v.suite_name: v for v in run.run_results.values()}
    outcomes = []
    for suite in suites:  # GX groups results by metric domain; report them in the suite's order instead
        order = {e.description: i for i, e in enumerate(suite.expectations)}
        results = by_suite[_checkpoint_safe(f"{checkpoint}.{suite.model}")].results
        found = [_outcome(suite.model, r.to_json_dict(), index_column) for r in results]
        outcomes += sorted(found, key=lambda o: order.get(o.name, len(order)))
    return outcomes


def _prune_validation_results(keep: int = RESULTS_KEPT) -> None:
    """Keep the latest `keep` runs of each suite: the data docs index reads every stored result,
    so an unbounded history would make every run slower than the last."""
    root = context_root() / "gx" / "uncommitted" / "validations"
    if not root.is_dir():
        return
    by_suite: dict[Path, list[Path]] = {}
    for result in root.rglob("*.json"):  # <suite name, dots as folders>/<run name>/<run time>/<batch>.json
        by_suite.setdefault(result.parents[2], []).append(result)
    for results in by_suite.values():
        for stale in sorted(results, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]:
            stale.unlink(missing_ok=True)


def _forget_checkpoint(source, checkpoint: str) -> None:
    """Remove what the previous run of this checkpoint generated (its checkpoint, validation
    definitions, suites and assets), so a suite removed from the code leaves nothing stale behind.
    Validation results (uncommitted/) stay: the data docs show the history."""
    root = context_root() / "gx"
    prefix = checkpoint + "."
    (root / "checkpoints" / f"{checkpoint}.json").unlink(missing_ok=True)
    for path in (root / "validation_definitions").glob(f"{checkpoint}.*.json"):
        path.unlink(missing_ok=True)
    for path in (root / "expectations").glob(f"{checkpoint}.*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for name in source.get_asset_names():
        if name.startswith(prefix):
            source.delete_asset(name)


def build_data_docs() -> Path:
    """(Re)build the data docs site from the stored validation results; returns its index.html."""
    file_context().build_data_docs()
    return data_docs_index()


def _outcome(model: str, result: dict, index_column: str | None) -> ExpectationOutcome:
    config = result["expectation_config"]
    observed, details = _observed(config, result, index_column)
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


def _exception_message(info: dict) -> str | None:
    """GX reports an error either directly or per metric ({metric id: {raised_exception, ...}})."""
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for item in candidates:
        if item.get("raised_exception"):
            text = (item.get("exception_message") or "error").strip().splitlines()
            return text[0] if text else "error"
    return None


def _observed(config: dict, result: dict, index_column: str | None) -> tuple[str, dict]:
    """What the check saw, as one phrase and as data."""
    message = _exception_message(result.get("exception_info") or {})
    if message:
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
        if rows and column and index_column:
            texts = [f"{index_column} {r.get(index_column)}: {column}={r.get(column)}" for r in rows]
        else:
            texts = [json.dumps(v, default=str) for v in (found.get("partial_unexpected_list") or [])]
        return (f"{count} row(s) unexpected ({_listed(texts, count)})",
                {"unexpected_count": count, "rows": rows[:_SHOWN * 5]})
    if "observed_value" in found:
        return f"observed {found['observed_value']}", {"observed_value": found["observed_value"]}
    return ("met" if result["success"] else "not met"), {}
