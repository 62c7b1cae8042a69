"""
### crvs_ingest — load agency deliveries from the inbox

Scans the inbox (`$CRVS_HOME/inbox`) for delivery folders (`manifest.json` + the CSV files it
names; see the feed contract), oldest `extracted_at` first, and loads each with the feed loader:
one mapped task per delivery, labelled with the folder name, one delivery at a time.

- A loaded delivery moves to `inbox/processed/`. When all deliveries are done,
  `announce_raw_updates` updates the raw Asset of every dataset loaded (`crvs://raw/<dataset>`),
  one event per delivery and dataset whose extra names the delivery and its row counts. Those
  updates start **crvs_transform** (once per ingest run).
- A delivery sent twice loads nothing the second time and moves to `inbox/processed/` too.
- A rejected delivery (row count or sha256 disagreeing with the manifest, unknown schema version,
  unreadable file) moves to `inbox/rejected/` with its files; its task fails with the reason and
  the run fails, after the other deliveries are loaded. The reason is also recorded in
  `quarantine.rejected_deliveries`.

Schedule: `CRVS_INGEST_SCHEDULE` (cron or preset), default `@hourly`.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, AssetAlias, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from crvs import orchestration, pipeline

# Raw Assets are added through this alias, so a delivery updates only the datasets it carried.
RAW_LOADED = AssetAlias("crvs-raw-loaded")


@dag(
    dag_id="crvs_ingest",
    schedule=pipeline.ingest_schedule(),
    start_date=orchestration.DAG_START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=orchestration.dag_defaults(),
    tags=[*orchestration.TAGS, "ingest"],
    doc_md=__doc__,
)
def crvs_ingest():
    @task
    def scan_inbox() -> list[str]:
        folders = pipeline.scan_inbox()
        print(f"{len(folders)} delivery folder(s) waiting: {[Path(f).name for f in folders]}")
        return folders

    # One delivery at a time: each load is one transaction over the raw tables, and the log reads
    # delivery by delivery. (Order does not change the result: the highest record_version wins.)
    @task(max_active_tis_per_dag=1, map_index_template="{{ delivery_folder }}")
    def load_delivery(folder: str) -> dict:
        get_current_context()["delivery_folder"] = Path(folder).name
        (summary,) = pipeline.ingest([folder])  # logs one line: loaded, already loaded or rejected
        if summary["outcome"] == "REJECTED":
            raise AirflowFailException(pipeline.describe(summary))
        return summary

    # Once all deliveries are done (rejected ones too), so that one ingest run starts one rebuild.
    @task(outlets=[RAW_LOADED], trigger_rule=TriggerRule.ALL_DONE)
    def announce_raw_updates(summaries: list[dict], *, outlet_events=None) -> None:
        for summary in summaries:
            if summary["outcome"] != "LOADED":
                continue
            for dataset in summary["datasets"]:
                outlet_events[RAW_LOADED].add(
                    Asset(pipeline.raw_asset_uri(dataset)),
                    extra={
                        "delivery_id": summary["delivery_id"],
                        "delivery_rows_loaded": summary["rows_loaded"],
                        "delivery_rows_quarantined": summary["rows_quarantined"],
                    },
                )
                print(f"{pipeline.raw_asset_uri(dataset)} updated by {summary['delivery_id']}")

    @task
    def all_deliveries_loaded() -> None:
        """Runs only when no delivery was rejected; otherwise it is upstream_failed and the run
        fails (a run's state follows its last tasks)."""

    loads = load_delivery.expand(folder=scan_inbox())
    announce_raw_updates(loads)
    loads >> all_deliveries_loaded()


crvs_ingest()
