"""`crvs bench ingest`: the loader's rows/s against a bare COPY of the same files, in the same run.

    crvs bench ingest --scale 1.0      (make bench SCALE=1.0)

Runs in a throw-away CRVS_HOME with its own embedded PostgreSQL (stopped and removed at the end),
unless --keep is given. Steps:
1. `crvs sample` writes a quarter at the given scale (in a child process, so its memory and time
   are not counted).
2. Three rounds, alternately, each step after a CHECKPOINT:
   - bare COPY: every CSV file is streamed as it is into an unindexed table of text columns
     (`COPY ... (FORMAT csv, HEADER true)`), one transaction per delivery. This is the reference.
   - the loader: `loader.ingest_path` on every delivery folder of an emptied warehouse (sha256
     check, header check, every contract rule, pseudonyms, quarantine, raw.*): by the fast path
     (crvs.feeds.fastpath) when it is built, as it loads in production.
   The medians are compared.
3. For comparison, the bare COPY into UNLOGGED tables (no warehouse table may skip the write-ahead
   log), and the same deliveries by the general way alone (CRVS_LOADER_FAST_PATH=0).
Prints the rates, the ratio, the peak RSS of this process (the loader's client side; the server's
memory is bounded by its own work_mem/temp_buffers settings) and where the largest file's seconds
go. Asserts nothing.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

CHUNK = 1 << 20  # bytes handed to COPY at a time: memory stays flat whatever the file size
ROUNDS = 3  # bare COPY and loader, alternately


@dataclass
class Rate:
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_home(prefix: str, keep: bool, out=print) -> Iterator[Path]:
    """A fresh CRVS_HOME with its own embedded PostgreSQL, started; stopped and removed at the end
    unless `keep`."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update({"CRVS_HOME": str(home), "CRVS_PG_PORT": str(_free_port())})
    os.environ.pop("CRVS_WAREHOUSE_URL", None)  # always the throw-away embedded server
    from crvs import database

    try:
        database.ensure_server()
        yield home
    finally:
        if keep:
            out(f"kept {home} (the embedded server is still running: CRVS_HOME={home} crvs db stop)")
        else:
            database.EmbeddedPostgres.from_settings().stop()
            shutil.rmtree(home, ignore_errors=True)


def sample_quarter(
    home: Path, quarter: str, scale: float, seed: int | None = None, inbox: Path | None = None
) -> list[Path]:
    """`crvs sample` into `inbox` (default {home}/inbox), in a child process as a user runs it; the
    delivery folders it wrote."""
    inbox = inbox or home / "inbox"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crvs.cli",
            "-q",
            "sample",
            "--quarter",
            quarter,
            "--scale",
            str(scale),
            *(["--seed", str(seed)] if seed is not None else []),
            "--out",
            str(inbox),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return sorted(p for p in inbox.iterdir() if (p / "manifest.json").is_file())


def bare_copy(folders: list[Path], unlogged: bool = False) -> Rate:
    """COPY every file of every delivery as it is into unindexed tables of text columns, one
    transaction per delivery. Plain tables by default (as durable as raw.*); UNLOGGED skips the
    write-ahead log, which no table of the warehouse may do, and is printed for comparison."""
    from crvs import database, settings
    from crvs.feeds import loader

    kind = "unlogged" if unlogged else ""
    rows, started, tables = 0, time.perf_counter(), set()
    with database.connect(role=settings.ADMIN_ROLE) as conn, conn.cursor() as cur:
        for folder in folders:
            manifest = loader.read_manifest(folder)
            for entry in manifest.files:
                table = f"bench_copy_{kind or 'plain'}_{entry.dataset.name}"
                tables.add(table)
                columns = ", ".join(f"{c} text" for c in entry.dataset.column_names)
                cur.execute(f"create {kind} table if not exists {table} ({columns})")
                with (
                    open(folder / entry.name, "rb") as f,
                    cur.copy(
                        f"copy {table} ({', '.join(loader.header_of(folder / entry.name))})"
                        " from stdin (format csv, header true)"
                    ) as copy,
                ):
                    while chunk := f.read(CHUNK):
                        copy.write(chunk)
                rows += cur.rowcount
            conn.commit()
        elapsed = time.perf_counter() - started
        for table in tables:
            cur.execute(f"drop table {table}")
    return Rate(rows, elapsed)


