"""
### crvs_quarterly_report — gate, then write the quarterly report

Runs after every rebuild of the report models (the Asset `crvs://reports/quarterly_models` that
**crvs_transform** emits) and by hand: *Trigger* with the parameter `quarter` (e.g. `2025Q3`).
Without it, the run is for the last complete quarter before the run's date; the figures depend
only on the quarter chosen (the report's rule: never on today's date).

1. `choose_quarter` — the `quarter` parameter, or the default above.
2. `quality_gate` — the quality gate of the quarter. When a blocking expectation fails the task
   fails at once with the gate's summary, and nothing is written.
3. `write_report` — CSV, XLSX and manifest under `$CRVS_HOME/reports/<quarter>/`.
4. `announce_report` — logs where the report is. Delivery to recipients (outbox + SMTP,
   `crvs.delivery`) belongs after this step.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task
from airflow.sdk.exceptions import AirflowFailException

from crvs import orchestration, pipeline

REPORT_MODELS = Asset(pipeline.REPORT_MODELS_ASSET_URI)


def _fail_at_once_if_blocked(step, quarter: str):
    """A blocked quarter (the gate failed) is not a passing fault: fail without retries."""
    try:
        return step(quarter)
    except pipeline.RunBlocked as blocked:
        raise AirflowFailException(str(blocked)) from blocked


@dag(
    dag_id="crvs_quarterly_report",
    schedule=REPORT_MODELS,
    start_date=orchestration.DAG_START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=orchestration.dag_defaults(),
    tags=[*orchestration.TAGS, "report"],
    doc_md=__doc__,
    params={
        "quarter": Param(
            None,
            type=["null", "string"],
            pattern=pipeline.QUARTER_PATTERN,
            title="Quarter",
            description="The quarter to report, e.g. 2025Q3. Empty: the last complete quarter "
                        "before the run's date.",
        ),
    },
)
def crvs_quarterly_report():
    @task
    def choose_quarter(*, params=None, dag_run=None) -> str:
        run_date = dag_run.logical_date or dag_run.run_after
        try:
            quarter = pipeline.resolve_quarter(params.get("quarter"), run_date)
        except ValueError as err:  # a wrong parameter: retrying cannot fix it
            raise AirflowFailException(str(err)) from err
        print(f"reporting quarter {quarter}")
        return quarter

    @task
    def quality_gate(quarter: str) -> dict:
        return _fail_at_once_if_blocked(pipeline.gate, quarter)

    @task
    def write_report(quarter: str) -> str:
        return _fail_at_once_if_blocked(pipeline.report, quarter)

    @task
    def announce_report(path: str) -> None:
        print(f"quarterly report written to {path}")
        # Delivery goes here: crvs.delivery puts the public and agency files in the outbox and
        # sends them by SMTP, recording who received what.

    quarter = choose_quarter()
    report_path = write_report(quarter)
    quality_gate(quarter) >> report_path
    announce_report(report_path)


crvs_quarterly_report()
