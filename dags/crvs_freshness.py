"""
### crvs_freshness — is every agency's delivery in, within its agreed window?

Daily. For the last complete quarter before the run's date, checks each dataset every agency owes
(windows in `expectations/freshness.toml`, the rule in `crvs/quality/freshness.py`, the same rule
as the gate's blocking freshness expectation). An agency whose window is still open is WAITING;
one whose window has closed without a delivery that counts is OVERDUE: the task fails at once
with the agency, dataset and deliveries seen, and the failure alert goes out (log, alerts file,
e-mail when SMTP is configured).

It is the freshness check of the agency ingest DAGs (crvs_ingest_moj, _moh, _gso): those load what
arrives; this one fails loudly when something that should have arrived has not, whatever the channel.

This check compares the window with the run's date, because "overdue" is about today. The gate's
verdict for a quarter never does: it depends on the deliveries only.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from crvs import pipeline, schedule
from crvs.airflow import adapter


@dag(
    dag_id="crvs_freshness",
    schedule="@daily",
    start_date=adapter.DAG_START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=adapter.dag_defaults(),
    tags=[*adapter.TAGS, "quality"],
    doc_md=__doc__,
    description="Daily: did every agency deliver the last quarter within its agreed window?",
)
def crvs_freshness():
    @task
    def check_deliveries_are_in(*, dag_run=None) -> dict:
        run_date = (dag_run.logical_date or dag_run.run_after).date()
        with adapter.fail_at_once():  # waiting longer cannot fix a closed window
            return pipeline.freshness(schedule.last_complete_quarter(run_date), today=run_date)

    check_deliveries_are_in()


crvs_freshness()
