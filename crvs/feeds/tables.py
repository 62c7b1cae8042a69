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

create table if not exists raw.deliveries (
    delivery_id     text primary key,
    agency          text not null,
    channel         text not null,
    schema_version  text not null,
    extracted_at    timestamptz not null,
    period_start    date not null,
    period_end      date not null,
    source          text not null,          -- folder, e-mail message or platform address it came from
    manifest        jsonb not null,
    loaded_at       timestamptz not null default now()
);

create table if not exists raw.delivery_files (
    delivery_id      text not null references raw.deliveries,
    dataset          text not null,
    file_name        text not null,
    sha256           text,
    rows_received    integer not null,
    rows_loaded      integer not null,
    rows_quarantined integer not null,
    primary key (delivery_id, dataset)
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
    primary key (delivery_id, dataset, source_row)
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
    columns = [f"{name} {sql}" for name, sql in RAW_META_COLUMNS]
    columns += [f"{c.stored_name} {c.sql_type}" for c in dataset.columns if c.stored_name]
    columns.append("primary key (delivery_id, source_row)")
    return f"create table if not exists raw.{dataset.name} (\n    " + ",\n    ".join(columns) + "\n);"


def ensure_tables(conn: psycopg.Connection) -> None:
    conn.execute(DELIVERY_TABLES)
    for dataset in DATASETS.values():
        conn.execute(raw_table_ddl(dataset))
