"""Running the project's DAGs in this process with dag.test() (the demo and the DAG tests)."""

from __future__ import annotations

from typing import Any

from crvs import settings
from crvs.airflow.adapter import DAG_IDS


def load_dags() -> dict[str, Any]:
    """The project's DAGs, parsed from the dags folder; raises when a file does not import."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=settings.DAGS_DIR)
    if bag.import_errors:
        raise RuntimeError(
            "DAG files do not import:\n" + "\n".join(f"{path}: {err}" for path, err in bag.import_errors.items())
        )
    missing = [d for d in DAG_IDS if d not in bag.dags]
    if missing:
        raise RuntimeError(f"DAGs missing from {settings.DAGS_DIR}: {', '.join(missing)}")
    return dict(bag.dags)


def run_dag(
    dag: Any, run_conf: dict[str, Any] | None = None, *, retries: int | None = 0, use_executor: bool = False
) -> str:
    """One run of a DAG with `dag.test()`; returns the run's final state. Its tasks run in this
    process, or with `use_executor` in the executor's task processes (logs where the UI reads them;
    needs an api-server: execution_api()).

    Retries are off by default: a demo or test should show a failure at once rather than wait out
    the retry delay (dag.test honours it)."""
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries
    run = dag.test(run_conf=run_conf, use_executor=use_executor)
    return str(getattr(run.state, "value", run.state))


def forget_queued_asset_triggers() -> None:
    """Drop the asset triggers the demo's own runs queued for crvs_transform and
    crvs_quarterly_report. The demo ran those DAGs itself; left queued, the scheduler (once the UI
    is started) would run them again, and the report run would be for the quarter before today
    rather than the demo's quarter."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id.in_(DAG_IDS)))