def naive_insert(folders: list[Path], sample_rows: int = 100_000) -> Rate:
    """A loader of the kind users write: csv.reader and psycopg's `executemany` of INSERTs into the
    same plain tables of text as the bare COPY, one transaction per delivery, on the first rows of
    every file (their share of `sample_rows`, as the files' sizes are); no check, no pseudonym. The
    caller extrapolates its rate to the whole quarter, and labels it so."""
    import csv
    import itertools

    from crvs import database, settings
    from crvs.feeds import loader

    entries = [(folder, entry) for folder in folders for entry in loader.read_manifest(folder).files]
    total = sum(entry.rows for _, entry in entries) or 1
    rows, tables = 0, set()
    with database.connect(role=settings.ADMIN_ROLE) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for folder in folders:
            for entry in (e for f, e in entries if f == folder):
                table = f"bench_naive_{entry.dataset.name}"
                tables.add(table)
                cur.execute(
                    f"create table if not exists {table} ({', '.join(f'{c} text' for c in entry.dataset.column_names)})"
                )
                share = max(1, round(sample_rows * entry.rows / total))
                with open(folder / entry.name, newline="", encoding="utf-8") as f:
                    reader = csv.reader(f)
                    header = next(reader)
                    picked = [[value or None for value in row] for row in itertools.islice(reader, share)]
                cur.executemany(
                    f"insert into {table} ({', '.join(header)}) values ({', '.join(['%s'] * len(header))})", picked
                )
                rows += len(picked)
            conn.commit()
        elapsed = time.perf_counter() - started
        for table in tables:
            cur.execute(f"drop table {table}")
        conn.commit()
    return Rate(rows, elapsed)


def loader_run(folders: list[Path]) -> tuple[Rate, list]:
    from crvs.feeds import loader

    results, started = [], time.perf_counter()
    for folder in folders:
        results.append(loader.ingest_path(folder))
    return Rate(sum(r.rows_received for r in results), time.perf_counter() - started), results


def _settle() -> None:
    """A CHECKPOINT: the next timed step starts with no dirty buffers of the one before."""
    from crvs import database, settings

    with database.connect(autocommit=True, role=settings.ADMIN_ROLE) as conn:
        conn.execute("checkpoint")


def _empty_warehouse() -> None:
    """Remove every loaded delivery, so that the same folders load again."""
    from crvs import database, settings
    from crvs.feeds.contract import DATASETS
    from crvs.feeds.tables import ensure_tables

    with database.connect(role=settings.ADMIN_ROLE) as conn:
        ensure_tables(conn)
        conn.execute(
            "truncate "
            + ", ".join(f"raw.{name}" for name in DATASETS)
            + ", raw.delivery_files, quarantine.rows; delete from raw.deliveries"
        )


def general_way_run(folders: list[Path]) -> Rate:
    """The same deliveries with the fast path off (for comparison), into an emptied warehouse."""
    previous = os.environ.get("CRVS_LOADER_FAST_PATH")
    os.environ["CRVS_LOADER_FAST_PATH"] = "0"
    try:
        return loader_run(folders)[0]
    finally:
        if previous is None:
            os.environ.pop("CRVS_LOADER_FAST_PATH")
        else:
            os.environ["CRVS_LOADER_FAST_PATH"] = previous


def stage_breakdown(folder: Path, name: str) -> list[tuple[str, float]]:
    """Where one file's seconds go: the bare COPY, the fast path's engine alone (not sent), the fast
    path into raw.<dataset>, and the general way (every row through the temporary table and the
    one SQL statement), in a transaction that is rolled back."""
    import dataclasses

    from crvs import database, settings
    from crvs.feeds import fastpath, loader
    from crvs.feeds.pseudonym import Pseudonymiser
    from crvs.feeds.tables import ensure_tables

    manifest = loader.read_manifest(folder)
    entry = next(e for e in manifest.files if e.name == name)
    dataset = entry.dataset
    pseudonymise = Pseudonymiser(settings.pseudonym_key())
    extracted_on = manifest.extracted_at.date().isoformat()
    timings = []
    with database.connect(role=settings.ADMIN_ROLE) as conn, conn.cursor() as cur:
        cur.execute(loader.SESSION_SETTINGS)
        ensure_tables(conn)
        loader._prepare_code_lists(cur)
        header = loader.header_of(folder / name)
        cur.execute(f"create table bench_plain ({', '.join(h + ' text' for h in header)})")
        started = time.perf_counter()
        with (
            open(folder / name, "rb") as f,
            cur.copy(f"copy bench_plain ({', '.join(header)}) from stdin (format csv, header true)") as copy,
        ):
            while chunk := f.read(CHUNK):
                copy.write(chunk)
        timings.append(("bare COPY into a plain table (reference)", time.perf_counter() - started))

        engine = fastpath.engine(
            dataset, header, loader._valid_codes(), pseudonymise.key_blocks(), manifest.delivery_id, extracted_on
        )
        if engine is not None:
            started = time.perf_counter()
            row, line = 0, 1
            for block in loader._blocks_of_lines(folder / name):
                _, _, row, line = engine.feed(block, row, line)
            timings.append(("fast path: read, check, pseudonymise (C, not sent)", time.perf_counter() - started))
            source = loader.csv_rows(folder / name)
            loader._check_header(source, dataset)
            started = time.perf_counter()
            loader._load_file(
                cur,
                dataclasses.replace(manifest, delivery_id=manifest.delivery_id + "-fast"),
                entry,
                source,
                pseudonymise,
            )
            timings.append((f"fast path: the same, into raw.{dataset.name}", time.perf_counter() - started))

        general = dataclasses.replace(manifest, delivery_id=manifest.delivery_id + "-general")
        source = loader.csv_rows(folder / name)
        loader._check_header(source, dataset)
        started = time.perf_counter()
        loader._write_rows(cur, general, entry, source, pseudonymise)
        timings.append(("general way: read, pseudonymise, COPY to a temp table", time.perf_counter() - started))
        started = time.perf_counter()
        loader._check_rows(cur, general, entry, len(header))
        timings.append(("general way: check every rule in SQL, write raw.*", time.perf_counter() - started))
        conn.rollback()
    return timings


