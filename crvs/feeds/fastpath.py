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


@functools.lru_cache(maxsize=2)
def code_tables(valid_codes: tuple) -> tuple[bytes, bytes]:
    """The official lists as the engine reads them: per code version, 100 province flags and
    100,000 commune entries (the commune's province + 1, 0 when not listed)."""
    provinces = bytearray(len(CODE_VERSIONS) * 100)
    communes = bytearray(len(CODE_VERSIONS) * 100_000)
    for level, version, code, province in valid_codes:
        v = CODE_VERSIONS.index(version)
        if level == "province" and len(code) == 2 and code.isdigit():
            provinces[v * 100 + int(code)] = 1
        elif level == "commune" and len(code) == 5 and code.isdigit() and province and province.isdigit():
            communes[v * 100_000 + int(code)] = int(province) + 1
    return bytes(provinces), bytes(communes)


def engine(
    dataset: Dataset, header: list[str], valid_codes, blocks: tuple[bytes, bytes], delivery_id: str, extracted_on: str
):
    """An engine for one file: `header` in the file's order, `valid_codes` the rows (level,
    code_version, code, province_code) of the official lists, `blocks` the HMAC key's inner and
    outer blocks, `extracted_on` YYYY-MM-DD. None when the dataset has a rule it cannot read."""
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
    provinces, communes = code_tables(valid_codes)
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
        tuple(v.encode() for v in CODE_VERSIONS),
        provinces,
        communes,
        rules,
        blocks[0],
        blocks[1],
        prefix,
        extracted_on.encode(),
    )


# COPY's binary format: the signature, flags and header extension before the tuples, -1 after.
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
BINARY_TRAILER = b"\xff\xff"


def raw_columns(dataset: Dataset) -> list[str]:
    """raw.<dataset>'s columns in the order of the engine's tuples."""
    return [name for name, _ in RAW_META_COLUMNS] + [c.stored_name for c in dataset.sent_columns]
