"""The one adapter every DAG uses: the DAG ids and defaults, the Airflow connections (sharing
platform, SMTP) and the mapping of RunBlocked to AirflowFailException, so DAG files say only what
runs when and call the package for everything else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, Iterator

from crvs.errors import RunBlocked

AGENCIES = ("MOJ", "MOH", "GSO")
INGEST_DAG_IDS = tuple(f"crvs_ingest_{agency.lower()}" for agency in AGENCIES)
DAG_IDS = (*INGEST_DAG_IDS, "crvs_transform", "crvs_quarterly_report", "crvs_freshness")
TAGS = ("crvs",)

# Fixed in the past: the DAGs do not catch up, so this only marks when the schedule begins.
DAG_START_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def dag_defaults() -> dict[str, Any]:
    """default_args of every CRVS DAG. Retries cover passing trouble (the database restarting,
    a full disk); failures that a retry cannot fix fail at once (crvs.errors.RunBlocked). A failed
    task raises an alert (crvs.quality.alerts: log, alerts file, e-mail when SMTP is configured)."""
    from crvs.quality.alerts import task_failure_alert

    return {
        "on_failure_callback": task_failure_alert,
        "owner": "crvs-statistics",
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "retry_exponential_backoff": False,
        "depends_on_past": False,
    }


def platform_config():
    """The sharing platform for a DAG task: the Airflow connection crvs_platform (host, port,
    password = token; schema http or https), else CRVS_PLATFORM_URL / CRVS_PLATFORM_TOKEN, else
    None (not configured: the ingest DAGs read the inbox only)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    from crvs.platform.client import CONNECTION_ID, PlatformConfig

    try:
        conn = BaseHook.get_connection(CONNECTION_ID)
    except (AirflowNotFoundException, AirflowRuntimeError):
        return PlatformConfig.from_environment()
    return PlatformConfig.from_connection(conn)


def smtp_config():
    """The SMTP server of the Airflow connection crvs_smtp, or None when it is not defined."""
    from crvs import delivery

    return delivery.smtp_from_airflow_connection()


@contextlib.contextmanager
def fail_at_once(*also: type[Exception]) -> Iterator[None]:
    """Inside a task: RunBlocked (and the exception types `also`, e.g. ValueError for a wrong
    parameter) fails the task at once, without retries, its message said once in the log and the UI;
    any other exception is left to Airflow's retries."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        yield
    except (RunBlocked, *also) as blocked:
        raise AirflowFailException(str(blocked)) from None  # the message says it all, once
