"""When the loader's fast path may be used (crvs.feeds.fastpath): which files and which datasets.
(That it loads exactly as the general way is tests/integration/test_loader_fast_path.py.)"""

from __future__ import annotations

import dataclasses

import pytest

from crvs.feeds import fastpath, loader
from crvs.feeds.contract import DATASETS, FORMATS, RowRule
from crvs.feeds.pseudonym import Pseudonymiser

BLOCKS = Pseudonymiser(b"k" * 32).key_blocks()


@pytest.mark.parametrize(
    "body, plain",
    [
        (b"a,b\nc,d\n", True),
        (b"a,b\r\nc,d\r\n", True),  # Windows line ends
        (b"a,b\r\nc,d\r", True),  # a last line ended by CR alone
        (b'a,"b"\n', False),  # a quote: the csv module's job
        (b"a,b\rc,d\n", False),  # a CR inside a line: a line break for the general way
        (b"a,b\r\r\nc,d\n", False),
    ],
)
def test_a_file_is_plain_only_without_quotes_or_carriage_returns_inside_lines(tmp_path, monkeypatch, body, plain):
    path = tmp_path / "f.csv"
    path.write_bytes(b'h1,"h2"\r\n' + body)  # the header may be quoted: it is read apart
    with open(path, "rb") as stream:
        assert fastpath.plain_file(stream) is plain
    monkeypatch.setattr(fastpath, "SCAN_BLOCK", 4)  # the same across block boundaries
    with open(path, "rb") as stream:
        assert fastpath.plain_file(stream) is plain


def test_decimal_numbers_and_rules_that_are_not_date_orders_take_the_general_way():
    header = list(DATASETS["moh_births"].column_names)
    codes = loader._valid_codes()
    assert fastpath.engine(DATASETS["moh_births"], header, codes, BLOCKS, "D", "2025-10-05") is not None
    assert (
        fastpath.engine(
            DATASETS["gso_vital_rates"],
            list(DATASETS["gso_vital_rates"].column_names),
            codes,
            BLOCKS,
            "D",
            "2025-10-05",
        )
        is None
    )
    weights = dataclasses.replace(
        DATASETS["moh_births"],
        rules=(
            RowRule("weight_order", "birth_weight_g", "birth_weight_g", "<", "gestation_weeks", "compared as numbers"),
        ),
    )
    assert fastpath.engine(weights, header, codes, BLOCKS, "D", "2025-10-05") is None


DEATH = dict(
    notification_id="M-1",
    facility_code="F1",
    facility_province_code="01",
    admin_code_version="2025",
    death_date="2025-08-01",
    deceased_id="001190012345",
    sex="F",
    birth_date="1950-03-01",
    underlying_cause_icd10="I21.9",
    certified="1",
)


def test_the_engine_pseudonymises_as_python_does():
    dataset = DATASETS["moh_deaths"]
    header = list(dataset.column_names)
    engine = fastpath.engine(dataset, header, loader._valid_codes(), BLOCKS, "D", "2025-10-05")
    row = DEATH
    fast, slow, rows, lines = engine.feed(",".join(row[h] for h in header).encode() + b"\n", 0, 1)
    assert (slow, rows, lines) == ([], 1, 2)
    assert bytes.fromhex(Pseudonymiser(b"k" * 32)("001190012345")) in fast
    assert b"001190012345" not in fast


def with_code_lists(dataset, versions):
    return dataclasses.replace(
        dataset,
        columns=tuple(
            dataclasses.replace(c, values=versions) if c.name == "admin_code_version" else c for c in dataset.columns
        ),
    )


def test_a_contract_that_outgrows_the_engine_makes_it_step_aside_saying_why(monkeypatch):
    dataset = DATASETS["moh_births"]
    header = list(dataset.column_names)
    codes = loader._valid_codes()
    third = with_code_lists(dataset, ("PRE2025", "2025", "2030"))
    with pytest.raises(fastpath.StepAside, match=r"^the contract names 3 code lists \(PRE2025, 2025, 2030\)"):
        fastpath.engine(third, header, codes, BLOCKS, "D", "2025-10-05")
    longer = codes + (("province", "2025", "101", None),)
    with pytest.raises(fastpath.StepAside, match=r"^the 2025 list has province code '101', the engine reads 2 digits"):
        fastpath.engine(dataset, header, longer, BLOCKS, "D", "2025-10-05")
    # a longer code in a list the dataset has no column of, or in a list the contract does not
    # name, is none of the engine's business
    assert fastpath.engine(dataset, header, codes + (("commune", "2025", "100001", "01"),), BLOCKS, "D", "2025-10-05")
    assert fastpath.engine(dataset, header, codes + (("province", "2030", "101", None),), BLOCKS, "D", "2025-10-05")
    many = dataclasses.replace(
        dataset,
        columns=tuple(
            dataclasses.replace(c, values=tuple(f"S{i}" for i in range(33))) if c.name == "sex" else c
            for c in dataset.columns
        ),
    )
    with pytest.raises(fastpath.StepAside, match=r"^sex has 33 values, the engine holds at most 32"):
        fastpath.engine(many, header, codes, BLOCKS, "D", "2025-10-05")
    # a shape the Python side does not know of yet: the engine's own refusal, as the reason
    monkeypatch.setattr(fastpath, "MAX_VALUES", 64)
    with pytest.raises(fastpath.StepAside, match=r"^the engine refused its description: values must be a tuple"):
        fastpath.engine(many, header, codes, BLOCKS, "D", "2025-10-05")


def test_the_engine_reads_the_contract_s_value_formats():
    # 13-digit citizen numbers and dates of 1900-2100, as a later contract might declare them
    formats = dataclasses.replace(FORMATS, citizen_number_digits=13, date_years=(1900, 2100))
    dataset = dataclasses.replace(DATASETS["moh_deaths"], formats=formats)
    header = list(dataset.column_names)
    engine = fastpath.engine(dataset, header, loader._valid_codes(), BLOCKS, "D", "2025-10-05")
    row = {**DEATH, "deceased_id": "0011900123456"}

    def line(**changes):
        return ",".join({**row, **changes}[h] for h in header).encode() + b"\n"

    fast, slow, rows, lines = engine.feed(
        line() + line(deceased_id="001190012345") + line(birth_date="1899-12-31"), 0, 1
    )
    assert [s[0] for s in slow] == [2, 3] and rows == 3
    assert bytes.fromhex(Pseudonymiser(b"k" * 32, formats)("0011900123456")) in fast


def test_a_contract_icd10_format_the_engine_does_not_read_makes_it_step_aside():
    dataset = DATASETS["moh_deaths"]
    assert fastpath.ENGINE_ICD10 == FORMATS.icd10  # the engine implements schema 1.0's
    other = dataclasses.replace(dataset, formats=dataclasses.replace(FORMATS, icd10=r"[A-Z]\d{2}(\.\d{1,2})?"))
    with pytest.raises(fastpath.StepAside, match=r"^the contract's ICD-10 code is \[A-Z\]"):
        fastpath.engine(other, list(dataset.column_names), loader._valid_codes(), BLOCKS, "D", "2025-10-05")
    # a dataset without ICD-10 codes is none of its business
    births = dataclasses.replace(DATASETS["moh_births"], formats=other.formats)
    assert fastpath.engine(births, list(births.column_names), loader._valid_codes(), BLOCKS, "D", "2025-10-05")
