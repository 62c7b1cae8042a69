"""A delivery's profile: its aggregates per dataset, recorded once in quality.delivery_profile, so
the feed suites (expectations/feed_suites.py) check a few hundred rows of counts instead of every
raw row.

What the loader counted is already in the warehouse: per file the rows received, loaded and
quarantined (raw.delivery_files), the manifest's row count (raw.deliveries.manifest), and per
quarantined row its column and rule (quarantine.rows). What the loader stored is read ONCE, set
based: one aggregate statement over the delivery's rows of raw.<dataset> (its BRIN index on
delivery_id finds them) for the counts (rows, nulls of required columns, identifiers that are not
a 32-byte pseudonym, repeated keys, rows breaking each row rule), and one grouping-sets statement
for the distribution of every code-list column (enumerations alone; province and commune codes with
the row's admin_code_version). Both are generated from the feed contract (crvs/feeds/contract.py).

quality.delivery_profile, one row per measure:

  measure         column_name           code_version   value      rows
  manifest_rows   ''                                              the manifest's count for the file
  received        ''                                              raw.delivery_files (the loader)
  loaded          ''                                              raw.delivery_files
  quarantined     ''                                              raw.delivery_files
  quarantined_by  the column            (null)         the rule   quarantine.rows of the file
  rows            ''                                              rows in raw.<dataset>
  nulls           a required column                               rows with it empty
  not_pseudonym   an identifier column                            set, but not 32 bytes
  duplicate_key   ''                                              rows repeating an earlier key
  rule_broken     the row rule's name                             rows breaking it
  value           a code-list column    for codes      the value  rows holding it (null: empty)
"""

from __future__ import annotations

import psycopg

from crvs.feeds.contract import DATASETS, Dataset

PROFILE_DDL = """
create schema if not exists quality;
create table if not exists quality.delivery_profile (
    agency        text not null,
    delivery_id   text not null,
    dataset       text not null,
    measure       text not null,
    column_name   text not null,
    code_version  text,
    value         text,
    rows          bigint not null
);
create index if not exists delivery_profile_delivery on quality.delivery_profile (agency, delivery_id, dataset);
"""

CODE_KINDS = ("province", "commune")
PSEUDONYM_BYTES = 32  # HMAC-SHA256


def stored(dataset: Dataset):
    return [c for c in dataset.columns if c.stored_name]


def _has_version(dataset: Dataset) -> bool:
    return any(c.name == "admin_code_version" for c in dataset.columns)


def distributed(dataset: Dataset):
    """The columns whose values the profile counts: enumerations, and codes of a list."""
    return [c for c in stored(dataset) if c.kind == "enum" or (c.kind in CODE_KINDS and _has_version(dataset))]


def count_measures(dataset: Dataset) -> list[tuple[str, str, str]]:
    """(measure, column_name, SQL aggregate) of the counts statement, in its order."""
    measures = [("rows", "", "count(*)")]
    measures += [
        ("nulls", c.stored_name, f"count(*) filter (where {c.stored_name} is null)")
        for c in stored(dataset)
        if c.required
    ]
    measures += [
        (
            "not_pseudonym",
            c.stored_name,
            f"count(*) filter (where {c.stored_name} is not null and octet_length({c.stored_name}) <> {PSEUDONYM_BYTES})",
        )
        for c in stored(dataset)
        if c.kind == "pid"
    ]
    key = ", ".join(dataset.key)
    measures.append(
        (
            "duplicate_key",
            "",
            f"count(*) - count(distinct ({key}))" if len(dataset.key) > 1 else f"count(*) - count(distinct {key})",
        )
    )
    measures += [("rule_broken", r.name, f"count(*) filter (where not coalesce({r.sql}, true))") for r in dataset.rules]
    return measures


def counts_statement(dataset: Dataset) -> str:
    """One pass over the delivery's rows: every count of count_measures. The row rules compare with
    the local extraction date written in the manifest, as the loader did."""
    aggregates = ",\n    ".join(sql for _, _, sql in count_measures(dataset))
    return (
        f"select\n    {aggregates}\nfrom raw.{dataset.name} r\n"
        "cross join (select left(manifest ->> 'extracted_at', 10)::date as extracted_on from raw.deliveries"
        " where agency = %(agency)s and delivery_id = %(delivery_id)s) d\n"
        "where r.delivery_id = %(delivery_id)s"
    )


