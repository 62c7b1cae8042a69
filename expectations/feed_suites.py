"""The suites run over one delivery after its load: `suites(datasets)`, one per dataset delivered.

They are generated from the feed contract (crvs/feeds/contract.py), so a column added to the
contract is checked without a change here. They read the delivery's profile (crvs/quality/
profile.py: quality.delivery_profile, the loader's counts and one set-based pass of aggregates over
what it stored), a few hundred rows, never the raw rows themselves:

- counts: the manifest's rows = received = loaded + quarantined; loaded = rows stored in raw.*;
  quarantined = quarantine.rows of the file (the loader's counts per rule and column);
- contract: required columns never null; enumerations in their code lists; pseudonyms 32 bytes
  (an HMAC-SHA256), never a raw citizen number;
- uniqueness: the dataset's key ((record_id, record_version) for MOJ) once in the delivery;
- date order: the contract's row rules (event ≤ registration ≤ extraction, death ≥ birth, ...);
- geography: each province or commune code present exists in the list of its admin_code_version;
- distributions (WARNING): each enumeration's and province column's shares within DRIFT_POINTS
  percentage points of the previous delivery's of the same agency and dataset (both of at least
  DRIFT_MIN_ROWS rows; codes within the code lists both use).

Every check but the distributions is BLOCKING: a delivery that fails one blocks each quarter it feeds.
"""

from __future__ import annotations

from crvs.feeds.contract import DATASETS, Dataset
from crvs.quality.profile import CODE_KINDS, distributed, stored
from crvs.quality.suites import WARNING, ModelSuite, rows_check

DRIFT_POINTS = 10
DRIFT_MIN_ROWS = 500


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def profile_query(dataset: Dataset):
    """The delivery's profile rows of the dataset (the dataset names its agency)."""

    def query(delivery_id: str) -> str:
        return (
            "select agency, delivery_id, dataset, measure, column_name, code_version, value, rows "
            f"from quality.delivery_profile where agency = {_lit(dataset.agency)} "
            f"and delivery_id = {_lit(delivery_id)} and dataset = {_lit(dataset.name)}"
        )

    return query


def _measure(measure: str, column: str) -> str:
    return (
        f"select column_name, rows from {{batch}} where measure = {_lit(measure)} "
        f"and column_name = {_lit(column)} and rows > 0"
    )


COUNTS_ADD_UP = """select manifest_rows, received, loaded, quarantined, stored, quarantined_by_rule from (
    select sum(rows) filter (where measure = 'manifest_rows')::bigint as manifest_rows,
           sum(rows) filter (where measure = 'received')::bigint as received,
           sum(rows) filter (where measure = 'loaded')::bigint as loaded,
           sum(rows) filter (where measure = 'quarantined')::bigint as quarantined,
           sum(rows) filter (where measure = 'rows')::bigint as stored,
           coalesce(sum(rows) filter (where measure = 'quarantined_by'), 0)::bigint as quarantined_by_rule
    from {batch}) counts
where received is distinct from manifest_rows or loaded + quarantined is distinct from received
   or stored is distinct from loaded or quarantined_by_rule is distinct from quarantined"""


def drift_query(dataset: Dataset, column: str) -> str:
    """The values whose share moved more than DRIFT_POINTS points since the agency's previous
    delivery of the dataset (the latest extracted before this one that was profiled)."""
    previous = (
        "select o.delivery_id from raw.deliveries o, raw.deliveries t "
        f"where t.agency = {_lit(dataset.agency)} and t.delivery_id = (select min(delivery_id) from {{batch}}) "
        "and o.agency = t.agency and (o.extracted_at, o.delivery_id) < (t.extracted_at, t.delivery_id) "
        "and exists (select 1 from quality.delivery_profile q where q.agency = o.agency "
        f"and q.delivery_id = o.delivery_id and q.dataset = {_lit(dataset.name)} and q.measure = 'rows') "
        "order by o.extracted_at desc, o.delivery_id desc limit 1"
    )
    value = "coalesce(code_version || ' ', '') || coalesce(value, '(empty)')"
    # Codes are compared within a code list both deliveries use: across a reform every code moves.
    return f"""with here_all as (
    select code_version, {value} as value, rows from {{batch}}
    where measure = 'value' and column_name = {_lit(column)}),
before_all as (
    select code_version, {value} as value, rows from quality.delivery_profile
    where agency = {_lit(dataset.agency)} and dataset = {_lit(dataset.name)} and measure = 'value'
      and column_name = {_lit(column)} and delivery_id = ({previous})),
lists as (select coalesce(code_version, '') as list from here_all
          intersect select coalesce(code_version, '') from before_all),
here as (select value, rows from here_all where coalesce(code_version, '') in (select list from lists)),
before as (select value, rows from before_all where coalesce(code_version, '') in (select list from lists)),
totals as (select (select sum(rows) from here) as n, (select sum(rows) from before) as m),
shares as (
    select v.value,
           round(100.0 * coalesce((select sum(rows) from here h where h.value = v.value), 0) / t.n, 1) as share_pct,
           round(100.0 * coalesce((select sum(rows) from before b where b.value = v.value), 0) / t.m, 1)
               as previous_pct
    from (select value from here union select value from before) v, totals t
    where t.n >= {DRIFT_MIN_ROWS} and t.m >= {DRIFT_MIN_ROWS})
select value, share_pct, previous_pct from shares where abs(share_pct - previous_pct) > {DRIFT_POINTS}
order by value"""


def dataset_suite(dataset: Dataset) -> ModelSuite:
    columns = stored(dataset)
    checks = [rows_check("rows received, loaded and quarantined add up", COUNTS_ADD_UP)]
    checks += [rows_check(f"{c.name} is never null", _measure("nulls", c.stored_name)) for c in columns if c.required]
    checks += [
        rows_check(
            f"{c.name} is in its code list",
            f"select value, rows from {{batch}} where measure = 'value' and column_name = {_lit(c.stored_name)} "
            f"and value is not null and value not in ({', '.join(_lit(v) for v in c.values)})",
        )
        for c in columns
        if c.kind == "enum"
    ]
    checks += [
        rows_check(f"{c.stored_name} is an HMAC-SHA256 pseudonym", _measure("not_pseudonym", c.stored_name))
        for c in columns
        if c.kind == "pid"
    ]
    key = list(dataset.key)
    name = f"{key[0]} unique in the delivery" if len(key) == 1 else f"({', '.join(key)}) unique in the delivery"
    checks.append(rows_check(name, _measure("duplicate_key", "")))
    checks += [rows_check(f"{r.name} ({r.column})", _measure("rule_broken", r.name)) for r in dataset.rules]
    checks += [
        rows_check(
            f"{c.name} valid for its admin_code_version",
            f"select code_version, value, rows from {{batch}} where measure = 'value' "
            f"and column_name = {_lit(c.stored_name)} and value is not null "
            "and (coalesce(code_version, ''), value) not in (select code_version, code from quality.valid_codes "
            f"where level = {_lit(c.kind)}) order by code_version, value",
        )
        for c in distributed(dataset)
        if c.kind in CODE_KINDS
    ]
    checks += [
        rows_check(
            f"{c.name} distribution close to the previous delivery's",
            drift_query(dataset, c.stored_name),
            severity=WARNING,
        )
        for c in distributed(dataset)
        if (c.kind == "enum" and c.name != "admin_code_version") or c.kind == "province"
    ]
    return ModelSuite(dataset.name, tuple(checks), schema="quality", query=profile_query(dataset))


def suites(datasets: list[str]) -> list[ModelSuite]:
    return [dataset_suite(DATASETS[name]) for name in datasets]
