"""Every setting in one place. Read from the environment each time, so tests and DAGs can override.

Environment variables (all optional):
  CRVS_HOME               state folder: embedded PostgreSQL, secrets, inbox, reports, Airflow home
                          (default: `.crvs/` in the project root, whatever the current directory)
  CRVS_WAREHOUSE_URL      a PostgreSQL >= 15 to use instead of the embedded one
  CRVS_AIRFLOW_DB_URL     Airflow's metadata database (default: database `crvs_airflow` on the same server)
  CRVS_PG_PORT            port of the embedded PostgreSQL (default: a free port chosen once, kept in CRVS_HOME)
  CRVS_PG_THROWAWAY       1: the embedded PostgreSQL does not wait for the disk (fsync, synchronous_commit and
                          full_page_writes off): a crash loses its data. Only for a server thrown away at the
                          end (the test session sets it); never for a warehouse you keep (default 0)
  CRVS_SCHEDULE_MOJ, CRVS_SCHEDULE_MOH, CRVS_SCHEDULE_GSO
                          when each agency's ingest DAG (crvs_ingest_moj, ...) runs (cron or preset;
                          defaults @daily, @weekly, @monthly)
  CRVS_PLATFORM_URL, CRVS_PLATFORM_TOKEN
                          the sharing platform's address and bearer token for `crvs fetch`; DAGs use the
                          Airflow connection crvs_platform (and these when it is not defined)
  CRVS_SHARED_DIR         the one folder every Airflow worker mounts (a shared volume): inbox, mail,
                          platform spool, reports, outbox — what one task hands to the next on another
                          host (default: CRVS_HOME, enough when every task runs on one machine)
  CRVS_AIRFLOW_PORT       the Airflow UI's port (default 8080)
  CRVS_AIRFLOW_HOST       the address the Airflow UI listens on (default 127.0.0.1; 0.0.0.0 in a container)
  CRVS_LOG_SERVER_HOST    the address the task-log servers of `crvs airflow up` listen on (default 127.0.0.1;
                          the address the api-server reaches a worker on, when workers are on other hosts)
  CRVS_CELERY_BROKER_URL  the Celery broker of `crvs airflow celery-smoke` (default redis://127.0.0.1:6379/0)
  CRVS_RECIPIENTS         who receives the quarterly report (default config/recipients.toml)
  CRVS_SMTP_URL           SMTP server for `crvs deliver` (smtp://user:password@host:port); DAGs use the
                          Airflow connection crvs_smtp
  CRVS_PSEUDONYM_KEY      the HMAC key for personal identifiers (hex or text); required with CRVS_WAREHOUSE_URL,
                          generated once into CRVS_HOME/secrets for the embedded default
  CRVS_ANALYST_PASSWORD   password of the analysts' read-only role crvs_analyst (default: generated once into
                          CRVS_HOME/secrets/analyst.password, mode 0600)
                          (the embedded server's other roles' passwords are generated once into
                          CRVS_HOME/secrets/<role>.pgpass, mode 0600; docs/security.md)
  CRVS_FRESHNESS_CONFIG   the agencies' agreed delivery windows (default expectations/freshness.toml)
  CRVS_GX_ROOT            the folder holding the GX File context gx/ (default expectations/)
  CRVS_SMTP_HOST, CRVS_SMTP_PORT (25), CRVS_SMTP_USER, CRVS_SMTP_PASSWORD, CRVS_SMTP_STARTTLS (0/1),
  CRVS_ALERT_EMAIL_TO (comma-separated), CRVS_ALERT_EMAIL_FROM
                          e-mail for failure alerts; without CRVS_SMTP_HOST and CRVS_ALERT_EMAIL_TO alerts
                          are logged and written to CRVS_HOME/alerts/alerts.jsonl only
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit  # re-used by database.py

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DAGS_DIR = PROJECT_ROOT / "dags"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

WAREHOUSE_DB = "crvs_warehouse"
AIRFLOW_DB = "crvs_airflow"
# The embedded server's roles (docs/security.md). Every one logs in with its own password (SCRAM).
# The superuser administers only: it creates the roles and databases (crvs/database.py).
EMBEDDED_SUPERUSER = "crvs"
ADMIN_ROLE = EMBEDDED_SUPERUSER  # what database.connect(role=...) calls it
# The loader (crvs ingest, fetch, mail): owns raw and quarantine, reads nothing else.
LOADER_ROLE = "crvs_loader"
# dbt: reads raw, quarantine and quality; owns staging, intermediate, marts, reports and reference.
TRANSFORMER_ROLE = "crvs_transformer"
# The quality gate, the feed checks, the report writer and its deliveries: owns quality and
# delivery, reads the other layers.
GATE_ROLE = "crvs_gate"
# The analysts' read-only role: SELECT on marts, reports and reference (dbt macro grant_analyst_access).
ANALYST_ROLE = "crvs_analyst"
# Airflow's metadata database crvs_airflow is owned by its own role; no other role may connect to it.
AIRFLOW_ROLE = "crvs_airflow"
# The roles the pipeline logs in as, each with a password in CRVS_HOME/secrets/<role>.pgpass.
SERVICE_ROLES = (EMBEDDED_SUPERUSER, LOADER_ROLE, TRANSFORMER_ROLE, GATE_ROLE, AIRFLOW_ROLE)


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def home() -> Path:
    return Path(os.environ.get("CRVS_HOME") or PROJECT_ROOT / ".crvs").expanduser().resolve()


def uses_embedded_postgres() -> bool:
    return not os.environ.get("CRVS_WAREHOUSE_URL")


def postgres_dir() -> Path:
    return home() / "postgres"


def shared_dir() -> Path:
    """Where the files one Airflow task hands to the next live: CRVS_SHARED_DIR, one folder that every
    worker mounts, else CRVS_HOME. Records and XComs live in the databases; these files (inbox, mail,
    platform spool, reports, outbox) live here, so a task finds its predecessor's files whichever
    worker, on whichever host, ran it. Each host's own state (PostgreSQL's data, Airflow's home and
    task logs, dbt's target) stays in CRVS_HOME."""
    shared = os.environ.get("CRVS_SHARED_DIR", "").strip()
    return Path(shared).expanduser().resolve() if shared else home()


