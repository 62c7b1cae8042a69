"""The quality gate: one GX checkpoint over a quarter before export, its outcome, and its record.

`run_gate(quarter)` first runs the feed checks of any delivery of the quarter that has none yet
(crvs/quality/feeds.py), then validates each suite of expectations/report_suites.py (report
models, marts, freshness of the deliveries, personal identifiers, plausibility bands) against the
quarter's rows, applies the quarter's acceptances (crvs/quality/acceptances.py), records the run in
quality.gate_runs, rebuilds the data docs and returns a GateResult. It raises nothing when checks
fail: the caller decides (`require_pass`). When GX cannot run at all, the result has one blocking
outcome saying so in one line, and is recorded as a failed run like any other.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

from crvs import database, settings
from crvs.quality import acceptances, runner
from crvs.quality.acceptances import Acceptance
from crvs.quality.feeds import check_unchecked_deliveries
from crvs.quality.runner import ExpectationOutcome, GxFailure, present_suites, run_suites
from crvs.quality.suites import BLOCKING, WARNING, ModelSuite, report_suites
from crvs.quarter import check_quarter

REPORT_SCHEMA = "reports"

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
class GateResult:
    quarter: str
    run_id: str
    run_at: datetime
    outcomes: list[ExpectationOutcome]
    # The quarter's acceptances by check (crvs/quality/acceptances.py): a failed BLOCKING band whose
    # check is here does not block.
    acceptances: dict[str, Acceptance] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    def acceptance_of(self, outcome: ExpectationOutcome) -> Acceptance | None:
        if outcome.success or outcome.severity != BLOCKING or not outcome.acceptable:
            return None
        return self.acceptances.get(outcome.check)

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == BLOCKING and not o.success and self.acceptance_of(o) is None]

    @property
    def accepted(self) -> list[tuple[ExpectationOutcome, Acceptance]]:
        """The failed BLOCKING bands a statistician accepted for the quarter, with the acceptance."""
        return [(o, a) for o in self.outcomes if (a := self.acceptance_of(o)) is not None]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == WARNING and not o.success]

    @property
    def findings(self) -> list[dict]:
        """Every failed plausibility band's findings as data (check, table, area, figure, band,
        severity, and `accepted` with the acceptance's line when a statistician accepted it)."""
        found = []
        for outcome in self.outcomes:
            acceptance = self.acceptance_of(outcome)
            found += [{**f, "accepted": acceptance.line() if acceptance else None} for f in outcome.findings]
        return found

    def summary(self) -> str:
        """One line: the verdict, then each failed check with its table, province(s) and count, each
        accepted finding with who accepted it, when and why."""
        warnings = "; ".join(o.describe() for o in self.warnings)
        accepted = "; ".join(f"{o.describe()} (accepted: {a.line()})" for o, a in self.accepted)
        if self.passed:
            if not warnings and not accepted:
                return f"Gate {self.quarter} passed: all {len(self.outcomes)} checks met."
            parts = [f"{len(self.accepted)} accepted blocking finding(s): {accepted}"] if accepted else []
            parts += [f"{len(self.warnings)} warning(s): {warnings}"] if warnings else []
            return f"Gate {self.quarter} passed with " + " | ".join(parts)
        failures = "; ".join(o.describe() for o in self.blocking_failures)
        line = f"Gate {self.quarter} FAILED on {len(self.blocking_failures)} blocking check(s): {failures}"
        line += f" | accepted: {accepted}" if accepted else ""
        return line + (f" | warnings: {warnings}" if warnings else "")

    def closing_lines(self, manifest: Path | None = None) -> list[str]:
        """The gate's outcome in a few lines, for the end of `crvs report`: the verdict, each blocking
        or accepted finding, the count of warnings, and where the detail is."""
        verdict = "passed" if self.passed else f"BLOCKED by {len(self.blocking_failures)} check(s)"
        lines = [
            f"quality gate {self.quarter}: {verdict}; {len(self.accepted)} accepted finding(s), "
            f"{len(self.warnings)} warning(s) (run {self.run_id})"
        ]
        lines += [f"  BLOCKING {o.describe()}" for o in self.blocking_failures]
        lines += [f"  ACCEPTED {o.describe()} — {a.line()}" for o, a in self.accepted]
        checks = sorted({o.check for o in self.blocking_failures if o.acceptable})
        if checks:
            lines.append(
                f"  a statistician may accept a finding for {self.quarter} only: crvs gate accept "
                f'--quarter {self.quarter} --check {"|".join(checks)} --reason "..."'
            )
        detail = [f"`crvs gate --quarter {self.quarter}` lists every check"]
        if manifest is not None:
            detail.append(f"{manifest} (gate) and the agency workbook's Notes")
        detail.append(f"data docs {runner.data_docs_index()}")
        lines.append("  detail: " + "; ".join(detail))
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "quarter": self.quarter,
            "run_id": self.run_id,
            "run_at": self.run_at.isoformat(),
            "passed": self.passed,
            "summary": self.summary(),
            "outcomes": [{**asdict(o), "findings": o.findings} for o in self.outcomes],
            "accepted": [{"table": o.table, "name": o.name, **a.to_json()} for o, a in self.accepted],
        }


