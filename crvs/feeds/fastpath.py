"""The loader's fast path: the rows that certainly keep the contract go straight into raw.*.

A bare COPY writes a file once. The general way (crvs.feeds.loader + crvs.feeds.validation) writes
it twice (a temporary table, then raw.*) and checks it with SQL a row at a time, which caps it far
below a COPY's speed. Here a small C engine (crvs/feeds/_fastload.c) reads the file's bytes, checks
each row against every rule of the contract (formats, code lists of the row's admin_code_version,
the commune's province, the row rules), pseudonymises its identifiers (HMAC-SHA256, the same key
and result as crvs.feeds.pseudonym) and drops its names, and hands COPY the rows for raw.<dataset> in its binary format (so the server parses no text).

Every row it cannot prove good (any broken rule, but also a leading zero in an integer, spaces
around an identifier, another number of fields, bytes that are not UTF-8...) is handed back and
takes the general way, where SQL finds the first rule it breaks and writes the same quarantine
entry as ever. Duplicate keys: the engine remembers a hash of each fast row's key; when one repeats
(or some rows went the general way) one SQL statement looks for duplicates over the whole file,
fast rows included, and moves the later ones from raw.* to quarantine. So a delivery ends exactly as
the general way alone would leave it; tests/integration/test_loader_fast_path.py loads the same
files both ways and compares every table.

The fast path is used for a file when the engine is built (`make setup` compiles it; without a C
compiler or OpenSSL's headers the install goes on without it) and the file holds no double quote
and no carriage return inside a line (then every record is one line split on commas). Set
CRVS_LOADER_FAST_PATH=0 to load everything the general way.

The contract's value formats (crvs.feeds.contract.Formats, each declared once) are passed in the
engine's description: the citizen number's digits, the years of a date, a registration number's
longest length and inner characters. The ICD-10 code is a pattern, which C does not read: the
engine implements ENGINE_ICD10, and a contract that declares another makes it step aside.

The engine's description has fixed shapes: two code lists, 2-digit province and 5-digit commune
codes, at most 64 columns, 32 values per code list column and 16 row rules. When the contract (or
the official lists it names) outgrows them, `engine` raises StepAside with the reason and the
loader sends that file the general way, which reads any contract (`outgrown`).
"""

from __future__ import annotations

import functools
from typing import BinaryIO

from crvs import settings
from crvs.feeds.contract import CODE_VERSIONS, RAW_META_COLUMNS, Dataset

try:
    from crvs.feeds import _fastload
except ImportError:  # not built: every file takes the general way
    _fastload = None

SCAN_BLOCK = 1 << 20
KINDS = {
    "name": 0,
    "text": 1,
    "int": 2,
    "date": 3,
    "bool": 4,
    "numeric": 5,
    "enum": 6,
    "pid": 7,
    "icd10": 8,
    "province": 9,
    "commune": 10,
    "regno": 11,
}
RULE_OPS = {"<": 1, "<=": 2, ">=": 3, "empty_when": 4}
NO_LIMIT = 1 << 62
# The shapes _fastload.c is compiled for (MAX_COLUMNS, MAX_VALUES, N_VERSIONS, Engine.rules, and the
# province and commune checks of row_is_good).
MAX_COLUMNS = 64
MAX_VALUES = 32
MAX_RULES = 16
CODE_LISTS = 2
CODE_DIGITS = {"province": 2, "commune": 5}
# The ICD-10 shape _fastload.c's icd10_code implements: the contract's Formats.icd10 of schema 1.0.
ENGINE_ICD10 = r"[A-Z]\d{2}(\.\d)?"


class StepAside(Exception):
    """The contract has outgrown the engine for this file; the message says how. The general way
    takes the file."""


def built() -> bool:
    """True when the C engine was compiled at install."""
    return _fastload is not None


def enabled() -> bool:
    return built() and settings.loader_fast_path()


def plain_file(stream: BinaryIO) -> bool:
    """True when the file's rows (after its header line) hold no double quote and no carriage
    return inside a line: then each record is one line, split on commas. `stream`: the file, opened
    at its start in binary mode (the loader opens it; crvs.feeds.loader.open_delivery_file)."""
    stream.readline()
    carry = b""
    while block := stream.read(SCAN_BLOCK):
        block = carry + block
        ends = block.rstrip(b"\r")
        carry = block[len(ends) :]  # carriage returns at the block's end: judged with the next byte
        if len(carry) > 1 or not _fastload.plain_block(ends):
            return False
    return len(carry) <= 1


def code_versions(dataset: Dataset) -> tuple[str, ...]:
    """The code lists the contract names for `dataset`: its admin_code_version column's values."""
    column = next((c for c in dataset.columns if c.name == "admin_code_version"), None)
    return column.values if column is not None else CODE_VERSIONS


def _code_shape(level: str, code: str | None) -> bool:
    return code is not None and len(code) == CODE_DIGITS[level] and code.isdigit()


@functools.lru_cache(maxsize=8)
def _code_list_problem(versions: tuple[str, ...], levels: frozenset, valid_codes: tuple) -> str | None:
    for level, version, code, province in valid_codes:
        if level not in levels or version not in versions:
            continue  # a list the file cannot name, or a level it has no column of
        if not _code_shape(level, code):
            return f"the {version} list has {level} code {code!r}, the engine reads {CODE_DIGITS[level]} digits"
        if level == "commune" and province and not _code_shape("province", province):
            return (
                f"the {version} list puts commune {code} in province {province!r}, the engine reads"
                f" {CODE_DIGITS['province']} digits"
            )
    return None