def inbox_dir() -> Path:
    return shared_dir() / "inbox"


def reports_dir() -> Path:
    return shared_dir() / "reports"


def outbox_dir() -> Path:
    """Every delivery of a report, as sent (or as it would have been sent): files and message."""
    return shared_dir() / "outbox"


def recipients_file() -> Path:
    return Path(os.environ.get("CRVS_RECIPIENTS") or PROJECT_ROOT / "config" / "recipients.toml")


def smtp_url() -> str | None:
    """The command line's SMTP server (smtp://user:password@host:port, smtps:// for TLS, ?starttls=true);
    DAGs use the Airflow connection crvs_smtp instead. None: deliveries stay in the outbox."""
    return os.environ.get("CRVS_SMTP_URL", "").strip() or None


def airflow_home() -> Path:
    return home() / "airflow"


# How often each agency delivers under the regulation, hence how often its ingest DAG looks.
AGENCY_SCHEDULES = {"MOJ": "@daily", "MOH": "@weekly", "GSO": "@monthly"}


def agency_schedule(agency: str) -> str:
    """The schedule of crvs_ingest_<agency>: CRVS_SCHEDULE_<AGENCY>, else AGENCY_SCHEDULES."""
    if agency not in AGENCY_SCHEDULES:
        raise SettingsError(f"unknown agency {agency!r}; known: {', '.join(AGENCY_SCHEDULES)}")
    return os.environ.get(f"CRVS_SCHEDULE_{agency}", "").strip() or AGENCY_SCHEDULES[agency]


def gx_root() -> Path:
    """The folder holding the GX File context gx/ (CRVS_GX_ROOT, default expectations/)."""
    return Path(os.environ.get("CRVS_GX_ROOT") or EXPECTATIONS_DIR)


def freshness_config() -> Path:
    """The agencies' agreed delivery windows (CRVS_FRESHNESS_CONFIG, default expectations/freshness.toml)."""
    return Path(os.environ.get("CRVS_FRESHNESS_CONFIG") or EXPECTATIONS_DIR / "freshness.toml")


def acting_user() -> str:
    """Who runs a command that records a person (an acceptance): CRVS_USER (set by a shared service
    account's wrapper), else the operating-system user."""
    import getpass

    return (os.environ.get("CRVS_USER") or "").strip() or getpass.getuser()


def mail_dir() -> Path:
    """The official e-mail fallback: a maildir (or folder of .eml files) that the mail system
    delivers agency messages into, collected by every ingest DAG run."""
    return Path(os.environ.get("CRVS_MAIL_DIR") or shared_dir() / "mail").expanduser()


def loader_fast_path() -> bool:
    """CRVS_LOADER_FAST_PATH=0 sends every row the loader's general way (crvs.feeds.fastpath)."""
    return os.environ.get("CRVS_LOADER_FAST_PATH", "1").strip() != "0"