def run(scale: float, quarter: str = "2025Q3", keep: bool = False, out=print, general_too: bool = True) -> float:
    """Generate, COPY, load; print the numbers; return loader rows/s divided by COPY rows/s."""
    from crvs.feeds import fastpath, loader

    with throwaway_home("crvs-bench-", keep, out) as home:
        started = time.perf_counter()
        folders = sample_quarter(home, quarter, scale)
        size = sum(f.stat().st_size for p in folders for f in p.glob("*.csv"))
        out(
            f"sample {quarter} at scale {scale}: {len(folders)} deliveries, {size / 2**20:,.1f} MiB of CSV "
            f"({time.perf_counter() - started:.1f} s to generate)"
        )

        # Alternate rounds, each after a CHECKPOINT, so that neither pays for the other's dirty
        # buffers or catches the server cold; the medians are compared.
        copies, loads = [], []
        for round_number in range(1, ROUNDS + 1):
            _settle()
            copies.append(bare_copy(folders))
            _empty_warehouse()
            _settle()
            loaded, results = loader_run(folders)
            loads.append(loaded)
            out(
                f"round {round_number}: bare COPY {copies[-1].seconds:5.2f} s, crvs loader {loaded.seconds:5.2f} s"
                f" ({copies[-1].seconds / loaded.seconds:.1%})"
            )
        for r in results:
            out(f"  {r.line()}")
        copied = sorted(copies, key=lambda r: r.seconds)[ROUNDS // 2]
        loaded = sorted(loads, key=lambda r: r.seconds)[ROUNDS // 2]
        out(
            f"bare COPY     {copied.rows:>10,} rows in {copied.seconds:7.2f} s = {copied.per_second:>10,.0f} rows/s"
            f"  (median of {ROUNDS}; plain unindexed tables: the reference)"
        )
        path = "fast path" if fastpath.enabled() else "general way only: the C fast path is not built or is off"
        out(
            f"crvs loader   {loaded.rows:>10,} rows in {loaded.seconds:7.2f} s = {loaded.per_second:>10,.0f} rows/s"
            f"  (median of {ROUNDS}; {path})"
        )
        ratio = loaded.per_second / copied.per_second if copied.per_second else 0.0
        out(f"ratio         {ratio:.1%} of bare COPY (goal >= 60 %)")
        _settle()
        unlogged = bare_copy(folders, unlogged=True)
        out(
            f"  (bare COPY into UNLOGGED tables: {unlogged.seconds:.2f} s = {unlogged.per_second:,.0f} rows/s,"
            f" {copied.seconds / unlogged.seconds:.1f}x faster without the write-ahead log, which no warehouse"
            " table skips)"
        )
        if general_too and fastpath.enabled():
            _empty_warehouse()
            _settle()
            general = general_way_run(folders)
            out(
                f"  (general way alone: {general.rows:,} rows in {general.seconds:.2f} s"
                f" = {general.per_second:,.0f} rows/s, {general.per_second / copied.per_second:.1%} of bare COPY)"
            )
        largest = max(
            ((p, f.name) for p in folders for f in p.glob("*.csv")), key=lambda pf: (pf[0] / pf[1]).stat().st_size
        )
        rows = next(e.rows for e in loader.read_manifest(largest[0]).files if e.name == largest[1])
        timings = stage_breakdown(*largest)
        reference = timings[0][1]
        out(f"where the time goes, {largest[0].name}/{largest[1]} ({rows:,} rows), each step alone:")
        for label, seconds in timings:
            out(f"  {label:55} {seconds:6.2f} s {seconds * 1e6 / rows:6.2f} us/row {seconds / reference:5.1f}x COPY")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out(
            f"peak RSS      {peak / 1024:,.0f} MiB (this process: CSV reading, pseudonyms, COPY streaming; goal < 1024 MiB)"
        )
        if any(r.outcome == "REJECTED" for r in results):
            out("WARNING: a delivery was rejected; the rates above are not comparable")
        return ratio