def outgrown(dataset: Dataset, header: list[str], valid_codes) -> str | None:
    """How the contract (for this file: its `header`, the official lists `valid_codes`) outgrows
    the engine's description; None when the engine can take the file."""
    versions = code_versions(dataset)
    if len(versions) != CODE_LISTS:
        return f"the contract names {len(versions)} code lists ({', '.join(versions)}), the engine holds {CODE_LISTS}"
    if len(header) > MAX_COLUMNS:
        return f"the file has {len(header)} columns, the engine reads at most {MAX_COLUMNS}"
    wide = next((c for c in dataset.columns if len(c.values) > MAX_VALUES), None)
    if wide is not None:
        return f"{wide.name} has {len(wide.values)} values, the engine holds at most {MAX_VALUES}"
    if len(dataset.rules) > MAX_RULES:
        return f"the dataset has {len(dataset.rules)} row rules, the engine holds at most {MAX_RULES}"
    icd10 = dataset.formats.icd10
    if icd10 != ENGINE_ICD10 and any(c.kind == "icd10" for c in dataset.columns):
        return f"the contract's ICD-10 code is {icd10}, the engine reads {ENGINE_ICD10}"
    levels = {c.kind for c in dataset.columns if c.kind in CODE_DIGITS}
    if "commune" in levels:
        levels.add("province")  # a commune's province is read from the province list's shape
    return _code_list_problem(tuple(versions), frozenset(levels), tuple(valid_codes))


@functools.lru_cache(maxsize=2)
def code_tables(valid_codes: tuple, versions: tuple[str, ...] = CODE_VERSIONS) -> tuple[bytes, bytes]:
    """The official lists as the engine reads them: per code version, 100 province flags and
    100,000 commune entries (the commune's province + 1, 0 when not listed)."""
    provinces = bytearray(len(versions) * 100)
    communes = bytearray(len(versions) * 100_000)
    for level, version, code, province in valid_codes:
        if version not in versions:
            continue
        v = versions.index(version)
        if level == "province" and _code_shape(level, code):
            provinces[v * 100 + int(code)] = 1
        elif level == "commune" and _code_shape(level, code) and _code_shape("province", province):
            communes[v * 100_000 + int(code)] = int(province) + 1
    return bytes(provinces), bytes(communes)


def engine(
    dataset: Dataset, header: list[str], valid_codes, blocks: tuple[bytes, bytes], delivery_id: str, extracted_on: str
):
    """An engine for one file: `header` in the file's order, `valid_codes` the rows (level,
    code_version, code, province_code) of the official lists, `blocks` the HMAC key's inner and
    outer blocks, `extracted_on` YYYY-MM-DD. None when the dataset has a rule it cannot read;
    StepAside when the contract has outgrown the engine's description (`outgrown`)."""
    if any(c.kind == "numeric" for c in dataset.columns):
        return None  # numbers in COPY's binary format are not written here (GSO's rates: 63 rows a year)

    def date_side(name: str) -> bool:
        return name == "extracted_on" or dataset.column(name).kind == "date"

    # The engine compares dates as text (YYYY-MM-DD); a rule of another shape goes the general way.
    if any(
        rule.op not in RULE_OPS or (rule.op != "empty_when" and not (date_side(rule.left) and date_side(rule.right)))
        for rule in dataset.rules
    ):
        return None
    problem = outgrown(dataset, header, valid_codes)
    if problem:
        raise StepAside(problem)
    versions = tuple(code_versions(dataset))
    position = {name: i for i, name in enumerate(header)}
    columns = [dataset.column(name) for name in header]
    kinds = bytes(KINDS[c.kind] for c in columns)
    required = bytes(int(c.required) for c in columns)
    minimum = tuple(c.minimum if c.minimum is not None else -NO_LIMIT for c in columns)
    maximum = tuple(c.maximum if c.maximum is not None else NO_LIMIT for c in columns)
    values = tuple(tuple(v.encode() for v in c.values) for c in columns)
    out = tuple(position[c.name] for c in dataset.sent_columns if c.kind != "pid")
    pid = tuple(position[c.name] for c in dataset.sent_columns if c.kind == "pid")
    key = tuple(position[name] for name in dataset.key)
    version_column = position.get("admin_code_version", -1)
    parent = dataset.commune_province
    provinces, communes = code_tables(tuple(valid_codes), versions)
    rules = tuple(
        (
            RULE_OPS[r.op],
            position[r.left],
            position[r.right] if r.right != "extracted_on" else -1,
            (r.value or "").encode(),
        )
        for r in dataset.rules
    )
    prefix = delivery_id.encode()
    formats = dataset.formats
    try:
        return _fastload.Engine(
            kinds,
            required,
            minimum,
            maximum,
            values,
            out,
            pid,
            key,
            version_column,
            position[parent.name] if parent else -1,
            tuple(v.encode() for v in versions),
            provinces,
            communes,
            rules,
            blocks[0],
            blocks[1],
            prefix,
            extracted_on.encode(),
            formats.citizen_number_digits,
            *formats.date_years,
            formats.registration_number_max_length,
            formats.registration_number_inner.encode(),
        )
    except ValueError as err:  # a shape `outgrown` does not know yet: still the general way's file
        raise StepAside(f"the engine refused its description: {err}") from None


# COPY's binary format: the signature, flags and header extension before the tuples, -1 after.
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
BINARY_TRAILER = b"\xff\xff"


def raw_columns(dataset: Dataset) -> list[str]:
    """raw.<dataset>'s columns in the order of the engine's tuples."""
    return [name for name, _ in RAW_META_COLUMNS] + [c.stored_name for c in dataset.sent_columns]
