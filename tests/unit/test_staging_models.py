"""The staging models are plain SQL written out per dataset (jaffle-shop style), no longer generated from
the feed contract by a macro: each must read its raw table, join its own agency's deliveries and carry
every column the loader stores."""

import re

from crvs import settings
from crvs.feeds.contract import DATASETS, Dataset

STAGING = settings.DBT_PROJECT_DIR / "models" / "staging"


def staging_findings(dataset: Dataset, sql: str) -> list[str]:
    """What a staging model's SQL lacks for `dataset`; empty when it reads as it must."""
    findings = []
    if f"source('raw', '{dataset.name}')" not in sql:
        findings.append(f"does not read source('raw', '{dataset.name}')")
    if re.findall(r"where agency = '(\w+)'", sql) != [dataset.agency]:
        findings.append(f"does not keep only {dataset.agency}'s deliveries (where agency = '{dataset.agency}')")
    for column in dataset.sent_columns:
        expected = (
            f"encode(source.{column.stored_name}, 'hex') as {column.stored_name},"
            if column.kind == "pid"
            else f"source.{column.stored_name},"
        )
        if expected not in sql:
            findings.append(f"lacks {expected.rstrip(',')}")
    for needed in ("source.delivery_id,", "source.source_row,", "deliveries.extracted_at"):
        if needed not in sql:
            findings.append(f"lacks {needed.rstrip(',')}")
    return findings


def staging_sql(dataset: Dataset) -> str:
    agency, rest = dataset.name.split("_", 1)
    return (STAGING / f"stg_{agency}__{rest}.sql").read_text()


def test_each_dataset_has_its_staging_model_with_every_stored_column():
    assert {name: staging_findings(d, staging_sql(d)) for name, d in DATASETS.items()} == {
        name: [] for name in DATASETS
    }


def test_a_staging_model_missing_a_column_or_joining_another_agency_is_found():
    births = DATASETS["moj_births"]
    sql = staging_sql(births)
    assert staging_findings(births, sql.replace("        source.reg_commune_code,\n", "")) == [
        "lacks source.reg_commune_code"
    ]
    assert staging_findings(births, sql.replace("where agency = 'MOJ'", "where agency = 'MOH'")) == [
        "does not keep only MOJ's deliveries (where agency = 'MOJ')"
    ]
    assert staging_findings(births, sql.replace("encode(source.mother_pid, 'hex')", "source.mother_pid")) == [
        "lacks encode(source.mother_pid, 'hex') as mother_pid"
    ]
    assert staging_findings(DATASETS["moh_births"], sql) != []