def platform_url() -> str | None:
    return os.environ.get("CRVS_PLATFORM_URL", "").strip().rstrip("/") or None


def platform_token() -> str:
    """The platform's bearer token (from the secret store via the environment; never logged)."""
    return os.environ.get("CRVS_PLATFORM_TOKEN", "").strip()


def _positive_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SettingsError(f"{name} must be a positive number, got {text!r}")
    return value


def platform_deadline() -> float:
    """Seconds one platform request may take as a whole (CRVS_PLATFORM_DEADLINE, default 300)."""
    return _positive_number("CRVS_PLATFORM_DEADLINE", 300.0)


def platform_max_page_bytes() -> int:
    """The largest answer the platform client reads (CRVS_PLATFORM_MAX_PAGE_BYTES, default 64 MiB:
    a page of 10,000 rows is a few MiB)."""
    return int(_positive_number("CRVS_PLATFORM_MAX_PAGE_BYTES", 64 << 20))


def platform_spool_dir() -> Path:
    """Where deliveries fetched from the platform are spooled before loading."""
    return shared_dir() / "platform" / "spool"


def airflow_port() -> str:
    return os.environ.get("CRVS_AIRFLOW_PORT", "8080")


def airflow_host() -> str:
    """The address the Airflow UI (api-server) listens on; 127.0.0.1 unless configured."""
    return os.environ.get("CRVS_AIRFLOW_HOST", "").strip() or "127.0.0.1"


def log_server_host() -> str:
    """The address the task-log servers listen on; 127.0.0.1 unless configured."""
    return os.environ.get("CRVS_LOG_SERVER_HOST", "").strip() or "127.0.0.1"


def celery_broker_url() -> str:
    return os.environ.get("CRVS_CELERY_BROKER_URL", "").strip() or "redis://127.0.0.1:6379/0"


def _port_file() -> Path:
    return postgres_dir() / "port"


def pinned_embedded_port() -> int | None:
    """CRVS_PG_PORT when set (the embedded server's port chosen by the caller), else None."""
    text = os.environ.get("CRVS_PG_PORT")
    return int(text) if text else None


def embedded_server_is_throwaway() -> bool:
    """CRVS_PG_THROWAWAY=1: the embedded server's data may be lost in a crash (the test session's)."""
    return os.environ.get("CRVS_PG_THROWAWAY", "0").strip() == "1"


def embedded_port() -> int:
    """The embedded server's port: CRVS_PG_PORT, else the one chosen at first start (see database.py)."""
    pinned = pinned_embedded_port()
    if pinned is not None:
        return pinned
    try:
        return int(_port_file().read_text().strip())
    except FileNotFoundError:
        raise SettingsError(
            f"the embedded PostgreSQL in {home()} has not been started yet: run `crvs db start`"
        ) from None


def remember_embedded_port(port: int) -> None:
    _port_file().parent.mkdir(parents=True, exist_ok=True)
    _port_file().write_text(f"{port}\n")


def _embedded_url(database: str, role: str = EMBEDDED_SUPERUSER) -> str:
    """The embedded server as `role`: the password is read by libpq from the role's password file
    (`passfile`), so the URL itself holds no secret and may be printed or logged."""
    passfile = quote(str(role_passfile(role)), safe="/")
    return f"postgresql://{role}@127.0.0.1:{embedded_port()}/{database}?passfile={passfile}"


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def warehouse_url() -> str:
    """The warehouse with every right: CRVS_WAREHOUSE_URL, else the embedded server's superuser.
    For administration and tests; the pipeline's parts connect with role_url()."""
    return os.environ.get("CRVS_WAREHOUSE_URL") or _embedded_url(WAREHOUSE_DB)


def role_url(role: str) -> str:
    """The warehouse as `role` (LOADER_ROLE, TRANSFORMER_ROLE, GATE_ROLE, EMBEDDED_SUPERUSER).
    With CRVS_WAREHOUSE_URL every part uses that one URL: the roles of your own server are yours."""
    if role not in SERVICE_ROLES or role == AIRFLOW_ROLE:
        raise SettingsError(f"no warehouse URL for role {role!r}; known: {', '.join(SERVICE_ROLES[:-1])}")
    return os.environ.get("CRVS_WAREHOUSE_URL") or _embedded_url(WAREHOUSE_DB, role)


def airflow_db_url() -> str:
    if os.environ.get("CRVS_AIRFLOW_DB_URL"):
        return os.environ["CRVS_AIRFLOW_DB_URL"]
    if uses_embedded_postgres():
        return _embedded_url(AIRFLOW_DB, AIRFLOW_ROLE)
    return _with_database(warehouse_url(), AIRFLOW_DB)


