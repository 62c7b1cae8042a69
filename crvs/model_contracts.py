"""The report models' dbt YAML contracts, read: the one declaration of each report table's columns.

Each report model's YAML (dbt_project/models/reports/[by_quarter/]<model>.yml) declares its columns — name,
data_type, order exactly as report.md lists them — with each column's kind and the workbook's
definition in `config.meta` (what the kinds mean: crvs/report/tables.py). `contract_columns` reads
them for the report's tables (crvs.report.tables) and, names and data types only, for the disclosure
audit (crvs.audit.intruder), which reads nothing else of the report's code. This module imports
neither, so both can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from crvs import settings

KEY, COUNT, ESTIMATE, RATE, TALLY, TEXT = "key", "count", "estimate", "rate", "tally", "text"
KINDS = (KEY, COUNT, ESTIMATE, RATE, TALLY, TEXT)
MODELS_DIR = settings.DBT_PROJECT_DIR / "models"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    definition: str
    numerator: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    data_type: str = ""


class ContractError(ValueError):
    """A report model's YAML does not declare its columns as the report needs them."""


@cache
def _model_yaml(model: str) -> tuple[str, dict]:
    paths = sorted(MODELS_DIR.rglob(f"{model}.yml"))
    if len(paths) != 1:
        raise ContractError(f"{model}: expected one {model}.yml beside its SQL under {MODELS_DIR}, found {len(paths)}")
    document = yaml.safe_load(paths[0].read_text(encoding="utf-8")) or {}
    entry = next((m for m in document.get("models") or () if m.get("name") == model), None)
    if entry is None:
        raise ContractError(f"{paths[0]}: declares no model {model}")
    return str(paths[0]), entry


def contract_columns(model: str) -> tuple[Column, ...]:
    """The columns of report model `model` as its dbt YAML contract declares them, in order: name,
    data_type, and from each column's config.meta its kind, definition, numerator and inputs."""
    path, entry = _model_yaml(model)
    if not ((entry.get("config") or {}).get("contract") or {}).get("enforced"):
        raise ContractError(f"{path}: {model} has no enforced contract (config.contract.enforced: true)")
    columns = []
    for column in entry.get("columns") or ():
        name = column["name"]
        meta = (column.get("config") or {}).get("meta") or {}
        if meta.get("published") is False:  # a column to select by (T9's quarter), not in the table
            continue
        if meta.get("kind") not in KINDS:
            raise ContractError(
                f"{path}: column {name}: config.meta.kind is {meta.get('kind')!r}, expected one of {', '.join(KINDS)}"
            )
        if not meta.get("definition") or not column.get("data_type"):
            raise ContractError(f"{path}: column {name}: needs a data_type and a config.meta.definition")
        columns.append(
            Column(
                name,
                meta["kind"],
                meta["definition"],
                numerator=tuple(meta.get("numerator") or ()),
                inputs=tuple(meta.get("inputs") or ()),
                data_type=column["data_type"],
            )
        )
    names = [c.name for c in columns]
    for c in columns:
        unknown = [n for n in (*c.numerator, *c.inputs) if n not in names]
        if unknown:
            raise ContractError(f"{path}: column {c.name}: numerator or inputs name no column of {model}: {unknown}")
    if not columns:
        raise ContractError(f"{path}: {model} declares no columns")
    return tuple(columns)
