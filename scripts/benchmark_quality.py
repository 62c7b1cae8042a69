"""How long the quality checks take at a given scale: prints numbers, asserts nothing.

    .venv/bin/python scripts/benchmark_quality.py --scale 0.05

Runs in a throw-away CRVS_HOME with its own embedded PostgreSQL (stopped at the end): generates a
sample quarter, loads it (timing the load and the feed checks apart), builds dbt, then times the
gate (freshness, report models, marts, identifiers) and the freshness check alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05, help="1.0 is national scale (~1.1 M rows a quarter)")
    parser.add_argument("--quarter", default="2025Q3")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="crvs-bench-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update({"CRVS_HOME": str(home), "CRVS_PG_PORT": str(port), "CRVS_GX_ROOT": str(home / "gx-root")})
    from crvs import database, pipeline
    from crvs.devtools.sample import generate_quarter
    from crvs.feeds import loader
    from crvs.quality import freshness, run_gate
    from crvs.quality.feeds import check_delivery

    database.ensure_server()
    try:
        folders = generate_quarter(args.quarter, args.scale, home / "inbox")
        rows = 0
        for folder in folders:
            started = time.perf_counter()
            result = loader.ingest_path(folder)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            checks = check_delivery(result.delivery_id)
            checked = time.perf_counter() - started
            rows += result.rows_received
            print(
                f"{result.delivery_id:18} {result.rows_received:>9,} rows  load {loaded:6.1f} s  "
                f"feed checks {checked:6.1f} s ({len(checks.outcomes)} checks, "
                f"{'passed' if checks.passed else 'FAILED'})"
            )
        started = time.perf_counter()
        pipeline.transform()
        print(f"dbt build                                {time.perf_counter() - started:6.1f} s")
        started = time.perf_counter()
        gate = run_gate(args.quarter)
        print(
            f"gate ({len(gate.outcomes)} checks, {'passed' if gate.passed else 'BLOCKED'}, "
            f"{len(gate.warnings)} warnings)          {time.perf_counter() - started:6.1f} s"
        )
        started = time.perf_counter()
        freshness.check(args.quarter)
        print(f"freshness check alone                    {time.perf_counter() - started:6.1f} s")
        print(f"scale {args.scale}: {rows:,} rows received")
    finally:
        database.EmbeddedPostgres.from_settings().stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