def checks_could_not_run(message: str) -> ExpectationOutcome:
    """The one blocking outcome of a run GX could not carry out: nothing was checked, so nothing passes."""
    return ExpectationOutcome(
        name="the checks ran", table="gate", severity=BLOCKING, success=False, observed=message, expectation="gx_run"
    )


def require_pass(result: GateResult) -> GateResult:
    if not result.passed:
        raise GateFailed(result.summary())
    return result


def run_gate(quarter: str, suites: list[ModelSuite] | None = None) -> GateResult:
    """Validate the quarter (the suites of expectations/report_suites.py unless `suites` is given),
    record the run in quality.gate_runs, update the data docs, return the outcome."""
    check_quarter(quarter)
    suites = report_suites() if suites is None else suites
    try:
        check_unchecked_deliveries(quarter)
        present, outcomes = present_suites(suites)
        outcomes += run_suites(quarter, present, checkpoint=f"gate_{quarter}", index_column="province_code")
    except GxFailure as err:
        outcomes = [checks_could_not_run(str(err))]
    result = GateResult(
        quarter, str(uuid.uuid4()), datetime.now(timezone.utc), outcomes, acceptances.for_quarter(quarter)
    )
    _record(result)
    return result


# The quarter's latest gate run, if nothing was loaded since it ran (a delivery loaded after the gate
# may change what it checked: freshness, feed checks and, once built, the report models).
LATEST_FRESH_RUN = """
select g.run_id, g.run_at, g.results from quality.gate_runs g
where g.quarter = %(quarter)s
  and g.run_at >= coalesce((select max(d.loaded_at) from raw.deliveries d), '-infinity')
order by g.run_at desc limit 1
"""


def recorded_run(quarter: str, run_id: str) -> GateResult | None:
    """The gate run `run_id` of `quarter` as it was recorded, when it is still the quarter's latest
    run and no delivery was loaded after it; else None (the caller runs the gate again). This is how
    the gate's outcome is passed on (the report DAG's quality_gate task to write_report) without
    running every check twice. The acceptances are read again: one recorded since applies."""
    check_quarter(quarter)
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        if conn.execute(
            "select to_regclass('quality.gate_runs') is null or to_regclass('raw.deliveries') is null"
        ).fetchone()[0]:
            return None
        found = conn.execute(LATEST_FRESH_RUN, {"quarter": quarter}).fetchone()
    if found is None or found[0] != run_id:
        return None
    _, run_at, results = found
    fields = {f for f in ExpectationOutcome.__dataclass_fields__}
    outcomes = [ExpectationOutcome(**{k: v for k, v in o.items() if k in fields}) for o in results["outcomes"]]
    return GateResult(quarter, run_id, run_at, outcomes, acceptances.for_quarter(quarter))


def _record(result: GateResult) -> None:
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        conn.execute(GATE_RUNS_DDL)
        conn.execute(
            "insert into quality.gate_runs (run_id, quarter, run_at, passed, results) values (%s, %s, %s, %s, %s)",
            (
                result.run_id,
                result.quarter,
                result.run_at,
                result.passed,
                Jsonb(result.to_json(), dumps=lambda v: json.dumps(v, default=str)),
            ),
        )
