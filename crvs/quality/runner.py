"""Running suites with GX 1.x: one checkpoint per run in an ephemeral context, its results kept in
the File context under expectations/gx, the data docs rebuilt by every run, and each expectation
result turned into an ExpectationOutcome.

Why two contexts: the data source, suites, validation definitions and checkpoint of a run are made
afresh from the code (expectations/*.py) in an ephemeral, in-memory context, so they can never be
stale (GX refuses to run a suite that "has changed since it has last been saved") and two gates at
once never touch each other's. Only the outcome is shared: the validation results and the data docs
site (expectations/gx/, git-ignored; `crvs gate --docs`), written under a file lock
(context_lock). Any error GX raises while validating becomes GxFailure, one line.

The warehouse's address never reaches a file: the data source's connection string is
`${CRVS_GX_WAREHOUSE_URL}`, which GX substitutes from the environment of the process at run time.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from crvs import database, settings
from crvs.quality.suites import BLOCKING, ModelSuite

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
LOCK_FILE = "crvs.lock"  # under gx/: held while a process writes the File context (context_lock)
URL_VARIABLE = "CRVS_GX_WAREHOUSE_URL"
RESULTS_KEPT = 5  # validation results kept per suite (history in the data docs)
_SHOWN = 10  # how many provinces / rows a summary names before "… and N more"


def context_root() -> Path:
    """The folder holding gx/ (settings.gx_root)."""
    return settings.gx_root()


def data_docs_index() -> Path:
    return context_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str  # the check, as the suite describes it
    table: str  # the model (or check) the suite is about
    severity: str  # BLOCKING or WARNING
    success: bool
    observed: str  # what was seen, in words: which provinces are missing, which rows break the rule
    expectation: str  # the GX expectation type
    details: dict = field(default_factory=dict)  # the same, as data (missing values, offending rows)
    # Plausibility bands only (suites.band_check): the short name `crvs gate accept --check` takes,
    # the band in words, the columns of a finding's area and figure, and whether it may be accepted.
    check: str = ""
    band: str = ""
    area_column: str = ""
    figure_column: str = ""
    acceptable: bool = False

    def describe(self) -> str:
        named = f" [{self.check}]" if self.check and not self.success else ""
        return f"{self.table}: {self.name}{named} — {self.observed}"

    @property
    def findings(self) -> list[dict]:
        """A failed band's findings as data: check, area, figure, band, severity (and the row's other
        columns under `context`), for wording them elsewhere — e.g. without the figure in public text."""
        if self.success or not self.check:
            return []
        return [
            {
                "check": self.check,
                "table": self.table,
                "area": row.get(self.area_column),
                "figure": row.get(self.figure_column),
                "band": self.band,
                "severity": self.severity,
                "context": {k: v for k, v in row.items() if k not in (self.area_column, self.figure_column)},
            }
            for row in self.details.get("rows", [])
        ]


def missing_table(suite: ModelSuite) -> ExpectationOutcome:
    return ExpectationOutcome(
        name="the model exists",
        table=suite.model,
        severity=BLOCKING,
        success=False,
        observed=f"table {suite.relation} does not exist (run dbt build)",
        expectation="table_exists",
    )


def table_exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def present_suites(suites: list[ModelSuite]) -> tuple[list[ModelSuite], list[ExpectationOutcome]]:
    """The suites whose table exists, and a blocking outcome for each required table that does not."""
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        absent = {s.model for s in suites if s.required and not table_exists(conn, s.relation)}
    return ([s for s in suites if s.model not in absent], [missing_table(s) for s in suites if s.model in absent])


def _quiet_gx() -> None:
    # Analytics are off (crvs/quality/__init__.py); GX logs every metric at INFO.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


class GxFailure(RuntimeError):
    """GX could not run a checkpoint (a broken context, an unreachable warehouse, a GX defect);
    the message is one line naming the checkpoint and the error."""


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


@contextmanager
def context_lock():
    """Exclusive use of the File context under gx/ by this process: two gates (or a gate and a
    DAG's feed checks) at once would otherwise write great_expectations.yml and the data docs
    over each other. A lock on a file (released by the kernel when a process dies)."""
    folder = context_root() / "gx"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_context():
    """The File data context under gx/, created on first use. It holds validation results and the
    data docs only; call it under context_lock()."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    config = context_root() / "gx" / "great_expectations.yml"
    if config.is_file() and "\nfluent_datasources:" in config.read_text(encoding="utf-8", errors="replace"):
        config.unlink()  # an older version's, holding every run's query assets: GX writes a new one
    try:
        context = gx.get_context(mode="file", project_root_dir=str(context_root()))
    except Exception as err:  # generated, so a broken one (a crash mid-write) is replaced
        log.warning("the GX context's %s could not be read (%s): writing a new one", config, _one_line(err))
        config.unlink(missing_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(context_root()))
    bars = context.variables.progress_bars
    if (bars.get("globally") if isinstance(bars, dict) else getattr(bars, "globally", None)) is not False:
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    _forget_stored_definitions()
    return context


def _forget_stored_definitions() -> None:
    """Earlier versions kept the data source, suites, validation definitions and checkpoints in the
    File context, where a suite changed by one run made the next fail (GX's freshness check) and two
    runs at once corrupted great_expectations.yml. They now live only in each run's ephemeral
    context; what an older version left behind is removed."""
    root = context_root() / "gx"
    for folder in ("checkpoints", "validation_definitions", "expectations"):
        for path in (root / folder).glob("*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif not path.name.startswith("."):
                path.unlink(missing_ok=True)


def _checkpoint_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def run_suites(
    key: str, suites: list[ModelSuite], *, checkpoint: str, index_column: str | None
) -> list[ExpectationOutcome]:
    """Validate `suite.batch_query(key)` against each suite in one checkpoint run; data docs updated.

    `key` is the quarter or the delivery id the suites' queries select (already validated by the
    caller). `index_column` names the column GX reports failing rows by (province_code, source_row).
    Raises GxFailure (one line) when GX cannot run the checks."""
    if not suites:
        return []
    try:
        run = _validate(key, suites, checkpoint, index_column)
    except Exception as err:  # whatever GX raises, the caller gets one line
        log.debug("GX failed on %s", checkpoint, exc_info=True)
        raise GxFailure(f"GX could not run the checks {checkpoint}: {_one_line(err)}") from err
    _publish(run)
    by_suite = {v.suite_name: v for v in run.run_results.values()}
    outcomes = []
    for suite in suites:  # GX groups results by metric domain; report them in the suite's order instead
        order = {e.description: i for i, e in enumerate(suite.expectations)}
        results = by_suite[_checkpoint_safe(f"{checkpoint}.{suite.model}")].results
        found = [_outcome(suite.model, r.to_json_dict(), index_column) for r in results]
        outcomes += sorted(found, key=lambda o: order.get(o.name, len(order)))
    return outcomes


def _validate(key: str, suites: list[ModelSuite], checkpoint: str, index_column: str | None):
    """One checkpoint run in a new ephemeral context: the data source, suites, validation
    definitions and checkpoint exist only in this process's memory, made afresh from the code for
    this run, so no earlier run's state can be stale and no other process's run can interfere."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # No docs site: GX's default for an ephemeral context is a temporary folder left behind by every
    # run; the docs are built from the File context instead (_publish).
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    with _warehouse_url_for_gx():
        return _run_checkpoint(context, key, suites, checkpoint, index_column)


@contextmanager
def _warehouse_url_for_gx():
    """The gate role's URL in os.environ for the checkpoint run only (GX substitutes ${URL_VARIABLE}
    when it connects, so the password-bearing URL never enters its config), then what was there
    before is put back: the password does not linger in the environment."""
    previous = os.environ.get(URL_VARIABLE)
    os.environ[URL_VARIABLE] = settings.role_url(settings.GATE_ROLE)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(URL_VARIABLE, None)
        else:
            os.environ[URL_VARIABLE] = previous


def _run_checkpoint(context, key: str, suites: list[ModelSuite], checkpoint: str, index_column: str | None):
    import great_expectations as gx

    source = context.data_sources.add_postgres(DATASOURCE, connection_string="${" + URL_VARIABLE + "}")
    try:
        definitions = []
        for suite in suites:
            name = _checkpoint_safe(f"{checkpoint}.{suite.model}")
            # GX wants a query starting with SELECT; a suite's may start with WITH.
            asset = source.add_query_asset(name, query=f"select * from ({suite.batch_query(key)}) as batch_rows")
            # Copies: an expectation object belongs to one GX suite, and a suite may be run again.
            expectations = [e.copy(update={"id": None}) for e in suite.expectations]
            gx_suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(
                        name=name,
                        data=asset.add_batch_definition_whole_table(_checkpoint_safe(key)),
                        suite=gx_suite,
                    )
                )
            )
        result_format = {"result_format": "COMPLETE"}
        if index_column:
            result_format["unexpected_index_column_names"] = [index_column]
        return context.checkpoints.add(
            gx.Checkpoint(
                name=_checkpoint_safe(checkpoint),
                validation_definitions=definitions,
                actions=[],  # data docs once after the run, from the File context (_publish)
                # COMPLETE: the offending values and rows, so the summary can name the provinces.
                result_format=result_format,
            )
        ).run()
    finally:
        source.get_execution_engine().engine.dispose()


def _publish(run) -> None:
    """Store the run's validation results in the File context and rebuild the data docs from them,
    under the context lock. The docs are for reading the outcome, which is already known: a failure
    here is logged, never the gate's verdict."""
    try:
        with context_lock():
            context = file_context()
            for identifier, result in run.run_results.items():
                context.validation_results_store.set(identifier, result)
            _prune_validation_results()
            context.build_data_docs(resource_identifiers=list(run.run_results))
    except Exception as err:  # see the docstring
        log.warning("the data docs were not updated: %s", _one_line(err))


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


def build_data_docs() -> Path:
    """(Re)build the data docs site from the stored validation results; returns its index.html."""
    with context_lock():
        file_context().build_data_docs()
    return data_docs_index()


def _outcome(model: str, result: dict, index_column: str | None) -> ExpectationOutcome:
    config = result["expectation_config"]
    meta = config.get("meta") or {}
    observed, details = _observed(config, result, index_column)
    return ExpectationOutcome(
        name=config.get("description") or config["type"],
        table=model,
        severity=meta.get("severity", BLOCKING),
        success=bool(result["success"]),
        observed=observed,
        expectation=config["type"],
        details=details,
        check=meta.get("check", ""),
        band=meta.get("band", ""),
        area_column=meta.get("area_column", ""),
        figure_column=meta.get("figure_column", ""),
        acceptable=bool(meta.get("acceptable", False)),
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
        return f"{count} row(s): {_listed([_row_text(r) for r in rows], count)}", {"rows": rows[: _SHOWN * 5]}
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
        return (
            f"{count} row(s) unexpected ({_listed(texts, count)})",
            {"unexpected_count": count, "rows": rows[: _SHOWN * 5]},
        )
    if "observed_value" in found:
        return f"observed {found['observed_value']}", {"observed_value": found["observed_value"]}
    return ("met" if result["success"] else "not met"), {}
