"""
### crvs_ingest_<agency> — load one agency's deliveries: sharing platform, then the inbox

One DAG per agency, on the agency's own rhythm: **crvs_ingest_moj** daily, **crvs_ingest_moh**
weekly, **crvs_ingest_gso** monthly (override with `CRVS_SCHEDULE_MOJ`, `CRVS_SCHEDULE_MOH`,
`CRVS_SCHEDULE_GSO`: cron or preset). Each run:

1. **fetch_platform_deliveries** — when the sharing platform is configured (Airflow connection
   `crvs_platform`: host, port, password = the bearer token; or `CRVS_PLATFORM_URL` /
   `CRVS_PLATFORM_TOKEN`), asks it for the agency's deliveries after the last one loaded and loads
   them one by one in the platform's order, as `crvs fetch` does: pages are spooled to
   `$CRVS_HOME/platform/spool/` with retries, then loaded by the file loader (whole or not at all).
   A delivery the platform could not serve after the client's retries (or whose load broke) holds
   back the later ones: they are not fetched, and the next run lists it again, so no delivery is
   ever skipped. A rejected one (its rows disagree with the manifest, ...) is recorded and the
   later ones load. The return value has one summary per delivery.
2. **platform_deliveries_loaded** — fails when a platform delivery was rejected or not fetched,
   with one line each.
3. **collect_mail** — the official e-mail fallback: the messages waiting in the mail folder
   (`CRVS_MAIL_DIR`, default `$CRVS_HOME/mail`; a maildir or a folder of `.eml` files) have their
   attachments saved as delivery folders in the inbox (any agency's: each DAG loads its own); a
   message without a manifest is rejected with that reason.
4. **scan_inbox** / **load_inbox_delivery** — the regulation's fallback channels (files, e-mail):
   the agency's delivery folders in `$CRVS_HOME/inbox`, one mapped task each, labelled with the
   folder; loaded ones move to `inbox/processed/`, rejected ones to `inbox/rejected/`.
5. **announce_raw_updates** — one Asset event per delivery and dataset loaded
   (`crvs://raw/<dataset>`, extra: delivery_id, channel, row counts), which starts **crvs_transform**.
6. **all_deliveries_loaded** — fails the run when any delivery was rejected or not fetched, after
   the others were loaded.

The return value of each load task (XCom) and its log say which delivery it loaded, how many rows
were loaded and quarantined, and the feed checks; never a token or personal data.
Whether each agency delivered within its agreed window is **crvs_freshness**'s job.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, AssetAlias, TriggerRule, dag, get_current_context, task

from crvs import assets, schedule
from crvs.airflow import adapter
from crvs.feeds import inbox, ingest, mail

# Raw Assets are added through this alias, so a delivery updates only the datasets it carried.
RAW_LOADED = AssetAlias("crvs-raw-loaded")


def ingest_dag(agency: str):
    @dag(
        dag_id=f"crvs_ingest_{agency.lower()}",
        schedule=schedule.ingest_schedule(agency),
        start_date=adapter.DAG_START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=adapter.dag_defaults(),
        tags=[*adapter.TAGS, "ingest", agency],
        doc_md=__doc__.replace("<agency>", agency.lower(), 1),
        description=f"Load {agency}'s deliveries (sharing platform, e-mail, inbox) into the raw tables",
    )
    def crvs_ingest():
        # One task, not one per delivery: the deliveries load in the platform's order and one that
        # fails holds back the later ones (independent tasks let a later one load and move the
        # listing past the failed one, which was then never fetched again).
        @task(max_active_tis_per_dag=1)
        def fetch_platform_deliveries() -> list[dict]:
            with adapter.fail_at_once():  # a refused token: retrying cannot fix it
                summaries = ingest.fetch_platform(agency, adapter.platform_config())
            for summary in summaries:
                print(ingest.describe(summary))
            return summaries

        @task
        def platform_deliveries_loaded(fetched: list[dict]) -> None:
            with adapter.fail_at_once():
                ingest.require_all_loaded(fetched)

        @task
        def collect_mail() -> None:
            saved = mail.collect_mail()
            print(f"{len(saved)} e-mailed delivery(ies) saved to the inbox: {[Path(f).name for f in saved]}")

        @task
        def scan_inbox() -> list[str]:
            folders = inbox.scan_inbox(agency=agency)
            print(f"{len(folders)} delivery folder(s) of {agency} waiting: {[Path(f).name for f in folders]}")
            return folders

        # One delivery at a time: each load is one transaction over the raw tables, and the log
        # reads delivery by delivery. (Order does not change the result: the highest version wins.)
        @task(max_active_tis_per_dag=1, map_index_template="{{ delivery_folder }}")
        def load_inbox_delivery(folder: str) -> dict:
            get_current_context()["delivery_folder"] = Path(folder).name
            (summary,) = ingest.ingest([folder])
            with adapter.fail_at_once():  # a rejected delivery; one the platform could not serve is retried
                return ingest.require_loaded(summary)

        # Once all deliveries are done (rejected ones too), so that one run starts one rebuild.
        @task(outlets=[RAW_LOADED], trigger_rule=TriggerRule.ALL_DONE)
        def announce_raw_updates(fetched: list[dict], loaded: list[dict], *, outlet_events=None) -> None:
            # By index within len(): iterating would ask for one XCom past the end (logged as an error).
            for summary in [results[i] for results in (fetched or [], loaded) for i in range(len(results))]:
                for uri, extra in assets.raw_updates(summary):
                    outlet_events[RAW_LOADED].add(Asset(uri), extra=extra)
                    print(f"{uri} updated by {summary['delivery_id']} ({summary['channel']})")

        # Not the default all_success: that skips this task as soon as one upstream is skipped (no
        # platform delivery), even when a load fails later, and the run would end green.
        @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
        def all_deliveries_loaded() -> None:
            """Runs only when no delivery was rejected or left unfetched; otherwise it is
            upstream_failed and the run fails (a run's state follows its last tasks)."""

        fetched = fetch_platform_deliveries()
        waiting = scan_inbox()
        collect_mail() >> waiting
        loaded = load_inbox_delivery.expand(folder=waiting)
        announce_raw_updates(fetched, loaded)
        [platform_deliveries_loaded(fetched), loaded] >> all_deliveries_loaded()

    return crvs_ingest()


for _agency in adapter.AGENCIES:
    globals()[f"crvs_ingest_{_agency.lower()}"] = ingest_dag(_agency)
