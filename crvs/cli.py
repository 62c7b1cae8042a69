"""The `crvs` command: its arguments, and per command the calls into the package, the lines it prints
and its exit code.

Exit codes: 0 success; 1 a delivery was rejected, the quality gate blocked or a report could not be
sent to a recipient; 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from crvs.quarter import is_quarter


def _quarter(value: str) -> str:
    if not is_quarter(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a quarter like 2025Q3")
    return value


def _ensure_server() -> None:
    from crvs import database

    database.ensure_server()


def cmd_db(args) -> int:
    from crvs import database, settings

    if args.action == "start":
        url = database.ensure_server()
        print(f"warehouse running: {url}")
    elif args.action == "stop":
        if settings.uses_embedded_postgres():
            database.EmbeddedPostgres.from_settings().stop()
            print("embedded PostgreSQL stopped")
        else:
            print("CRVS_WAREHOUSE_URL is set: the warehouse is not ours to stop")
    elif args.action == "status":
        for key, value in database.status().items():
            print(f"{key:14} {value}")
    elif args.action == "url":
        print(settings.warehouse_url())
    elif args.action == "analyst-url":
        database.ensure_server()
        print(database.ensure_analyst_role())
    return 0


def cmd_sample(args) -> int:
    from crvs.devtools import sample

    folders = sample.generate_quarter(args.quarter, args.scale, Path(args.out), seed=args.seed)
    for folder in folders:
        print(folder)
    return 0


def _delivery_folders(paths: list[str]) -> list[Path]:
    """Each PATH is a delivery folder; a folder of delivery folders (an inbox) is expanded."""
    folders = []
    for p in map(Path, paths):
        if p.is_dir() and not (p / "manifest.json").exists():
            inner = sorted(q for q in p.iterdir() if (q / "manifest.json").is_file())
            folders.extend(inner or [p])
        else:
            folders.append(p)
    return folders


def cmd_ingest(args) -> int:
    from crvs.feeds import ingest, loader

    if not args.paths and not args.mail:
        print("crvs ingest: give delivery folders (PATH...) or --mail DIR", file=sys.stderr)
        return 2
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:  # a mistyped path is not a delivery: nothing is loaded, nothing recorded
        for path in missing:
            print(f"crvs ingest: {path} does not exist", file=sys.stderr)
        return 2
    _ensure_server()
    rejected = False
    if args.mail:
        from crvs.feeds.mail import ingest_mail

        for summary in ingest_mail(Path(args.mail)):
            print(f"{summary['message']}: {ingest.describe(summary)}")
            rejected |= summary["outcome"] == "REJECTED"
    # The one ingest entry, as the DAGs use it (feed checks included); folders named here are not
    # the inbox's, so they stay where they are.
    for folder in _delivery_folders(args.paths):
        result, summary = ingest.load_folder(folder, archive=False)
        print(result.line())
        checks = summary.get("feed_checks")
        if checks and not checks["passed"]:
            print(f"  FEED CHECKS FAILED (blocks its quarters): {'; '.join(checks['failed'])}")
        rejected |= result.outcome == loader.REJECTED
    return 1 if rejected else 0


def cmd_fetch(args) -> int:
    from crvs.feeds import loader
    from crvs.feeds.contract import AGENCIES
    from crvs.platform import client as platform

    config = platform.PlatformConfig.from_environment()
    if config is None:
        print(
            "crvs fetch: CRVS_PLATFORM_URL is not set (and CRVS_PLATFORM_TOKEN: the platform's bearer token)",
            file=sys.stderr,
        )
        return 2
    _ensure_server()

    def progress(message: str) -> None:
        print(f"  … {message}", file=sys.stderr, flush=True)

    failed = False
    for agency in [args.agency] if args.agency else list(AGENCIES):
        try:
            results = platform.fetch_agency(config, agency, progress=progress)
        except platform.PlatformAuthError as err:
            print(f"crvs fetch: {err}", file=sys.stderr)
            return 2
        except platform.PlatformError as err:
            print(f"not fetched     {agency}: {err}")
            failed = True
            continue
        for result in results:
            if result.outcome == platform.FAILED:
                print(f"not fetched     {result.delivery_id}: {result.reason}")
            elif result.outcome == platform.HELD_BACK:
                print(f"held back       {result.delivery_id}: {result.reason}")
            else:
                print(result.line())
            failed |= result.outcome in (loader.REJECTED, platform.FAILED)
    return 1 if failed else 0


def cmd_platform(args) -> int:
    import os

    from crvs.devtools import platform_server as server

    token = os.environ.get(args.token_env, "").strip()
    if not token:
        print(
            f"crvs platform serve: the environment variable {args.token_env} (the token clients must send) is empty",
            file=sys.stderr,
        )
        return 2
    try:
        faults = server.FaultPlan.parse(
            args.fault or [], seed=args.seed, retry_after=args.retry_after, slow_seconds=args.slow_seconds
        )
    except server.FaultSpecError as err:
        print(f"crvs platform serve: {err}", file=sys.stderr)
        return 2
    server.serve(Path(args.root), token, host=args.host, port=args.port, page_size=args.page_size, faults=faults)
    return 0


def cmd_quarantine(args) -> int:
    from crvs.feeds import quarantine

    _ensure_server()
    try:
        refusals = quarantine.list_refusals(delivery=args.delivery, quarter=args.quarter)
    except quarantine.QuarantineError as err:
        print(f"crvs quarantine: {err}", file=sys.stderr)
        return 2
    shown = refusals if args.csv or args.all else refusals[:QUARANTINE_LINES]
    if args.csv:
        quarantine.write_csv(Path(args.csv), refusals)
    else:
        for refusal in shown:
            print(refusal.line())
    deliveries = sum(r.kind == "DELIVERY" for r in refusals)
    more = len(refusals) - len(shown)
    print(
        f"{deliveries} delivery(ies) refused whole, {len(refusals) - deliveries} row(s) quarantined"
        + (f"; written to {args.csv}" if args.csv else "")
        + (f"; {more} more not shown (--all, or --csv FILE)" if more else "")
    )
    return 0


QUARANTINE_LINES = 200


def cmd_build(args) -> int:
    from crvs import transform

    _ensure_server()
    try:
        transform.build(select=args.select, full_refresh=args.full_refresh)
    except transform.TransformError as err:  # the database lost mid-build, a failed model or test
        first, *rest = [line.strip() for line in str(err).splitlines() if line.strip()]
        if first.endswith(":") and rest:  # "dbt build failed:" and a line per failed node
            more = f" (and {len(rest) - 1} more; see {transform.log_dir() / 'dbt.log'})" if len(rest) > 1 else ""
            first, rest = f"{first} {rest[0]}{more}", []
        print(f"crvs build: {' '.join([first, *rest])}", file=sys.stderr)
        return 1
    print("dbt build finished")
    return 0


def cmd_docs(args) -> int:
    from crvs import transform

    _ensure_server()
    folder = transform.docs_generate()
    if args.no_serve:
        print(folder / "index.html")
        return 0
    # dbt's page reads manifest.json and catalog.json beside it, which a browser refuses over file://
    server = transform.docs_server(folder, args.port)
    print(f"dbt docs: http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_gate(args) -> int:
    from crvs import quality
    from crvs.quality import runner

    if args.action == "accept":
        return cmd_gate_accept(args)
    if args.check or args.reason:
        print("crvs gate: --check and --reason go with `crvs gate accept`", file=sys.stderr)
        return 2
    if args.docs and not args.quarter:  # the data docs of the latest runs, without a new run
        index = runner.data_docs_index()
        if not index.exists():
            print(f"no data docs yet at {index}: run `crvs gate --quarter 2025Q3` first", file=sys.stderr)
            return 2
        print(index)
        return 0
    if not args.quarter:
        print("crvs gate: --quarter is required (or --docs alone for the data docs)", file=sys.stderr)
        return 2
    _ensure_server()
    if args.recheck:
        from crvs.quality.feeds import check_unchecked_deliveries
        from crvs.quality.runner import GxFailure

        try:
            for checked in check_unchecked_deliveries(args.quarter, recheck=True):
                print(checked.summary())
        except GxFailure as err:  # the gate below records the failed run
            print(f"feed checks not re-run: {err}")
    result = quality.run_gate(args.quarter)
    for outcome in result.outcomes:
        if outcome.success:
            verdict = "ok  "
        elif result.acceptance_of(outcome):
            verdict = "ACC "
        else:
            verdict = "FAIL" if outcome.severity == "BLOCKING" else "warn"
        print(f"{verdict} {outcome.severity:8} {outcome.describe()}")
        if verdict == "ACC ":
            print(f"     accepted: {result.acceptance_of(outcome).line()}")
    print(result.summary())
    for check in sorted({o.check for o in result.blocking_failures if o.acceptable}):
        print(
            f"a statistician may accept {check} for {args.quarter} only: crvs gate accept --quarter {args.quarter} "
            f'--check {check} --reason "..."'
        )
    if args.docs:
        print(f"data docs: {runner.data_docs_index()}")
    return 0 if result.passed else 1


def cmd_gate_accept(args) -> int:
    from crvs.quality import acceptances

    if not args.quarter or not args.check or args.reason is None:
        print("crvs gate accept: --quarter, --check and --reason are required", file=sys.stderr)
        return 2
    _ensure_server()
    try:
        accepted = acceptances.accept(args.quarter, args.check, args.reason)
    except acceptances.AcceptanceRefused as err:
        print(f"crvs gate accept: {err}", file=sys.stderr)
        return 2
    print(f"recorded: {accepted.line()}")
    if accepted.findings:
        seen = "; ".join(f"{f['area']}: {f['figure']} (band {f['band']})" for f in accepted.findings)
        print(f"the latest gate run of {args.quarter} found: {seen}")
    else:
        print(f"the latest gate run of {args.quarter} did not fail {args.check}: the acceptance applies if it does")
    print(f"run `crvs gate --quarter {args.quarter}` (or `crvs report`) again: the finding no longer blocks")
    return 0


def cmd_freshness(args) -> int:
    from crvs import pipeline
    from crvs.errors import RunBlocked

    _ensure_server()
    try:
        checked = pipeline.freshness(args.quarter)
    except RunBlocked as err:
        print(f"crvs freshness: {err}", file=sys.stderr)
        return 1
    print(f"freshness of {checked['quarter']}:")
    for line in checked["lines"]:
        print(f"  {line}")
    return 0


def cmd_report(args) -> int:
    from crvs import quality, report, settings

    _ensure_server()
    out = Path(args.out) if args.out else settings.reports_dir()
    gate = quality.run_gate(args.quarter)
    try:
        folder = report.write_report(args.quarter, out, gate=gate)
    except report.ReportError as err:
        print(f"crvs report: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # the out folder cannot be made or written: nothing was put in place
        where = f" {err.filename}" if err.filename else ""
        print(f"crvs report: cannot write the report to {out}:{where} {err.strerror or err}", file=sys.stderr)
        return 2
    except quality.GateFailed:
        print(f"quality gate blocked the {args.quarter} report; nothing written.", file=sys.stderr)
        for line in gate.closing_lines():
            print(line, file=sys.stderr)
        return 1
    except report.PublicationBlocked as blocked:
        print(f"crvs report: {args.quarter}: {blocked}; the agency edition is in {out / args.quarter}", file=sys.stderr)
        return 1
    print(folder)
    for line in report.loss_lines(folder):
        print(line)
    for line in gate.closing_lines(manifest=folder / "manifest.json"):
        print(line)
    return 0


def cmd_audit_disclosure(args) -> int:
    from crvs import audit

    try:
        result = audit.audit_public_edition(Path(args.folder), manifest=Path(args.manifest) if args.manifest else None)
    except audit.AuditError as err:
        print(f"crvs audit-disclosure: {err}", file=sys.stderr)
        return 2
    for line in result.lines():
        print(line)
    return 0 if result.passed else 1


def cmd_deliver(args, sharing_only: bool = False) -> int:
    from crvs import delivery, settings

    if getattr(args, "list", False):
        for rid, audience, tables in delivery.sharing_matrix(sharing_only=sharing_only):
            print(f"{rid:20} {audience:7} {' '.join(tables)}")
        return 0
    if not args.quarter:
        print("crvs: --quarter is required", file=sys.stderr)
        return 2
    _ensure_server()
    try:
        outcomes = delivery.deliver_quarter(
            args.quarter,
            reports=Path(args.reports) if args.reports else None,
            smtp=delivery.smtp_from_url(settings.smtp_url()),
            recipient_ids=args.recipient or None,
            sharing_only=sharing_only,
            force=args.force,
        )
    except delivery.DeliveryError as err:
        print(f"crvs {args.command}: {err}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        print(outcome.line())
    return 1 if any(o.status == delivery.FAILED for o in outcomes) else 0


def cmd_share(args) -> int:
    return cmd_deliver(args, sharing_only=True)


def cmd_demo(args) -> int:
    from crvs.devtools import demo

    try:
        demo.run_demo(args.quarter, args.scale)
    except RuntimeError as err:  # a DAG run failed: its task log above has the details
        print(f"crvs demo: {err}", file=sys.stderr)
        return 1
    return 0


def cmd_bench(args) -> int:
    if args.what == "path":
        from crvs.devtools import bench_path as path_bench

        path_bench.run(args.scale, quarter=args.quarter, keep=args.keep, json_path=args.json, years=args.years)
        return 0
    if args.what == "report":
        from crvs.devtools import bench_report as report_bench

        report_bench.run(args.scale, quarter=args.quarter, keep=args.keep, seed=args.seed)
        return 0
    from crvs.devtools import bench_ingest as bench

    bench.run(args.scale, quarter=args.quarter, keep=args.keep)
    return 0


def cmd_airflow(args) -> int:
    from crvs.airflow import cli as airflow_cli

    # Two commands of our own, the rest is Airflow's CLI on the project's configuration.
    if args.airflow_args == ["up"]:
        return airflow_cli.airflow_up()
    if args.airflow_args[:1] == ["celery-smoke"]:
        from crvs.devtools import airflow_smoke

        smoke = argparse.ArgumentParser(prog="crvs airflow celery-smoke")
        smoke.add_argument("--scale", type=float, default=0.01)
        smoke.add_argument("--timeout", type=float, default=900, help="seconds the whole run may take")
        smoke.add_argument("--keep", action="store_true", help="keep the run's folder (logs) afterwards")
        options = smoke.parse_args(args.airflow_args[1:])
        return airflow_smoke.main(scale=options.scale, timeout=options.timeout, keep=options.keep)
    return airflow_cli.airflow_command(args.airflow_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crvs", description="CRVS statistics warehouse")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("db", help="the warehouse's PostgreSQL (embedded unless CRVS_WAREHOUSE_URL is set)")
    p.add_argument(
        "action",
        choices=["start", "stop", "status", "url", "analyst-url"],
        help="analyst-url: the read-only analysts' role (marts, reports, reference) with its password",
    )
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("sample", help="write a synthetic quarter of agency deliveries")
    p.add_argument("--quarter", type=_quarter, required=True)
    p.add_argument("--scale", type=float, default=0.01, help="1.0 is national scale (~1.1 M rows a quarter)")
    p.add_argument("--out", required=True, help="folder to write the delivery folders into")
    p.add_argument("--seed", type=int, default=20250)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("ingest", help="load delivery folders (FILE and EMAIL channels)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="a delivery folder with manifest.json, or an inbox of them")
    p.add_argument(
        "--mail",
        metavar="DIR",
        help="a maildir or folder of .eml files: save each message's attachments "
        "to the inbox as a delivery folder and load it (channel EMAIL)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "fetch",
        help="load the deliveries the sharing platform has and the warehouse has not "
        "(CRVS_PLATFORM_URL, CRVS_PLATFORM_TOKEN)",
    )
    p.add_argument("--agency", choices=["MOJ", "MOH", "GSO"], help="only this agency (default: all three)")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("platform", help="the reference sharing-platform server (for trying the API channel)")
    p.add_argument("action", choices=["serve"])
    p.add_argument("--root", required=True, help="a folder of delivery folders, e.g. written by `crvs sample`")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--token-env",
        default="CRVS_PLATFORM_TOKEN",
        help="the environment variable holding the bearer token (default CRVS_PLATFORM_TOKEN)",
    )
    p.add_argument("--page-size", type=int, default=1000, help="rows per page, 1..10000")
    p.add_argument(
        "--fault",
        action="append",
        help="misbehave: KIND@N[,M] (the Nth request) or KIND%%P (probability P); KIND is 429, 500, 502, "
        "503, drop, truncate or slow (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the probabilistic faults")
    p.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds sent with 429")
    p.add_argument("--slow-seconds", type=float, default=2.0, help="how long a slow answer waits")
    p.set_defaults(func=cmd_platform)

    p = sub.add_parser(
        "quarantine",
        help="list the deliveries refused whole and the rows quarantined (file, row, "
        "column, rule, message; never a value from a file)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--delivery", metavar="ID", help="only this delivery_id")
    which.add_argument(
        "--quarter", type=_quarter, help="only the deliveries that fed this quarter or were refused for it"
    )
    p.add_argument("--csv", metavar="FILE", help="write the whole listing as CSV to FILE")
    p.add_argument("--all", action="store_true", help=f"print every line (default: the first {QUARANTINE_LINES})")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("build", help="dbt build of the warehouse (seeds, models, tests)")
    p.add_argument("--select", help="dbt selection, e.g. +rpt_t2_births_by_sex")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models (fct_health_notification) from all deliveries, "
        "e.g. after a change of the code lists",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("docs", help="dbt docs of every model and column, served on 127.0.0.1; prints the URL")
    p.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (0: any free one; default 8081)")
    p.add_argument("--no-serve", action="store_true", help="only generate; print the index.html")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser(
        "gate",
        help="run the quality gate of a quarter; exits 1 when a blocking expectation fails; "
        "`gate accept` records a statistician's acceptance of a blocking finding",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["accept"],
        help="accept: a blocking plausibility finding is true for this quarter (--quarter, --check, --reason)",
    )
    p.add_argument("--quarter", type=_quarter)
    p.add_argument("--check", help="with accept: the check's short name, as the gate prints it in [brackets]")
    p.add_argument("--reason", help="with accept: why the finding is accepted (shown in the agency edition's notes)")
    p.add_argument(
        "--docs", action="store_true", help="print the data docs' index.html (alone: without running the gate)"
    )
    p.add_argument("--recheck", action="store_true", help="re-run the feed checks of the quarter's deliveries first")
    p.set_defaults(func=cmd_gate)

    p = sub.add_parser("freshness", help="did every agency deliver within its agreed window? exits 1 when overdue")
    p.add_argument("--quarter", type=_quarter, help="default: the last complete quarter before today")
    p.set_defaults(func=cmd_freshness)

    p = sub.add_parser("report", help="run the gate, then write the quarterly report")
    p.add_argument("--quarter", type=_quarter, required=True)
    p.add_argument("--out", help="output folder (default: $CRVS_HOME/reports)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "audit-disclosure",
        help="the intruder's audit of a public edition: exits 1 when a hidden "
        "cell's provable range is under 5 or a public text carries a figure",
    )
    p.add_argument("folder", metavar="DIR", help="a quarter's report folder or its public/ folder")
    p.add_argument("--manifest", help="a manifest the public receives, scanned too (public/manifest.json always is)")
    p.set_defaults(func=cmd_audit_disclosure)

    for name, func, text in (
        ("deliver", cmd_deliver, "send the written report of a quarter to its recipients (outbox, SMTP, recorded)"),
        ("share", cmd_share, "send the agency tables to the sharing agencies only (MOJ → MOH, GSO)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--quarter", type=_quarter)
        p.add_argument("--reports", help="the reports folder (default: $CRVS_HOME/reports)")
        p.add_argument("--recipient", action="append", help="only this recipient (repeatable)")
        p.add_argument("--force", action="store_true", help="e-mail again recipients who already received the quarter")
        p.add_argument("--list", action="store_true", help="list who may receive which tables, send nothing")
        p.set_defaults(func=func)

    p = sub.add_parser("demo", help="what `make run` does: sample quarter through the Airflow DAGs to a report")
    p.add_argument("--quarter", type=_quarter, default="2025Q3")
    p.add_argument("--scale", type=float, default=0.01)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "bench",
        help="`bench ingest`: the loader's rows/s against a bare COPY of the same files; "
        "`bench path`: a quarter from deliveries to report, and a day's delivery; "
        "`bench report`: the report with its disclosure control and audit, in seconds",
    )
    p.add_argument("what", choices=["ingest", "path", "report"])
    p.add_argument("--seed", type=int, help="bench report: the sample's seed (default: crvs sample's)")
    p.add_argument("--scale", type=float, default=0.2, help="1.0 is national scale (~1.1 M rows a quarter)")
    p.add_argument("--quarter", type=_quarter, default="2025Q3")
    p.add_argument("--keep", action="store_true", help="keep the throw-away CRVS_HOME and its server running")
    p.add_argument("--json", type=Path, help="with path: write the table as JSON to this file")
    p.add_argument(
        "--years",
        type=int,
        default=0,
        help="with path: then a history of N national years ending at --quarter, generated and loaded quarter "
        "by quarter; a day's delivery on top of it and a full rebuild of it are timed",
    )
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "airflow",
        help="the airflow CLI on this project's configuration (e.g. `crvs airflow dags list`); "
        "`crvs airflow up`: every service, separately, until Ctrl-C; "
        "`crvs airflow celery-smoke`: a quarter on two Celery workers",
    )
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_airflow)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("great_expectations", "dbt", "sqlalchemy", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import psycopg

    from crvs.database import DatabaseError
    from crvs.settings import SettingsError

    try:
        return args.func(args)
    except (DatabaseError, SettingsError) as err:
        print(f"crvs {args.command}: {err}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as err:  # the warehouse went away during the command
        detail = (str(err).strip().splitlines() or ["no detail"])[-1]
        print(f"crvs {args.command}: lost the connection to the warehouse ({detail})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
