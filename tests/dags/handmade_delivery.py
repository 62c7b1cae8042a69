"""A GSO delivery written by hand for the DAG and pipeline tests (the sample generator is not used:
these tests must not depend on it)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

# Two valid 2025-list provinces and one code that exists in no list (quarantined, not loaded).
VITAL_RATES = [
    {
        "year": "2025",
        "province_code": "01",
        "admin_code_version": "2025",
        "crude_birth_rate": "15.2",
        "crude_death_rate": "6.1",
    },
    {
        "year": "2025",
        "province_code": "04",
        "admin_code_version": "2025",
        "crude_birth_rate": "17.9",
        "crude_death_rate": "5.4",
    },
    {
        "year": "2025",
        "province_code": "99",
        "admin_code_version": "2025",
        "crude_birth_rate": "16.0",
        "crude_death_rate": "6.0",
    },
]


def write_vital_rates_delivery(inbox: Path, delivery_id: str, *, extracted_at: str, wrong_sha256: bool = False) -> Path:
    """A GSO delivery written by hand: one CSV, and a manifest whose rows and sha256 are computed
    here from the bytes written."""
    folder = inbox / delivery_id
    folder.mkdir(parents=True)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(VITAL_RATES[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(VITAL_RATES)
    data = text.getvalue().encode("utf-8")
    (folder / "vital_rates.csv").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    manifest = {
        "delivery_id": delivery_id,
        "agency": "GSO",
        "channel": "FILE",
        "schema_version": "1.0",
        "extracted_at": extracted_at,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "files": [
            {
                "name": "vital_rates.csv",
                "dataset": "gso_vital_rates",
                "rows": len(VITAL_RATES),
                "sha256": "0" * 64 if wrong_sha256 else digest,
            }
        ],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder
