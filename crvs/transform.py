"""Runs the dbt project (dbt_project/) in-process with dbt's programmatic `dbtRunner`.

dbt reads its connection from environment variables (dbt_project/profiles.yml), which `dbt_env()`
derives from `settings.role_url(settings.TRANSFORMER_ROLE)`, so dbt always talks to the warehouse the
loader writes to, as the role that owns the layers it builds.
dbt's target/ and logs/ live in CRVS_HOME/dbt/, which keeps the repository clean and lets test
sessions (each with its own CRVS_HOME) run side by side.
"""

from __future__ import annotations

import getpass
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from crvs import settings

# dbtRunner keeps global state (flags, adapters, event manager): one invocation at a time.
_DBT_LOCK = threading.Lock()

_FAILED_STATUSES = {"error", "fail", "runtime error"}


class TransformError(RuntimeError):
    """dbt failed; the message names the failed nodes."""


def dbt_dir() -> Path:
    return settings.home() / "dbt"


def target_dir() -> Path:
    """Where dbt writes its artifacts (manifest.json, run_results.json, catalog.json, docs site)."""
    return dbt_dir() / "target"


def log_dir() -> Path:
    return dbt_dir() / "logs"


def dbt_env() -> dict[str, str]:
    """The environment variables dbt_project/profiles.yml reads, from the transformer's URL."""
    url = settings.role_url(settings.TRANSFORMER_ROLE)
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise settings.SettingsError(
            f"the warehouse URL must be postgresql://user@host:port/database, got scheme {parts.scheme!r}"
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise settings.SettingsError("the warehouse URL names no database (postgresql://user@host:port/DATABASE)")
    query = parse_qs(parts.query)
    return {
        "CRVS_DBT_HOST": parts.hostname or "localhost",
        "CRVS_DBT_PORT": str(parts.port or 5432),
        "CRVS_DBT_USER": unquote(parts.username) if parts.username else getpass.getuser(),
        # dbt scrubs variables with the DBT_ENV_SECRET_ prefix from its logs and artifacts.
        "DBT_ENV_SECRET_CRVS_DBT_PASSWORD": settings.url_password(url),
        "CRVS_DBT_DBNAME": dbname,
        "CRVS_DBT_SSLMODE": query.get("sslmode", ["prefer"])[0],
    }


@contextmanager
def _dbt_environment() -> Iterator[None]:
    """Set dbt's variables for one invocation only, so the password does not linger in os.environ."""
    wanted = dbt_env() | {
        "DBT_TARGET_PATH": str(target_dir()),
        "DBT_LOG_PATH": str(log_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # the analysts' role the on-run-end macro grants to (one name: settings.ANALYST_ROLE)
        "CRVS_DBT_ANALYST_ROLE": settings.ANALYST_ROLE,
        "DO_NOT_TRACK": "1",
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _failures(result) -> list[str]:
    lines = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status)).lower()
        if status in _FAILED_STATUSES:
            message = (node_result.message or "").strip().splitlines()
            lines.append(f"{node_result.node.unique_id} ({status}): {message[0] if message else 'no message'}")
    return lines


def run_dbt(args: list[str]) -> None:
    """Run one dbt command (e.g. ["build", "--select", "rpt_t1_registrations"]) against the warehouse.

    Raises TransformError naming every failed model, seed or test."""
    from dbt.cli.main import dbtRunner  # deferred: importing dbt takes a few seconds

    command = " ".join(args)
    full_args = [
        *args,
        "--project-dir",
        str(settings.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(settings.DBT_PROJECT_DIR),
    ]
    target_dir().mkdir(parents=True, exist_ok=True)
    log_dir().mkdir(parents=True, exist_ok=True)
    with _DBT_LOCK, _dbt_environment():
        result = dbtRunner().invoke(full_args)
    if result.exception is not None:
        raise TransformError(f"dbt {command} could not run: {result.exception}") from result.exception
    if not result.success:
        failures = _failures(result)
        detail = "\n  ".join(failures) if failures else f"see {log_dir() / 'dbt.log'}"
        raise TransformError(f"dbt {command} failed:\n  {detail}")


def build(select: str | None = None, full_refresh: bool = False) -> None:
    """`dbt build`: seeds, models, snapshots and their tests (unit and data), in DAG order.

    `select` is a dbt selector, e.g. "+exposure:quarterly_report" for what the report needs.
    `full_refresh` rebuilds incremental models from scratch (and reloads seeds)."""
    run_dbt(["build", *(["--select", select] if select else []), *(["--full-refresh"] if full_refresh else [])])


def docs_server(folder: Path, port: int = 0):
    """An HTTP server of the generated docs `folder` on 127.0.0.1 only (port 0: any free one), not
    started: the caller runs serve_forever(). The site opens on the project's __overview__ block."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # no line per request on the terminal
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(folder)))


def docs_generate() -> Path:
    """`dbt docs generate`; returns the folder holding index.html, manifest.json and catalog.json."""
    run_dbt(["docs", "generate"])
    return target_dir()
