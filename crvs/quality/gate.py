"""The quality gate: one GX checkpoint over a quarter before export, its outcome, and its record.

`run_gate(quarter)` first runs the feed checks of any delivery of the quarter that has none yet
(crvs/quality/feeds.py), then validates each suite of expectations/report_suites.py (report
models, marts, freshness of the deliveries, personal identifiers) against the quarter's rows,
records the run in quality.gate_runs, rebuilds the data docs and returns a GateResult. It raises
nothing when checks fail: the caller decides (`require_pass`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from psycopg.types.json import Jsonb

from crvs import database, settings
from crvs.quality.feeds import check_unchecked_deliveries
from crvs.quality.quarter import check_quarter
from crvs.quality.runner import ExpectationOutcome, present_suites, run_suites
from crvs.quality.suites import BLOCKING, WARNING, ModelSuite, report_suites

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


def run_gate(quarter: str, suites: list[ModelSuite] | None = None) -> GateResult:
    """Validate the quarter (the suites of expectations/report_suites.py unless `suites` is given),
    record the run in quality.gate_runs, update the data docs, return the outcome."""
    check_quarter(quarter)
    suites = report_suites() if suites is None else suites
    check_unchecked_deliveries(quarter)
    present, outcomes = present_suites(suites)
    outcomes += run_suites(quarter, present, checkpoint=f"gate_{quarter}", index_column="province_code")
    result = GateResult(quarter, str(uuid.uuid4()), datetime.now(timezone.utc), outcomes)
    _record(result)
    return result


def _record(result: GateResult) -> None:
    with database.connect(autocommit=True, role=settings.GATE_ROLE) as conn:
        conn.execute(GATE_RUNS_DDL)
        conn.execute(
            "insert into quality.gate_runs (run_id, quarter, run_at, passed, results) values (%s, %s, %s, %s, %s)",
            (result.run_id, result.quarter, result.run_at, result.passed,
             Jsonb(result.to_json(), dumps=lambda v: json.dumps(v, default=str))),
        )
