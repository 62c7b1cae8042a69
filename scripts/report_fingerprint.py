"""A quarter's report files, fingerprinted for "the same outputs before and after" (issue 18).

    python scripts/report_fingerprint.py REPORT_FOLDER > after.txt && diff before.txt after.txt

One line per file: its sha256 and path. What differs from run to run by design is taken out first:
a PDF is hashed by its text (pdftotext -layout; its creation date is the run's), manifest.json without
generated_at, the gate's run_id, run_at and seconds, and the PDFs' sha256 and bytes. Every other file
is hashed byte for byte. A sample quarter for it: `crvs sample --quarter 2025Q3 --scale 0.02 --seed 7`,
then `crvs ingest`, `crvs build` and `crvs report --quarter 2025Q3 --out REPORT_FOLDER`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

RUN_KEYS = {"generated_at", "run_id", "run_at", "seconds"}


def scrub(value):
    """`value` without the keys a rerun changes."""
    if isinstance(value, dict):
        is_pdf = str(value.get("path", "")).endswith(".pdf")
        return {
            k: scrub(v) for k, v in value.items() if k not in RUN_KEYS and not (is_pdf and k in {"sha256", "bytes"})
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def fingerprint(path: Path) -> str:
    if path.suffix == ".pdf":
        data = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    elif path.name == "manifest.json":
        data = json.dumps(scrub(json.loads(path.read_text(encoding="utf-8"))), sort_keys=True).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def main(folder: str) -> None:
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        print(fingerprint(path), path.relative_to(root))


if __name__ == "__main__":
    main(sys.argv[1])
