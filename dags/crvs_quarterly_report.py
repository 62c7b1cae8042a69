"""
### crvs_quarterly_report — gate, write and deliver the quarterly report

**When it runs**

* On the quarterly schedule: 06:00 (Vietnam) on the 15th day after each quarter ends (15 Jan,
  15 Apr, 15 Jul, 15 Oct). Its data interval starts on the quarter's first day and ends at the run,
  so it spans the quarter and the agencies' delivery window; the run reports the quarter its data
  interval starts in and e-mails it to the recipients.
* After every rebuild of the report models (the Asset `crvs://reports/quarterly_models` that
  **crvs_transform** emits): the report of the last complete quarter is rewritten, so late
  deliveries and corrections show at once in `$CRVS_HOME/reports/`. These runs do not e-mail: a
  quarter goes out on its schedule or when someone triggers it.
* By hand: *Trigger* with the parameter `quarter` (e.g. `2025Q3`) to (re)build and deliver any past
  quarter; `force_delivery` e-mails recipients who already received that quarter.

The figures depend only on the quarter chosen (the report's rule: never on today's date).

1. `choose_quarter` — the `quarter` parameter, or the default above.
2. `quality_gate` — the quality gate of the quarter. When a blocking expectation fails the task
   fails at once with the gate's summary, and nothing is written or sent.
3. `write_report` — CSV, XLSX, PDF and manifest under `$CRVS_HOME/reports/<quarter>/`, resting on
   the gate run of step 2 as recorded in quality.gate_runs (the checks run again only when a
   delivery was loaded or another gate ran since). The public edition is put in place only when the
   disclosure audit passes on its files as written; when it does not, the agency edition and the
   manifest are written, and the task fails at once with one line naming the tables and kinds of
   finding (no value), so nothing is delivered.
4. `deliver_report` — each recipient of `config/recipients.toml` gets the files it may receive:
   outbox `$CRVS_HOME/outbox/<quarter>/<recipient>/`, e-mail through the Airflow connection
   `crvs_smtp`, a record in `delivery.deliveries`. Without the connection it writes the outbox and
   says loudly that nothing was sent. A recipient the server could not be given the message for is
   recorded FAILED with the reason; the task then fails naming them, and its retries send to them
   only (no one receives the quarter twice).
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task
from dateutil.relativedelta import relativedelta

from crvs import assets, pipeline, schedule
from crvs.airflow import adapter

REPORT_MODELS = Asset(assets.REPORT_MODELS_ASSET_URI)

# 06:00 on the 15th of the month after each quarter; the interval reaches back to the quarter's
# first midnight (3 months + 14 days + 6 hours), so data_interval_start names the quarter.
QUARTERLY = CronTriggerTimetable(
    "0 6 15 1,4,7,10 *", timezone=schedule.REPORT_TIMEZONE, interval=relativedelta(months=3, days=14, hours=6)
)


@dag(
    dag_id="crvs_quarterly_report",
    schedule=AssetOrTimeSchedule(timetable=QUARTERLY, assets=REPORT_MODELS),
    start_date=adapter.DAG_START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=adapter.dag_defaults(),
    tags=[*adapter.TAGS, "report"],
    doc_md=__doc__,
    description="Quality gate, then the quarterly report's files, then e-mail to its recipients",
    params={
        "quarter": Param(
            None,
            type=["null", "string"],
            pattern=schedule.QUARTER_PATTERN,
            title="Quarter",
            description="The quarter to report, e.g. 2025Q3. Empty: the schedule's quarter, or the last "
            "complete quarter before the run's date.",
        ),
        "force_delivery": Param(
            False,
            type="boolean",
            title="Send again",
            description="E-mail recipients who already received this quarter (a corrected report).",
        ),
    },
)
def crvs_quarterly_report():
    @task
    def choose_quarter(*, params=None, dag_run=None) -> str:
        scheduled = str(getattr(dag_run.run_type, "value", dag_run.run_type)) == "scheduled"
        with adapter.fail_at_once(ValueError):  # a wrong parameter: retrying cannot fix it
            quarter = schedule.quarter_for_run(
                params.get("quarter"),
                interval_start=dag_run.data_interval_start if scheduled else None,
                run_date=dag_run.logical_date or dag_run.run_after,
            )
        print(f"reporting quarter {quarter}")
        return quarter

    @task
    def quality_gate(quarter: str) -> dict:
        with adapter.fail_at_once():  # a blocked quarter is not a passing fault
            return pipeline.gate(quarter)

    @task
    def write_report(quarter: str, gate: dict) -> str:
        # the gate's outcome as quality_gate recorded it: the checks do not run twice
        with adapter.fail_at_once():
            return pipeline.report(quarter, gate_run_id=gate["run_id"])

    @task
    def deliver_report(quarter: str, path: str, *, params=None, dag_run=None) -> list[str]:
        print(f"quarterly report written to {path}")
        if not schedule.run_delivers(str(getattr(dag_run.run_type, "value", dag_run.run_type))):
            print(
                "asset-triggered run: the report is refreshed; it is delivered on the quarterly schedule "
                "or by a manual run"
            )
            return []
        lines = pipeline.deliver(
            quarter,
            adapter.smtp_config(),
            force=bool(params.get("force_delivery")),
            out=Path(path).parent,
        )
        for line in lines:
            print(line)
        return lines

    quarter = choose_quarter()
    report_path = write_report(quarter, quality_gate(quarter))
    deliver_report(quarter, report_path)


crvs_quarterly_report()