def _grouping_set(dataset: Dataset, column) -> tuple[str, ...]:
    if column.kind in CODE_KINDS:
        return ("admin_code_version", column.stored_name)
    return (column.stored_name,)


def distribution_statement(dataset: Dataset) -> str | None:
    """One pass over the delivery's rows: the count of each value of every distributed column
    (grouping sets; `grouping(...)` tells which set a row belongs to)."""
    columns = distributed(dataset)
    if not columns:
        return None
    names = list(dict.fromkeys(n for c in columns for n in _grouping_set(dataset, c)))
    sets = ", ".join("(" + ", ".join(_grouping_set(dataset, c)) + ")" for c in columns)
    return (
        f"select grouping({', '.join(names)}) as grouped, {', '.join(names)}, count(*) from raw.{dataset.name}"
        f" where delivery_id = %(delivery_id)s group by grouping sets ({sets})"
    )


def _grouping_mask(names: list[str], present: tuple[str, ...]) -> int:
    """PostgreSQL's grouping(): a bit per argument, the first the highest, 1 where NOT grouped by."""
    return sum(1 << (len(names) - 1 - i) for i, n in enumerate(names) if n not in present)


LOADER_COUNTS = """
select 'manifest_rows', '', null, null, (
    select sum((f ->> 'rows')::bigint) from raw.deliveries d, jsonb_array_elements(d.manifest -> 'files') f
    where d.agency = %(agency)s and d.delivery_id = %(delivery_id)s and f ->> 'dataset' = %(dataset)s)
union all
select measure, '', null, null, rows from raw.delivery_files f,
    lateral (values ('received', f.rows_received), ('loaded', f.rows_loaded), ('quarantined', f.rows_quarantined))
        v (measure, rows)
where f.agency = %(agency)s and f.delivery_id = %(delivery_id)s and f.dataset = %(dataset)s
union all
select 'quarantined_by', column_name, null, rule, count(*) from quarantine.rows
where agency = %(agency)s and delivery_id = %(delivery_id)s and dataset = %(dataset)s
group by column_name, rule
"""


def dataset_profile(cur: psycopg.Cursor, agency: str, delivery_id: str, dataset: Dataset) -> list[tuple]:
    """The profile rows (measure, column_name, code_version, value, rows) of one dataset's delivery."""
    params = {"agency": agency, "delivery_id": delivery_id, "dataset": dataset.name}
    rows = [r for r in cur.execute(LOADER_COUNTS, params).fetchall() if r[4] is not None]
    counts = cur.execute(counts_statement(dataset), params).fetchone()
    rows += [(measure, column, None, None, n) for (measure, column, _), n in zip(count_measures(dataset), counts)]
    statement = distribution_statement(dataset)
    if statement:
        columns = distributed(dataset)
        names = list(dict.fromkeys(n for c in columns for n in _grouping_set(dataset, c)))
        by_mask = {_grouping_mask(names, _grouping_set(dataset, c)): c for c in columns}
        for grouped, *values, n in cur.execute(statement, params).fetchall():
            column = by_mask[grouped]
            value = dict(zip(names, values))
            version = value["admin_code_version"] if column.kind in CODE_KINDS else None
            rows.append(("value", column.stored_name, version, value[column.stored_name], n))
    return rows


def record_profile(conn: psycopg.Connection, agency: str, delivery_id: str, datasets: list[str]) -> None:
    """Profile the delivery's `datasets` and replace what quality.delivery_profile held of it."""
    with conn.cursor() as cur:
        cur.execute(PROFILE_DDL)
        rows = [
            (agency, delivery_id, name, *row)
            for name in datasets
            for row in dataset_profile(cur, agency, delivery_id, DATASETS[name])
        ]
        cur.execute(
            "delete from quality.delivery_profile where agency = %s and delivery_id = %s", (agency, delivery_id)
        )
        with cur.copy(
            "copy quality.delivery_profile (agency, delivery_id, dataset, measure, column_name, code_version, value,"
            " rows) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row(row)
