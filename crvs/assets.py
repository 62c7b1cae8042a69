"""The Asset URIs the producing and consuming DAGs share (Assets are matched by name and URI), and
the raw Asset events a delivery's summary calls for. No Airflow here: plain strings and dicts."""

from __future__ import annotations

from typing import Any

from crvs.feeds.contract import DATASETS

RAW_ASSET_PREFIX = "crvs://raw/"
REPORT_MODELS_ASSET_URI = "crvs://reports/quarterly_models"


def raw_asset_uri(dataset: str) -> str:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    return RAW_ASSET_PREFIX + dataset


def raw_asset_uris() -> list[str]:
    return [raw_asset_uri(name) for name in DATASETS]


def raw_updates(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The raw Asset events a delivery's summary calls for: (uri, extra) per dataset it loaded."""
    if summary.get("outcome") != "LOADED":
        return []
    extra = {
        "delivery_agency": summary["agency"],
        "delivery_id": summary["delivery_id"],
        "delivery_channel": summary["channel"],
        "delivery_rows_loaded": summary["rows_loaded"],
        "delivery_rows_quarantined": summary["rows_quarantined"],
    }
    return [(raw_asset_uri(dataset), dict(extra)) for dataset in summary["datasets"]]