def server_admin_url() -> str:
    """A connection to the server's `postgres` database, to create the other databases."""
    return _with_database(warehouse_url(), "postgres")


def url_password(url: str) -> str:
    """The password a URL carries: inline, or in the libpq password file its `passfile` names
    ("" when neither). For clients that take the password apart from the URL (dbt)."""
    parts = urlsplit(url)
    if parts.password:
        return unquote(parts.password)
    passfile = parse_qs(parts.query).get("passfile")
    if not passfile or not parts.username:
        return ""
    return _passfile_password(Path(passfile[0]), unquote(parts.username)) or ""


def sqlalchemy_url(url: str) -> str:
    """Airflow wants the psycopg 3 driver spelled out, for both its sync and async engines."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def _key_file() -> Path:
    return secrets_dir() / "pseudonym.key"


def pseudonym_key() -> bytes:
    """The HMAC key. Never logged, never written anywhere but CRVS_HOME/secrets (mode 0600)."""
    value = os.environ.get("CRVS_PSEUDONYM_KEY")
    if value:
        return value.encode("utf-8")
    if not uses_embedded_postgres():
        raise SettingsError(
            "CRVS_PSEUDONYM_KEY is not set. With CRVS_WAREHOUSE_URL the key must come from your secret store; "
            "use the same key for every load, or pseudonyms stop matching across deliveries."
        )
    return ensure_pseudonym_key()


def secrets_dir() -> Path:
    """CRVS_HOME/secrets (mode 0700): the pseudonym key and the roles' passwords, this user's only."""
    return home() / "secrets"


def _private_file(path: Path, text: str) -> None:
    """Write `text` into a new file readable by this user only (never replaces an existing one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _generated_secret(path: Path) -> str:
    """A secret generated once (256 random bits, hex) into `path`, readable by this user only."""
    if not path.exists():
        _private_file(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def role_passfile(role: str) -> Path:
    """The libpq password file of an embedded role (one line: *:*:*:<role>:<password>)."""
    return secrets_dir() / f"{role}.pgpass"


def _passfile_password(path: Path, role: str) -> str | None:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        fields = line.split(":")  # generated passwords are hex: no ':' or '\\' to unescape
        if len(fields) == 5 and fields[3] == role:
            return fields[4]
    return None


def role_password(role: str) -> str:
    """The embedded role's password, generated once (256 random bits, hex) into
    CRVS_HOME/secrets/<role>.pgpass (mode 0600). Never logged."""
    path = role_passfile(role)
    if not path.exists():
        try:
            _private_file(path, f"*:*:*:{role}:{secrets.token_hex(32)}\n")
        except FileExistsError:  # another process made it first
            pass
    password = _passfile_password(path, role)
    if not password:
        raise SettingsError(f"{path} holds no password for role {role}: remove it to generate a new one")
    return password


def ensure_pseudonym_key() -> bytes:
    """Generate the embedded default's key once, readable by this user only."""
    return _generated_secret(_key_file()).encode("utf-8")


def analyst_password() -> str:
    """The analysts' role password: CRVS_ANALYST_PASSWORD, else generated once into
    CRVS_HOME/secrets/analyst.password (mode 0600). Never logged."""
    return os.environ.get("CRVS_ANALYST_PASSWORD") or _generated_secret(secrets_dir() / "analyst.password")


def analyst_url(password: str) -> str:
    """The warehouse URL with the analysts' role and its password (inline: the URL is what analysts
    are given) instead of the administrator's user and password file."""
    parts = urlsplit(warehouse_url())
    host = parts.hostname or "localhost"
    netloc = f"{quote(ANALYST_ROLE, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("passfile="))
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def alert_smtp() -> dict | None:
    """Where failure alerts are e-mailed, or None when not configured. The password comes from the
    environment only (the secret store), never from a file in the repo."""
    host = os.environ.get("CRVS_SMTP_HOST", "").strip()
    to = [a.strip() for a in os.environ.get("CRVS_ALERT_EMAIL_TO", "").split(",") if a.strip()]
    if not host or not to:
        return None
    return {
        "host": host,
        "port": int(os.environ.get("CRVS_SMTP_PORT") or 25),
        "user": os.environ.get("CRVS_SMTP_USER") or None,
        "password": os.environ.get("CRVS_SMTP_PASSWORD") or None,
        "starttls": os.environ.get("CRVS_SMTP_STARTTLS", "0") == "1",
        "from": os.environ.get("CRVS_ALERT_EMAIL_FROM") or "crvs-warehouse@localhost",
        "to": to,
    }
