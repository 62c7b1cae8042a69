"""
### crvs_transform — rebuild the warehouse models with dbt

Runs whenever a delivery has updated any raw dataset (the `crvs://raw/<dataset>` Assets that
the agency DAGs **crvs_ingest_moj**, **crvs_ingest_moh** and **crvs_ingest_gso** emit), and on
demand. One task: `dbt build` of the whole project (seeds, staging, intermediate, marts and the
report models, with their dbt tests). When it succeeds it
updates the Asset `crvs://reports/quarterly_models`, which starts **crvs_quarterly_report**.

A failing dbt test fails the task; the dbt log in the task log names the model and the test.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetAny, dag, get_current_context, task

from crvs import assets, pipeline
from crvs.airflow import adapter

RAW_ASSETS = [Asset(uri) for uri in assets.raw_asset_uris()]
REPORT_MODELS = Asset(assets.REPORT_MODELS_ASSET_URI)


@dag(
    dag_id="crvs_transform",
    schedule=AssetAny(*RAW_ASSETS),
    start_date=adapter.DAG_START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=adapter.dag_defaults(),
    tags=[*adapter.TAGS, "dbt"],
    doc_md=__doc__,
    description="Rebuild the warehouse models with dbt after any delivery, then refresh the report",
)
def crvs_transform():
    @task(outlets=[REPORT_MODELS])
    def dbt_build(*, outlet_events=None) -> None:
        deliveries = sorted(
            {
                f"{event.extra.get('delivery_agency', '?')} {event.extra['delivery_id']}"
                for events in get_current_context().get("triggering_asset_events", {}).values()
                for event in events
                if event.extra and event.extra.get("delivery_id")
            }
        )
        print(f"rebuilding after deliveries: {deliveries or '(run by hand)'}")
        pipeline.transform()
        outlet_events[REPORT_MODELS].extra = {"after_deliveries": deliveries}

    dbt_build()


crvs_transform()
