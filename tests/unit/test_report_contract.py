"""The report tables' columns are declared once, in the report models' dbt YAML contracts, and read
from there by crvs.model_contracts for crvs.report.tables (and through it the writers and the gate's
structural suites) and for the disclosure audit."""

import pytest

from crvs import model_contracts
from crvs.model_contracts import ContractError, contract_columns
from crvs.report import tables


def test_t2_columns_come_from_its_yaml_contract():
    columns = contract_columns("rpt_t2_births_by_sex")
    assert [(c.name, c.kind, c.data_type) for c in columns] == [
        ("quarter", "key", "text"),
        ("province_code", "key", "text"),
        ("male", "count", "integer"),
        ("female", "count", "integer"),
        ("unknown", "count", "integer"),
        ("total", "count", "integer"),
        ("sex_ratio_at_birth", "rate", "numeric(12, 1)"),
    ]
    assert columns[-1].numerator == ("male", "female") and columns[-1].definition == "boys per 100 girls"
    # T9's quarter selects the rows and is not a column of the table
    assert tables.T9.column_names[0] == "agency" and "quarter" not in tables.T9.column_names


def _model(tmp_path, monkeypatch, columns: str, contract: bool = True):
    folder = tmp_path / "reports"
    folder.mkdir(parents=True)
    config = "    config:\n      contract:\n        enforced: true\n" if contract else ""
    (folder / "rpt_x.yml").write_text(f"version: 2\n\nmodels:\n  - name: rpt_x\n{config}    columns:\n{columns}")
    monkeypatch.setattr(model_contracts, "MODELS_DIR", tmp_path)
    model_contracts._model_yaml.cache_clear()


GOOD = (
    "      - name: n\n        data_type: integer\n"
    "        config:\n          meta: {kind: count, definition: events}\n"
    "      - name: pct\n        data_type: numeric\n"
    "        config:\n          meta: {kind: rate, definition: share, numerator: [n], inputs: [n]}\n"
)


def test_a_well_declared_model_reads_and_each_fault_names_its_file_and_column(tmp_path, monkeypatch):
    _model(tmp_path, monkeypatch, GOOD)
    assert [(c.name, c.kind, c.numerator) for c in contract_columns("rpt_x")] == [
        ("n", "count", ()),
        ("pct", "rate", ("n",)),
    ]
    faults = {
        "kind: count": ("kind: counted", "column n: config.meta.kind is 'counted'"),
        "inputs: [n]": ("inputs: [m]", "column pct: numerator or inputs name no column of rpt_x: ['m']"),
        "        data_type: integer\n": ("", "column n: needs a data_type"),
    }
    for good, (bad, message) in faults.items():
        _model(tmp_path / good.strip()[:5].replace(":", ""), monkeypatch, GOOD.replace(good, bad))
        with pytest.raises(ContractError, match="rpt_x.yml: " + message.replace("[", r"\[").replace("]", r"\]")):
            contract_columns("rpt_x")
    _model(tmp_path / "nocontract", monkeypatch, GOOD, contract=False)
    with pytest.raises(ContractError, match="rpt_x has no enforced contract"):
        contract_columns("rpt_x")
    model_contracts._model_yaml.cache_clear()
