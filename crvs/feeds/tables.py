"""The loader's tables: raw.<dataset> (typed, pseudonymised rows), delivery records and quarantine.

These are the only tables Python writes into the warehouse (besides the gate's results); dbt reads
them as sources. Created idempotently before every load.
"""

from __future__ import annotations

import psycopg

from crvs.feeds.contract import DATASETS, RAW_META_COLUMNS, Dataset

DELIVERY_TABLES = """
create schema if not exists raw;
create schema if not exists quarantine;

-- A delivery is identified by (agency, delivery_id): feeds.md makes delivery_id unique per agency
-- only, so a MOH delivery may carry an id a GSO delivery already used.
create table if not exists raw.deliveries (
    delivery_id     text not null,
    agency          text not null,
    channel         text not null,
    schema_version  text not null,
    extracted_at    timestamptz not null,
    period_start    date not null,
    period_end      date not null,
    source          text not null,          -- folder, e-mail message or platform address it came from
    manifest        jsonb not null,
    loaded_at       timestamptz not null default now(),
    primary key (agency, delivery_id)
);

-- agency comes last, where the upgrade of an older warehouse adds it (the same columns in the
-- same order either way).
create table if not exists raw.delivery_files (
    delivery_id      text not null,
    dataset          text not null,
    file_name        text not null,
    sha256           text,
    rows_received    integer not null,
    rows_loaded      integer not null,
    rows_quarantined integer not null,
    agency           text not null,
    primary key (agency, delivery_id, dataset),
    foreign key (agency, delivery_id) references raw.deliveries
);

-- Every row that broke the contract, with the first rule it broke. Personal identifiers are
-- pseudonymised and names dropped exactly as in raw.*, so quarantine is no back door.
create table if not exists quarantine.rows (
    delivery_id  text not null,
    dataset      text not null,
    file_name    text not null,
    source_row   integer not null,
    column_name  text not null,
    rule         text not null,
    reason       text not null,
    record       jsonb not null,
    agency       text not null,
    primary key (agency, delivery_id, dataset, source_row)
);

-- Deliveries refused whole (manifest disagrees with its files, unknown schema version, unreadable CSV).
create table if not exists quarantine.rejected_deliveries (
    rejection_id  bigserial primary key,
    delivery_id   text,
    agency        text,
    source        text not null,
    reason        text not null,
    manifest      jsonb,
    rejected_at   timestamptz not null default now()
);
"""


def raw_table_ddl(dataset: Dataset) -> str:
    """raw.<dataset>: the meta columns, then the stored columns, typed.

    No primary key: (delivery_id, source_row) is unique by construction (one loader per delivery
    under an advisory lock, raw.deliveries' key, rows numbered by the loader), and dbt tests it on
    every build (stg_*: unique (delivery_id, source_row)). A B-tree key made each row's insert cost
    about a third more than a bare COPY's; a BRIN index over delivery_id (rows of a delivery lie
    together: the table only grows) finds a delivery's rows for a fraction of that.
    """
    columns = [f"{name} {sql}" for name, sql in RAW_META_COLUMNS]
    columns += [f"{c.stored_name} {c.sql_type}" for c in dataset.columns if c.stored_name]
    return (
        f"create table if not exists raw.{dataset.name} (\n    " + ",\n    ".join(columns) + "\n);\n"
        f"create index if not exists {dataset.name}_delivery on raw.{dataset.name} using brin (delivery_id);"
    )


# Warehouses made before pseudonyms were stored as bytes: hex text (char(64)) becomes bytea, and
# the primary key gives way to the BRIN index. Looked up first, so that a warehouse already up to
# date takes no lock.
OUTDATED = """
select table_name, 'alter column ' || column_name || ' type bytea using decode(' || column_name || ', ''hex'')'
from information_schema.columns
where table_schema = 'raw' and column_name like '%%\\_pid' and data_type <> 'bytea'
union all
select rel.relname, 'drop constraint ' || con.conname
from pg_constraint con join pg_class rel on rel.oid = con.conrelid
join pg_namespace ns on ns.oid = rel.relnamespace
where ns.nspname = 'raw' and con.contype = 'p' and rel.relname <> all(%s)
"""
KEYED_TABLES = ["deliveries", "delivery_files"]  # raw tables that keep their primary key


def _upgrade(conn: psycopg.Connection) -> None:
    for table, change in conn.execute(OUTDATED, (KEYED_TABLES,)).fetchall():
        if table in DATASETS:
            conn.execute(f"alter table raw.{table} {change}")


# Warehouses made when a delivery was keyed by delivery_id alone: raw.delivery_files and
# quarantine.rows gain `agency` (each dataset belongs to one agency: the contract says which), and
# the keys become (agency, delivery_id, ...). Looked up first: a warehouse up to date takes no lock.
NOT_KEYED_BY_AGENCY = """
select c.table_schema || '.' || c.table_name
from information_schema.tables c
where (c.table_schema, c.table_name) in (('raw', 'delivery_files'), ('quarantine', 'rows'))
  and not exists (select 1 from information_schema.columns a where a.table_schema = c.table_schema
                  and a.table_name = c.table_name and a.column_name = 'agency')
union all
select 'raw.deliveries' from pg_constraint
where conrelid = 'raw.deliveries'::regclass and contype = 'p' and cardinality(conkey) = 1
"""


def _key_by_agency(conn: psycopg.Connection) -> None:
    if not conn.execute(NOT_KEYED_BY_AGENCY).fetchall():
        return
    # Two loaders may find it outdated at once: one upgrades (in its transaction), the other waits
    # and looks again.
    conn.execute("select pg_advisory_xact_lock(hashtext('crvs.tables.key_by_agency'))")
    outdated = {r[0] for r in conn.execute(NOT_KEYED_BY_AGENCY).fetchall()}
    if not outdated:
        return
    agency_of = "case dataset " + " ".join(f"when '{d.name}' then '{d.agency}'" for d in DATASETS.values()) + " end"
    for table in ("raw.delivery_files", "quarantine.rows"):
        if table in outdated:
            conn.execute(f"alter table {table} add column agency text")
            conn.execute(f"update {table} set agency = {agency_of}")
            conn.execute(f"alter table {table} alter column agency set not null")
    conn.execute("alter table raw.delivery_files drop constraint if exists delivery_files_delivery_id_fkey")
    keys = {
        "raw.deliveries": "agency, delivery_id",
        "raw.delivery_files": "agency, delivery_id, dataset",
        "quarantine.rows": "agency, delivery_id, dataset, source_row",
    }
    for table, key in keys.items():
        schema, name = table.split(".")
        conn.execute(f"alter table {table} drop constraint if exists {name}_pkey")
        conn.execute(f"alter table {table} add primary key ({key})")
    conn.execute("alter table raw.delivery_files add foreign key (agency, delivery_id) references raw.deliveries")


def ensure_tables(conn: psycopg.Connection) -> None:
    conn.execute(DELIVERY_TABLES)
    for dataset in DATASETS.values():
        conn.execute(raw_table_ddl(dataset))
    _upgrade(conn)
    _key_by_agency(conn)
