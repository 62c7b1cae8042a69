"""`crvs bench path`: the whole path of a quarter, from deliveries to report, against a bare COPY of
the same files, in one run (issue 15 item 5).

    crvs bench path --scale 1.0 --json bench-path.json      (make bench-path BENCH_SCALE=1.0)

In a throw-away CRVS_HOME with its own embedded PostgreSQL (stopped and removed at the end unless
--keep). Steps, each timed alone, each after a CHECKPOINT (crvs.feeds.bench):
1. `crvs sample` writes the quarter (a child process: not counted);
2. bare COPY of every file into plain unindexed tables of text (the limit; crvs.feeds.bench);
3. ingest: the loader on every delivery folder;
4. `dbt build`, the first one (seeds and every model);
5. the gate (with the feed checks of the deliveries, which the ingest DAG runs after each load);
6. the report (CSV, XLSX, PDF, manifest), resting on that gate run (no second gate);
7. a day's MOJ delivery (about 12,000 rows at national scale: corrections, a new version of records
   of the quarter) through ingest, build, gate and report.
Prints a table of seconds, rows/s and the peak RSS of this process so far (dbt, GX and the report
run in it; the server's memory is bounded by its own settings), the ratios of issue 15, and writes
it all as JSON. Asserts nothing; the targets are printed beside the ratios.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import resource
import time
from pathlib import Path
from typing import Callable

DAY_ROWS_AT_NATIONAL_SCALE = 12_000
QUARTER_TARGET = 15.0  # the quarter's path at most 15x a bare COPY of its files
DAY_TARGET = 0.15  # a day's delivery at most 15 % of the quarter's path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def day_delivery(quarter_folders: list[Path], rows: int, out: Path) -> Path:
    """A day's MOJ delivery: the first `rows` records of the quarter's MOJ files (spread over its
    files as they are), each as version 2 (a correction), extracted a day after the quarter's."""
    from crvs.feeds import loader
    from crvs.sample import write_delivery

    moj = next(f for f in quarter_folders if loader.read_manifest(f).agency == "MOJ")
    manifest = json.loads((moj / "manifest.json").read_text(encoding="utf-8"))
    total = sum(entry["rows"] for entry in manifest["files"])
    files = {}
    for entry in manifest["files"]:
        share = max(1, round(rows * entry["rows"] / total))
        with open(moj / entry["name"], newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            picked = [
                row | {"record_version": str(int(row["record_version"]) + 1)} for _, row in zip(range(share), reader)
            ]
        files[entry["name"]] = (entry["dataset"], picked)
    extracted = dt.datetime.fromisoformat(manifest["extracted_at"]) + dt.timedelta(days=1)
    delivery_id = manifest["delivery_id"].rsplit("-", 1)[0] + "-0002"
    return write_delivery(
        out / delivery_id,
        {
            "delivery_id": delivery_id,
            "agency": "MOJ",
            "extracted_at": extracted.isoformat(),
            "period_start": manifest["period_start"],
            "period_end": manifest["period_end"],
        },
        files,
    )


class Steps:
    def __init__(self, out: Callable[[str], None]):
        self.rows: list[dict] = []
        self.out = out

    def time(self, name: str, rows: int, step: Callable[[], object]) -> object:
        from crvs.feeds.bench import _settle

        _settle()
        started = time.perf_counter()
        result = step()
        seconds = time.perf_counter() - started
        self.rows.append(
            {
                "step": name,
                "seconds": round(seconds, 2),
                "rows": rows,
                "rows_per_second": round(rows / seconds) if seconds and rows else None,
                "peak_rss_mib": round(_peak_mib()),
            }
        )
        self.out(f"  {name:44} {seconds:8.2f} s")
        return result

    def seconds(self, *names: str) -> float:
        return sum(r["seconds"] for r in self.rows if r["step"] in names)


def run(scale: float, quarter: str = "2025Q3", keep: bool = False, json_path: Path | None = None, out=print) -> dict:
    from crvs.feeds import bench

    with bench.throwaway_home("crvs-bench-path-", keep, out) as home:
        from crvs import transform
        from crvs.quality import run_gate
        from crvs.report import write_report

        folders = bench.sample_quarter(home, quarter, scale)
        day = day_delivery(folders, max(1, round(DAY_ROWS_AT_NATIONAL_SCALE * scale)), home / "day")
        from crvs.feeds import loader

        quarter_rows = sum(e.rows for f in folders for e in loader.read_manifest(f).files)
        day_rows = sum(e.rows for e in loader.read_manifest(day).files)
        out(
            f"bench path {quarter} at scale {scale}: {quarter_rows:,} rows in {len(folders)} deliveries; "
            f"a day's MOJ delivery of {day_rows:,} rows"
        )
        steps = Steps(out)
        reports = home / "reports"

        def report(gate):
            if not gate.passed:  # the report is not written; the table says so
                out(f"  (gate blocked: {gate.summary()[:200]})")
                return None
            return write_report(quarter, reports, gate=gate)

        steps.time("bare COPY of the quarter's files", quarter_rows, lambda: bench.bare_copy(folders))
        steps.time("ingest (loader)", quarter_rows, lambda: bench.loader_run(folders))
        steps.time("dbt build (first, full)", quarter_rows, transform.build)
        gate = steps.time("gate (with the deliveries' feed checks)", quarter_rows, lambda: run_gate(quarter))
        steps.time("report", 0, lambda: report(gate))
        steps.time("day: ingest", day_rows, lambda: bench.loader_run([day]))
        steps.time("day: dbt build", day_rows, transform.build)
        day_gate = steps.time("day: gate", day_rows, lambda: run_gate(quarter))
        steps.time("day: report", 0, lambda: report(day_gate))

        copy = steps.seconds("bare COPY of the quarter's files")
        path = steps.seconds(
            "ingest (loader)", "dbt build (first, full)", "gate (with the deliveries' feed checks)", "report"
        )
        daily = steps.seconds("day: ingest", "day: dbt build", "day: gate", "day: report")
        result = {
            "quarter": quarter,
            "scale": scale,
            "quarter_rows": quarter_rows,
            "day_rows": day_rows,
            "cores": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "steps": steps.rows,
            "quarter_path_seconds": round(path, 2),
            "day_path_seconds": round(daily, 2),
            "quarter_path_over_bare_copy": round(path / copy, 1) if copy else None,
            "day_over_quarter_path": round(daily / path, 3) if path else None,
            "gate_passed": bool(gate.passed),
            "peak_rss_mib": round(_peak_mib()),
        }
        out("")
        out(f"{'step':44} {'seconds':>8} {'rows/s':>10} {'peak RSS MiB':>13}")
        for r in steps.rows:
            rate = f"{r['rows_per_second']:,}" if r["rows_per_second"] else "-"
            out(f"{r['step']:44} {r['seconds']:8.2f} {rate:>10} {r['peak_rss_mib']:13,}")
        out(
            f"quarter, deliveries to report: {path:.1f} s = {result['quarter_path_over_bare_copy']}x bare COPY "
            f"(target <= {QUARTER_TARGET:.0f}x)"
        )
        out(
            f"a day's MOJ delivery through ingest, build, gate, report: {daily:.1f} s = "
            f"{result['day_over_quarter_path']:.1%} of the quarter's path (target <= {DAY_TARGET:.0%})"
        )
        out(f"peak RSS of this process: {result['peak_rss_mib']:,} MiB (target <= 1024)")
        if json_path is not None:
            json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            out(f"written {json_path}")
        return result
