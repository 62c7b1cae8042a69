"""The suites run over one delivery after its load: `suites(datasets)`, one per dataset delivered.

They are generated from the feed contract (crvs/feeds/contract.py), so a column added to the
contract is checked without a change here. The loader already refuses or quarantines rows that
break these rules; this is the independent second check, over what actually landed in raw.*:

- contract: required columns never null; enumerations in their code lists; pseudonyms in the
  HMAC-SHA256 format (64 lower-case hex digits), never a raw citizen number;
- uniqueness: the dataset's key ((record_id, record_version) for MOJ) once in the delivery;
- date order: the contract's row rules (event ≤ registration ≤ extraction, death ≥ birth, ...);
- geography: each province or commune code exists in the list of the row's admin_code_version.

Every check here is BLOCKING: a delivery that fails one blocks each quarter it feeds.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from crvs.feeds.contract import DATASETS, Dataset
from crvs.quality.suites import ModelSuite, blocking, rows_check

PSEUDONYM = r"^[0-9a-f]{64}$"
CODE_LEVELS = ("province", "commune")


def delivery_rows_query(dataset: Dataset):
    """The delivery's rows of the dataset, with the local extraction date the row rules compare
    against (the date written in the manifest's extracted_at, as the loader used it). Pseudonyms,
    stored as their 32 bytes, are read as the 64 hex digits the rest of the warehouse uses."""
    columns = ", ".join(
        ["r.delivery_id", "r.source_row"]
        + [
            f"encode(r.{c.stored_name}, 'hex') as {c.stored_name}" if c.kind == "pid" else f"r.{c.stored_name}"
            for c in dataset.columns
            if c.stored_name
        ]
    )

    def query(delivery_id: str) -> str:
        quoted = delivery_id.replace("'", "''")
        return (
            f"select {columns}, left(d.manifest ->> 'extracted_at', 10)::date as extracted_on "
            f"from raw.{dataset.name} r join raw.deliveries d on d.delivery_id = r.delivery_id "
            f"and d.agency = '{dataset.agency}' "
            f"where r.delivery_id = '{quoted}'"
        )

    return query


def dataset_suite(dataset: Dataset) -> ModelSuite:
    stored = [c for c in dataset.columns if c.stored_name]
    checks = []
    checks += [
        blocking(gxe.ExpectColumnValuesToNotBeNull, f"{c.name} is never null", column=c.stored_name)
        for c in stored
        if c.required
    ]
    checks += [
        blocking(
            gxe.ExpectColumnValuesToBeInSet,
            f"{c.name} is in its code list",
            column=c.stored_name,
            value_set=list(c.values),
        )
        for c in stored
        if c.kind == "enum"
    ]
    checks += [
        blocking(
            gxe.ExpectColumnValuesToMatchRegex,
            f"{c.stored_name} is an HMAC-SHA256 pseudonym",
            column=c.stored_name,
            regex=PSEUDONYM,
        )
        for c in stored
        if c.kind == "pid"
    ]
    key = list(dataset.key)
    if len(key) == 1:
        checks.append(blocking(gxe.ExpectColumnValuesToBeUnique, f"{key[0]} unique in the delivery", column=key[0]))
    else:
        checks.append(
            blocking(gxe.ExpectCompoundColumnsToBeUnique, f"({', '.join(key)}) unique in the delivery", column_list=key)
        )
    for rule in dataset.rules:
        checks.append(
            rows_check(
                f"{rule.name} ({rule.column})",
                f"select source_row, {rule.column} from {{batch}} "
                f"where not coalesce({rule.sql}, true) order by source_row",
            )
        )
    for c in stored:
        if c.kind in CODE_LEVELS:
            checks.append(
                rows_check(
                    f"{c.name} valid for its admin_code_version",
                    # No JOIN in this query, so GX names the batch `subselect` itself (the code list's
                    # columns, level/code_version/code, never clash with a raw table's).
                    f"select source_row, admin_code_version, {c.stored_name} from {{batch}} "
                    f"where {c.stored_name} is not null and not exists (select 1 from quality.valid_codes v "
                    f"where v.level = '{c.kind}' and v.code_version = admin_code_version and v.code = {c.stored_name}) "
                    "order by source_row",
                )
            )
    return ModelSuite(dataset.name, tuple(checks), schema="raw", query=delivery_rows_query(dataset))


def suites(datasets: list[str]) -> list[ModelSuite]:
    return [dataset_suite(DATASETS[name]) for name in datasets]
