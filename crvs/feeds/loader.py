"""Load one agency delivery into the warehouse: all of it, or nothing but the reason.

For a delivery folder (manifest.json + the CSV files it names; FILE and EMAIL channels):
1. The manifest is checked (fields, agency, datasets, schema version) and each file's sha256 is
   compared with the manifest before the database is touched.
2. In ONE transaction, per file: the rows are read in this process (never a whole file in
   memory), names are dropped and identifiers replaced by their HMAC-SHA256 pseudonym
   (crvs.feeds.pseudonym) BEFORE anything is sent: the database server never receives an
   identifier or a name. The rows are streamed into COPY, into a temporary table of text columns
   dropped at the end of the file; a row with the wrong number of fields is sent as its number and
   field count only. Then ONE SQL statement (crvs.feeds.validation.load_statement) checks every
   contract rule and writes each row either to raw.<dataset> or to quarantine.rows with the file,
   row, column, rule and a message. A row count that disagrees with the manifest rolls everything
   back and rejects the delivery.
   That is the general way. A plain file (no quotes) takes the fast path first
   (crvs.feeds.fastpath, _load_file_fast): a C engine proves rows good and COPYs them straight
   into raw.<dataset>; the rows it hands back take the general way; the outcome is the same.
3. A delivery is identified by (agency, delivery_id): the contract makes delivery_id unique per
   agency only. One already loaded, arriving again with the same manifest and files, changes
   nothing ("already loaded"); arriving with different ones it is not the same delivery and is
   rejected (resend_differences: each file's loaded and received sha256, the way forward). A
   rejected one is recorded in quarantine.rejected_deliveries and may be sent again, corrected,
   under the same id.
"""

from __future__ import annotations

import csv
import errno
import functools
import hashlib
import io
import itertools
import json
import logging
import operator
import os
import stat
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator

import psycopg
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Jsonb

from crvs import database, reference, settings
from crvs.feeds import fastpath, validation
from crvs.feeds.contract import AGENCIES, CHANNELS, DATASETS, SCHEMA_VERSIONS, Dataset
from crvs.feeds.pseudonym import INVALID_ID, Pseudonymiser
from crvs.feeds.tables import ensure_tables

log = logging.getLogger(__name__)

LOADED, ALREADY_LOADED, REJECTED = "LOADED", "ALREADY_LOADED", "REJECTED"
MANIFEST = "manifest.json"


class DeliveryRejected(Exception):
    """The delivery cannot be loaded at all; the message is the recorded reason."""


@dataclass
class IngestResult:
    source: str
    outcome: str
    delivery_id: str | None = None
    agency: str | None = None
    reason: str | None = None
    rows_received: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    datasets: list[str] = field(default_factory=list)

    def line(self) -> str:
        name = self.delivery_id or self.source
        if self.outcome == LOADED:
            return (
                f"loaded          {name}: {self.rows_loaded:,} rows loaded, "
                f"{self.rows_quarantined:,} quarantined ({', '.join(self.datasets)})"
            )
        if self.outcome == ALREADY_LOADED:
            return f"already loaded  {name}" + (f": {self.reason}" if self.reason else "")
        return f"rejected        {name}: {self.reason}"

    def as_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class FileEntry:
    name: str
    dataset: Dataset
    rows: int
    sha256: str | None


@dataclass(frozen=True)
class Manifest:
    delivery_id: str
    agency: str
    channel: str
    schema_version: str
    extracted_at: datetime
    period_start: date
    period_end: date
    files: tuple[FileEntry, ...]
    raw: dict


# A delivery_id is a key (raw.deliveries, every raw row) and names folders: the contract sets no
# length, the warehouse keeps it well inside what an index entry may hold.
MAX_DELIVERY_ID_BYTES = 1024
MAX_FILE_NAME_BYTES = 255  # what a file system takes as one name
# A manifest's extracted_at may be this far ahead of the warehouse's clock (clocks drift), no more.
CLOCK_TOLERANCE = timedelta(minutes=10)
INVALID_ID_MESSAGE = (
    "delivery_id is not a valid identifier (no control characters, '/' or '\\', not starting "
    f"with '.', at most {MAX_DELIVERY_ID_BYTES} bytes)"
)


def _control_free(text: str) -> bool:
    return not any(unicodedata.category(ch) == "Cc" for ch in text)


def valid_delivery_id(value) -> bool:
    """A delivery_id the warehouse can key and name folders by (whatever channel it came from)."""
    return (
        isinstance(value, str)
        and value.strip() == value
        and value != ""
        and _control_free(value)
        and "/" not in value
        and "\\" not in value
        and not value.startswith(".")
        and len(value.encode("utf-8")) <= MAX_DELIVERY_ID_BYTES
    )


def file_name_problem(value) -> str | None:
    """Why `value` cannot name a file of a delivery (a plain name in its folder), or None. Never
    quotes the name: it may be anything."""
    if not isinstance(value, str) or value in ("", ".", ".."):
        return "is empty or not a file name"
    if not _control_free(value):
        return "holds a control character"
    if Path(value).name != value or "\\" in value:
        return "names a folder"
    if len(value.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        return f"is longer than {MAX_FILE_NAME_BYTES} bytes ({len(value.encode('utf-8')):,})"
    return None


def _valid_file_name(value) -> bool:
    return file_name_problem(value) is None


def parse_manifest(
    raw: dict, *, where: str = MANIFEST, need_sha256: bool = True, now: datetime | None = None
) -> Manifest:
    """Check a manifest against the contract; DeliveryRejected names the field that is wrong.

    Messages repeat no value of the manifest but what the check proved harmless (a delivery_id and
    file names that passed their checks, dates): a manifest is a file like the others."""

    def need(key: str):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DeliveryRejected(f"{where}: field '{key}' is missing")
        return value

    delivery_id = need("delivery_id")
    if not isinstance(delivery_id, str):
        raise DeliveryRejected(f"{where}: delivery_id must be a string")
    delivery_id = delivery_id.strip()
    if not valid_delivery_id(delivery_id):
        raise DeliveryRejected(f"{where}: {INVALID_ID_MESSAGE}")
    agency = need("agency")
    if agency not in AGENCIES:
        raise DeliveryRejected(f"{where}: agency is not one of {', '.join(AGENCIES)}")
    channel = need("channel")
    if channel not in CHANNELS:
        raise DeliveryRejected(f"{where}: channel is not one of {', '.join(CHANNELS)}")
    version = need("schema_version")
    if not isinstance(version, str):
        raise DeliveryRejected(f'{where}: schema_version must be a string such as "{SCHEMA_VERSIONS[-1]}"')
    if version not in SCHEMA_VERSIONS:
        raise DeliveryRejected(f"{where}: schema_version is not supported (supported: {', '.join(SCHEMA_VERSIONS)})")
    try:
        extracted_at = datetime.fromisoformat(need("extracted_at"))
    except (TypeError, ValueError):
        raise DeliveryRejected(f"{where}: extracted_at is not an ISO 8601 timestamp") from None
    if extracted_at.tzinfo is None:
        raise DeliveryRejected(f"{where}: extracted_at has no UTC offset")
    if extracted_at > (now or datetime.now(timezone.utc)) + CLOCK_TOLERANCE:
        raise DeliveryRejected(f"{where}: extracted_at {extracted_at.isoformat()} is in the future")
    try:
        period_start = date.fromisoformat(need("period_start"))
        period_end = date.fromisoformat(need("period_end"))
    except (TypeError, ValueError):
        raise DeliveryRejected(f"{where}: period_start/period_end must be dates (YYYY-MM-DD)") from None
    if period_end < period_start:
        raise DeliveryRejected(f"{where}: period_end {period_end} is before period_start {period_start}")
    files = need("files")
    if not isinstance(files, list) or not files:
        raise DeliveryRejected(f"{where}: 'files' must be a non-empty list")
    entries, seen = [], set()
    for i, f in enumerate(files, 1):
        if not isinstance(f, dict):
            raise DeliveryRejected(f"{where}: files[{i}] is not an object")
        name, dataset_name = f.get("name"), f.get("dataset")
        if not _valid_file_name(name) or name == MANIFEST:
            raise DeliveryRejected(f"{where}: files[{i}] has no valid 'name' (a file name without folders)")
        dataset = DATASETS.get(dataset_name) if isinstance(dataset_name, str) else None
        if dataset is None:
            raise DeliveryRejected(f"{where}: {name}: dataset is not in the contract")
        if dataset.agency != agency:
            raise DeliveryRejected(f"{where}: {name}: dataset {dataset_name} is not delivered by {agency}")
        if dataset_name in seen:
            raise DeliveryRejected(f"{where}: dataset {dataset_name} appears twice")
        seen.add(dataset_name)
        rows = f.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise DeliveryRejected(f"{where}: {name}: 'rows' must be a whole number ≥ 0")
        sha = f.get("sha256")
        if need_sha256 and not (isinstance(sha, str) and len(sha) == 64):
            raise DeliveryRejected(f"{where}: {name}: 'sha256' must be the 64-hex digest of the file")
        entries.append(FileEntry(name, dataset, rows, sha.lower() if isinstance(sha, str) else None))
    return Manifest(delivery_id, agency, channel, version, extracted_at, period_start, period_end, tuple(entries), raw)


def read_manifest(folder: Path) -> Manifest:
    return parse_manifest(read_manifest_json(folder))


MAX_MANIFEST_BYTES = 1 << 20  # a manifest names a few files; anything bigger is not one


def read_manifest_json(folder: Path) -> dict:
    path = folder / MANIFEST
    if not folder.exists():
        raise DeliveryRejected(f"{folder}: does not exist")
    if not folder.is_dir():
        raise DeliveryRejected(f"{folder}: not a folder (a delivery is a folder holding {MANIFEST} and its files)")
    try:
        with open_delivery_file(path) as stream:
            data = stream.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise DeliveryRejected(f"{folder}: no {MANIFEST}") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise DeliveryRejected(f"{path}: larger than {MAX_MANIFEST_BYTES:,} bytes, not a manifest")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise DeliveryRejected(f"{path}: not valid JSON (not UTF-8: {err.reason})") from None
    except json.JSONDecodeError as err:
        raise DeliveryRejected(f"{path}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
    except RecursionError:
        raise DeliveryRejected(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise DeliveryRejected(f"{path}: not a JSON object")
    return raw


# ----------------------------------------------------------------------------- files

# A delivery is regular files inside its folder. A symbolic link (to the pseudonym key, to a file of
# another delivery), a hard link to a file elsewhere, a FIFO (which would block the reader) or a
# device is refused by name, before anything is read from it. Every open re-checks, on the opened
# descriptor, that it is still the same regular file (no swap between a check and a read).
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
FileIdentity = tuple[int, int]  # (st_dev, st_ino)


def _not_regular(name: str, mode: int) -> DeliveryRejected:
    kind = (
        "a symbolic link"
        if stat.S_ISLNK(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "a special file"
    )
    return DeliveryRejected(f"{name}: not a regular file ({kind}); a delivery holds regular files only")


def _check_regular(name: str, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(name, st.st_mode)
    if st.st_nlink != 1:
        raise DeliveryRejected(
            f"{name}: a hard link ({st.st_nlink} names for one file); a delivery holds its own files only"
        )


def open_delivery_file(path: Path, identity: FileIdentity | None = None) -> io.BufferedReader:
    """Open a file of a delivery for reading, refusing all but a regular file of one link (and, with
    `identity`, anything but that very file). FileNotFoundError when there is no such name."""
    _check_regular(path.name, os.lstat(path))  # a device or a FIFO is never opened
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        if err.errno == errno.ELOOP:  # became a link since the lstat
            raise _not_regular(path.name, stat.S_IFLNK) from None
        raise DeliveryRejected(f"{path.name}: cannot be read ({err.strerror})") from None
    try:
        opened = os.fstat(fd)
        _check_regular(path.name, opened)
        if identity is not None and (opened.st_dev, opened.st_ino) != identity:
            raise DeliveryRejected(f"{path.name}: replaced by another file while the delivery was being loaded")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def file_identity(stream) -> FileIdentity:
    st = os.fstat(stream.fileno())
    return st.st_dev, st.st_ino


# ----------------------------------------------------------------------------- rows


@dataclass
class RowSource:
    """One file's rows: a header and the rows as lists of strings (one reader per channel)."""

    file_name: str
    header: list[str]
    rows: Iterable[list[str]]
    path: Path | None = None  # a file on disk (the fast path reads its bytes instead of `rows`)
    identity: FileIdentity | None = None  # the file `path` must still be when it is read


def header_of(path: Path, identity: FileIdentity | None = None) -> list[str]:
    """The header row of a contract CSV (BOM dropped); DeliveryRejected if there is none."""
    with open_delivery_file(path, identity) as stream:
        line = stream.readline(1 << 16)  # the first line only: a bad byte further down is a row's problem
    try:
        return next(csv.reader([line.decode("utf-8-sig")], strict=True))
    except StopIteration:
        raise DeliveryRejected(f"{path.name}: the file is empty (no header row)") from None
    except UnicodeDecodeError as err:
        raise DeliveryRejected(f"{path.name}: unreadable header (not UTF-8: {err.reason})") from None
    except csv.Error as err:
        raise DeliveryRejected(f"{path.name}: unreadable header ({err})") from None


# RFC 4180 sets no length on a field, and a line without quotes is read whole however long it is: a
# quoted field may be as long (the csv module's default limit, 128 KiB, refused a whole delivery for
# one quoted 10 MB field that loaded unquoted). The rules of its column judge it, as any value.
csv.field_size_limit(2**31 - 1)


def csv_rows(path: Path, identity: FileIdentity | None = None) -> RowSource:
    """Stream a contract CSV (UTF-8, optional BOM, RFC 4180). Never reads the whole file.

    A line without a double quote is split on commas (what the csv module would give, several
    times faster); a line with one is handed to the csv module, which reads on as far as the
    record goes (a quoted field may hold line breaks)."""
    if identity is None:
        with open_delivery_file(path) as stream:
            identity = file_identity(stream)
    header = header_of(path, identity)

    def rows() -> Iterator[list[str]]:
        line_num = 0  # lines read so far, as csv.reader's line_num
        with io.TextIOWrapper(open_delivery_file(path, identity), encoding="utf-8-sig", newline="") as stream:
            lines = iter(stream)
            try:
                for line in lines:
                    line_num += 1
                    if line_num == 1:
                        continue  # the header, read by header_of
                    if "\0" in line:
                        raise _nul_character(path.name, line_num)
                    if '"' not in line:
                        line = line.rstrip("\r\n")
                        if line:  # a blank line is not a record
                            yield line.split(",")
                        continue
                    reader = csv.reader(itertools.chain((line,), lines), strict=True)
                    try:
                        row = next(reader)
                    finally:
                        line_num += reader.line_num - 1
                    if row:
                        yield row
            except UnicodeDecodeError as err:
                raise _not_utf8(path.name, line_num, err) from None
            except csv.Error as err:
                raise DeliveryRejected(f"{path.name}: broken CSV at line {line_num}: {err}") from None

    return RowSource(path.name, header, rows(), path, identity)


def _not_utf8(file_name: str, line: int, err: UnicodeDecodeError) -> DeliveryRejected:
    return DeliveryRejected(f"{file_name}: not UTF-8 near data row {line}: {err.reason}")


def _nul_character(file_name: str, line: int) -> DeliveryRejected:
    # PostgreSQL text cannot hold it: name the line, not a COPY error
    return DeliveryRejected(f"{file_name}: a NUL character at line {line}")


def file_sha256(path: Path) -> str:
    return checked_file_sha256(path)[0]


def checked_file_sha256(path: Path) -> tuple[str, FileIdentity]:
    """The sha256 of a delivery's file and the identity of the file it was computed on."""
    with open_delivery_file(path) as f:
        return hashlib.file_digest(f, "sha256").hexdigest(), file_identity(f)


# ----------------------------------------------------------------------------- loading

COPY_CHUNK = 1 << 20  # characters handed to COPY at a time: memory stays flat at any file size
PROGRESS_EVERY = 100_000  # rows between progress lines
# Server memory for one load: the temp table of a file (pseudonymised rows only) stays in local
# buffers, and the sort of the duplicate check runs in memory. Bounded whatever the file size.
# DateStyle ISO: the date checks read dates back as YYYY-MM-DD (crvs.feeds.validation).
SESSION_SETTINGS = "set temp_buffers = '256MB'; set work_mem = '256MB'; set datestyle = 'ISO, YMD'"


@functools.lru_cache(maxsize=1)
def _valid_codes() -> tuple[tuple[str, str, str, str | None], ...]:
    """(level, code_version, code, province_code) from the committed code-list seeds."""
    rows = [
        ("province", r["code_version"], r["province_code"], None) for r in reference.read_seed("admin_provinces.csv")
    ]
    rows += [
        ("commune", r["code_version"], r["commune_code"], r["province_code"])
        for r in reference.read_seed("admin_communes.csv")
    ]
    return tuple(rows)


def _prepare_code_lists(cur: psycopg.Cursor, dataset: Dataset | None = None) -> None:
    """The temporary table `valid_codes` the SQL checks read, in the delivery's transaction, only
    when a row goes the general way, and only with the levels (province, commune) `dataset` has
    (all with None): 63 rows of GSO's rates need 100 province codes, not 10,000 communes too."""
    levels = sorted(
        {c.kind for c in dataset.columns if c.kind in validation.CODE_FORMAT}
        if dataset
        else set(validation.CODE_FORMAT)
    )
    cur.execute(
        "create temp table if not exists valid_codes (level text, code_version text, code text,"
        " parent_code text, primary key (level, code_version, code)) on commit drop"
    )
    cur.execute("select distinct level from valid_codes")
    missing = set(levels) - {level for (level,) in cur.fetchall()}
    if not missing:
        return
    with cur.copy("copy valid_codes (level, code_version, code, parent_code) from stdin") as copy:
        for row in _valid_codes():
            if row[0] in missing:
                copy.write_row(row)
    cur.execute("analyze valid_codes")


def _check_header(source: RowSource, dataset: Dataset) -> None:
    """The header must hold the dataset's columns, each once, in any order. The message names the
    contract's columns it misses and the POSITIONS of the others: a field that is not a column name
    may be anything (a file without its header row has a data row there: citizen numbers, names)."""
    header = [h.strip() for h in source.header]
    expected = set(dataset.column_names)
    missing = [c for c in dataset.column_names if c not in header]
    unknown = [i for i, h in enumerate(header, 1) if h not in expected]
    repeated = sorted({h for h in header if h in expected and header.count(h) > 1})
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if len(unknown) == 1:
        problems.append(f"column {unknown[0]} is not a {dataset.name} column (name not shown)")
    elif unknown:
        problems.append(f"columns {_positions(unknown)} are not {dataset.name} columns (names not shown)")
    if repeated:
        problems.append("repeated " + ", ".join(repeated))
    if unknown and len(unknown) == len(header):
        problems.append("is the header row missing?")
    if problems:
        raise DeliveryRejected(f"{source.file_name}: header does not match {dataset.name} ({'; '.join(problems)})")
    source.header = header


def _positions(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


@dataclass
class _FileCounts:
    received: int = 0
    loaded: int = 0
    quarantined: int = 0


def incoming_columns(dataset: Dataset) -> list[str]:
    """The stored columns in the order the loader sends them: identifiers (pseudonyms) last."""
    return [c.stored_name for c in dataset.sent_columns]


def encoded_rows(
    source: RowSource, dataset: Dataset, pseudonymise: Pseudonymiser, received: list[int] | None = None
) -> Iterator[str]:
    """encode_rows over every row of `source`, numbered from 1."""
    return encode_rows(source.header, dataset, pseudonymise, enumerate(source.rows, 1), received)


def encode_rows(
    header: list[str],
    dataset: Dataset,
    pseudonymise: Pseudonymiser,
    numbered: Iterable[tuple[int, list[str]]],
    received: list[int] | None = None,
) -> Iterator[str]:
    """The (number, row) pairs as COPY CSV text for `incoming`, about 1 MiB at a time: the row
    number, then (a row of the header's width) an empty field count and the columns of
    incoming_columns(), names left out and identifiers replaced by their pseudonym; or (another
    width) the field count and empty fields. `received[0]` follows the number of rows read
    (`source` is read once, in order). An empty field becomes null in COPY's CSV format; a quoted
    empty string is never sent."""
    width = len(header)
    stored = dataset.sent_columns
    plain = [header.index(c.name) for c in stored if c.kind != "pid"]
    identifiers = [header.index(c.name) for c in stored if c.kind == "pid"]
    take = operator.itemgetter(*plain) if len(plain) > 1 else (lambda row: (row[plain[0]],))
    # A registration number of another shape is never sent (a name under a mislabelled header):
    # INVALID_ID in its place, and SQL quarantines the row (crvs.feeds.validation).
    numbers = [k for k, c in enumerate(c for c in stored if c.kind != "pid") if c.kind == "regno"]
    registration_number = dataset.formats.registration_number
    field = pseudonymise.for_formats(dataset.formats).field
    commas = len(plain) - 1
    empty = "," * len(stored) + "\r\n"
    buffer = io.StringIO()
    quoted = csv.writer(buffer, lineterminator="\r\n")
    write = buffer.write
    received = received if received is not None else [0]
    number = 0
    for number, row in numbered:
        if len(row) == width:
            values = take(row)
            for k in numbers:
                if values[k] and not registration_number(values[k]):
                    values = (*values[:k], INVALID_ID, *values[k + 1 :])
            line = ",".join(values)
            # Plain values join into valid CSV; a comma, quote or line break in one needs quoting.
            # Pseudonyms (hex, INVALID_ID or empty) never do.
            if line.count(",") == commas and '"' not in line and "\n" not in line and "\r" not in line:
                line = f"{number},,{line}"
            else:
                line = quoted_line(quoted, buffer, [number, "", *values])
            for i in identifiers:
                line = f"{line},{field(row[i])}"
            write(line)
            write("\r\n")
        else:
            write(f"{number},{len(row)}{empty}")
        if number % 4096 == 0:
            received[0] = number
            if buffer.tell() >= COPY_CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    received[0] = number
    if buffer.tell():
        yield buffer.getvalue()


def quoted_line(writer, buffer: io.StringIO, values: list) -> str:
    """`values` as one CSV line with the quoting it needs (rare: a comma, quote or line break in a
    value), without its line end; written through `writer` into `buffer` and taken back out."""
    mark = buffer.tell()
    writer.writerow(values)
    buffer.seek(mark)
    line = buffer.read()
    buffer.seek(mark)
    buffer.truncate()
    return line.removesuffix("\r\n")


def _create_incoming(cur: psycopg.Cursor, dataset: Dataset) -> str:
    """The temporary table the general way checks; returns its COPY statement."""
    stored = incoming_columns(dataset)
    cur.execute(
        f"create temp table incoming (source_row integer, field_count integer,"
        f" {', '.join(c + ' text' for c in stored)}) on commit drop"
    )
    return f"copy incoming (source_row, field_count, {', '.join(stored)}) from stdin (format csv)"


def _write_rows(
    cur: psycopg.Cursor, manifest: Manifest, entry: FileEntry, source: RowSource, pseudonymise: Pseudonymiser
) -> int:
    """Stream the rows, pseudonymised in this process, into `incoming`; the number of rows."""
    statement = _create_incoming(cur, entry.dataset)
    received = [0]
    reported = 0
    with cur.copy(statement) as copy:
        for chunk in encoded_rows(source, entry.dataset, pseudonymise, received):
            copy.write(chunk)
            if received[0] - reported >= PROGRESS_EVERY:
                reported = received[0]
                log.info("%s %s: %s rows read", manifest.delivery_id, entry.name, f"{reported:,}")
    return received[0]


def _check_rows(
    cur: psycopg.Cursor, manifest: Manifest, entry: FileEntry, width: int, fast_rows: bool = False
) -> tuple[int, int, int]:
    """Run the one statement over `incoming`: (rows quarantined, rows loaded, fast rows moved)."""
    _prepare_code_lists(cur, entry.dataset)
    params = {
        "agency": manifest.agency,
        "delivery_id": manifest.delivery_id,
        "dataset": entry.dataset.name,
        "file": entry.name,
        "width": width,
        "extracted_on": manifest.extracted_at.date(),
    }
    cur.execute(validation.load_statement(entry.dataset, fast_rows), params)
    result = cur.fetchone()
    cur.execute("drop table incoming")
    return result


def _check_count(entry: FileEntry, received: int) -> None:
    if received != entry.rows:
        raise DeliveryRejected(f"{entry.name}: the manifest says {entry.rows:,} rows, the file has {received:,}")


def _plain_file(source: RowSource) -> bool:
    with open_delivery_file(source.path, source.identity) as stream:
        return fastpath.plain_file(stream)


def _load_file(
    cur: psycopg.Cursor, manifest: Manifest, entry: FileEntry, source: RowSource, pseudonymise: Pseudonymiser
) -> _FileCounts:
    dataset = entry.dataset
    _check_header(source, dataset)
    if source.path is not None and fastpath.enabled() and _plain_file(source):
        try:
            engine = fastpath.engine(
                dataset,
                source.header,
                _valid_codes(),
                pseudonymise.key_blocks(),
                manifest.delivery_id,
                manifest.extracted_at.date().isoformat(),
            )
        except fastpath.StepAside as why:
            log.warning(
                "%s %s: the fast path steps aside (%s); the general way takes the file",
                manifest.delivery_id,
                entry.name,
                why,
            )
            engine = None
        if engine is not None:
            return _load_file_fast(cur, manifest, entry, source, pseudonymise, engine)
    counts = _FileCounts()
    started = time.perf_counter()
    counts.received = _write_rows(cur, manifest, entry, source, pseudonymise)
    _check_count(entry, counts.received)
    read = time.perf_counter()
    counts.quarantined, counts.loaded, _ = _check_rows(cur, manifest, entry, len(source.header))
    done = time.perf_counter()
    log.info(
        "%s %s: %s received, %s loaded, %s quarantined (%.2f s reading, pseudonymising and COPY,"
        " %.2f s checks and writes)",
        manifest.delivery_id,
        entry.name,
        f"{counts.received:,}",
        f"{counts.loaded:,}",
        f"{counts.quarantined:,}",
        read - started,
        done - read,
    )
    return counts


# Rows handed back by the fast path wait here (pseudonymised, names dropped) until the file's
# COPY into raw.* ends; beyond this they spill to a temporary file.
HANDED_BACK_IN_MEMORY = 16 << 20


def _handed_back_rows(file_name: str, slow: list[tuple[int, int, bytes]]) -> Iterator[tuple[int, list[str]]]:
    """The fast path's handed-back lines as (row number, fields), read as the general way reads them."""
    for number, line, raw in slow:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise _not_utf8(file_name, line, err) from None
        if "\0" in text:
            raise _nul_character(file_name, line)
        yield number, text.split(",")


def _blocks_of_lines(path: Path, identity: FileIdentity | None = None) -> Iterator[bytes]:
    """The file after its header line, ~1 MiB at a time, each block ending at a line's end."""
    with open_delivery_file(path, identity) as stream:
        stream.readline()
        rest = b""
        while block := stream.read(COPY_CHUNK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
        if rest:
            yield rest


def _load_file_fast(
    cur: psycopg.Cursor, manifest: Manifest, entry: FileEntry, source: RowSource, pseudonymise: Pseudonymiser, engine
) -> _FileCounts:
    """Load a plain file by the fast path (crvs.feeds.fastpath): the rows the engine proves good
    straight into raw.<dataset>; the others, and the duplicate check when it is needed, the
    general way. Same outcome as the general way alone."""
    dataset = entry.dataset
    counts = _FileCounts()
    started = time.perf_counter()
    row, line, reported, handed_back = 0, 1, 0, 0
    columns = ", ".join(fastpath.raw_columns(dataset))
    with tempfile.SpooledTemporaryFile(HANDED_BACK_IN_MEMORY, mode="w+", newline="", encoding="utf-8") as spool:
        # The queued writer sends from a second thread while this one checks the next block (the
        # engine lets go of the GIL): reading and the server's writing overlap.
        with cur.copy(
            f"copy raw.{dataset.name} ({columns}) from stdin (format binary)", writer=QueuedLibpqWriter(cur)
        ) as copy:
            copy.write(fastpath.BINARY_HEADER)
            for block in _blocks_of_lines(source.path, source.identity):
                fast, slow, row, line = engine.feed(block, row, line)
                copy.write(fast)
                if slow:
                    handed_back += len(slow)
                    for chunk in encode_rows(source.header, dataset, pseudonymise, _handed_back_rows(entry.name, slow)):
                        spool.write(chunk)
                if row - reported >= PROGRESS_EVERY:
                    reported = row
                    log.info("%s %s: %s rows read", manifest.delivery_id, entry.name, f"{reported:,}")
            copy.write(fastpath.BINARY_TRAILER)
        fast_rows = cur.rowcount
        counts.received = row
        _check_count(entry, counts.received)
        read = time.perf_counter()
        counts.loaded = fast_rows
        if handed_back or engine.suspected_duplicate():
            statement = _create_incoming(cur, dataset)
            spool.seek(0)
            with cur.copy(statement) as copy:
                while chunk := spool.read(COPY_CHUNK):
                    copy.write(chunk)
            counts.quarantined, loaded, moved = _check_rows(cur, manifest, entry, len(source.header), fast_rows=True)
            counts.loaded = fast_rows - moved + loaded
    done = time.perf_counter()
    log.info(
        "%s %s: %s received, %s loaded, %s quarantined (fast path: %.2f s reading, checking,"
        " pseudonymising and COPY into raw.%s; %s rows handed back to the general way, %.2f s)",
        manifest.delivery_id,
        entry.name,
        f"{counts.received:,}",
        f"{counts.loaded:,}",
        f"{counts.quarantined:,}",
        read - started,
        dataset.name,
        f"{handed_back:,}",
        done - read,
    )
    return counts


def load_delivery(manifest: Manifest, sources: Iterable[tuple[FileEntry, RowSource]], source: str) -> IngestResult:
    """Load a checked manifest and its files' rows in one transaction (any channel)."""
    result = IngestResult(source=source, outcome=LOADED, delivery_id=manifest.delivery_id, agency=manifest.agency)
    pseudonymise = Pseudonymiser(settings.pseudonym_key())
    with database.connect(role=settings.LOADER_ROLE) as conn, conn.cursor() as cur:
        cur.execute(SESSION_SETTINGS)  # before the session's first temp table
        ensure_tables(conn)
        conn.commit()
        # One loader per delivery at a time; the second waits, then finds it loaded.
        cur.execute(
            "select pg_advisory_xact_lock(hashtext('crvs.delivery:' || %s || ':' || %s))",
            (manifest.agency, manifest.delivery_id),
        )
        cur.execute(
            "select manifest, channel from raw.deliveries where agency = %s and delivery_id = %s",
            (manifest.agency, manifest.delivery_id),
        )
        known = cur.fetchone()
        if known:
            differences = resend_differences(known[0], known[1], manifest)
            if differences:
                raise DeliveryRejected(changed_resend_reason(manifest, differences))
            result.outcome = ALREADY_LOADED
            return result
        cur.execute(
            "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at,"
            " period_start, period_end, source, manifest) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                manifest.delivery_id,
                manifest.agency,
                manifest.channel,
                manifest.schema_version,
                manifest.extracted_at,
                manifest.period_start,
                manifest.period_end,
                source,
                Jsonb(manifest.raw),
            ),
        )
        for entry, rows in sources:
            counts = _load_file(cur, manifest, entry, rows, pseudonymise)
            cur.execute(
                "insert into raw.delivery_files (agency, delivery_id, dataset, file_name, sha256,"
                " rows_received, rows_loaded, rows_quarantined) values (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    manifest.agency,
                    manifest.delivery_id,
                    entry.dataset.name,
                    entry.name,
                    entry.sha256,
                    counts.received,
                    counts.loaded,
                    counts.quarantined,
                ),
            )
            result.rows_received += counts.received
            result.rows_loaded += counts.loaded
            result.rows_quarantined += counts.quarantined
            result.datasets.append(entry.dataset.name)
    return result


def _byte_channel(channel: str) -> str:
    """Which files' sha256s can be compared: FILE and EMAIL deliveries are the agency's own bytes
    (an e-mail's attachments are saved as sent), an API delivery's files are the spooled CSV the
    client writes from the platform's rows."""
    return "API" if channel == "API" else "FILES"


def resend_differences(loaded: dict, loaded_channel: str, received: Manifest) -> list[str]:
    """How a delivery arriving again differs from the one loaded under its (agency, delivery_id):
    its period, extraction time or schema version, and per dataset the file's name, rows and
    sha256 (loaded and received). [] when it is the same delivery. Across channel kinds (a platform
    delivery whose id was loaded from files) the bytes differ by construction, so the rows are
    compared by their counts only."""
    before = parse_manifest(loaded, where="the loaded manifest", need_sha256=False)
    differences = []
    for name, was, now in (
        ("extracted_at", before.extracted_at, received.extracted_at),
        ("period_start", before.period_start, received.period_start),
        ("period_end", before.period_end, received.period_end),
        ("schema_version", before.schema_version, received.schema_version),
    ):
        if was != now:
            differences.append(
                f"{name} loaded {was.isoformat() if hasattr(was, 'isoformat') else was}, "
                f"received {now.isoformat() if hasattr(now, 'isoformat') else now}"
            )
    compare_bytes = _byte_channel(loaded_channel) == _byte_channel(received.channel)
    old_files = {f.dataset.name: f for f in before.files}
    new_files = {f.dataset.name: f for f in received.files}
    for dataset in sorted(old_files.keys() | new_files.keys()):
        was, now = old_files.get(dataset), new_files.get(dataset)
        if was is None:
            differences.append(f"{now.name} ({dataset}): not in the loaded delivery")
        elif now is None:
            differences.append(f"{was.name} ({dataset}): in the loaded delivery, not in this one")
        else:
            if was.name != now.name:
                differences.append(f"{dataset}: file loaded as {was.name}, received as {now.name}")
            if was.rows != now.rows:
                differences.append(f"{now.name} ({dataset}): rows loaded {was.rows:,}, received {now.rows:,}")
            if compare_bytes and was.sha256 != now.sha256:
                differences.append(f"{now.name} ({dataset}): sha256 loaded {was.sha256}, received {now.sha256}")
    return differences


def changed_resend_reason(manifest: Manifest, differences: list[str]) -> str:
    return (
        f"{manifest.agency} delivery {manifest.delivery_id} is already loaded and this one differs from it "
        f"({'; '.join(differences)}); nothing was changed. A delivery_id names one delivery: send the "
        "changed data as a new delivery_id, with higher record_version for corrections"
    )


def record_rejection(source: str, reason: str, raw_manifest: dict | None) -> tuple[str | None, str | None]:
    """Record a refused delivery with what could be read of its manifest; returns (delivery_id, agency).

    Whatever the manifest holds, the record is written: a delivery_id or agency that breaks the
    contract is recorded as null (the manifest beside it shows it), and text PostgreSQL cannot hold
    (a NUL character) is replaced."""
    raw_manifest = raw_manifest if isinstance(raw_manifest, dict) else {}
    delivery_id, agency = raw_manifest.get("delivery_id"), raw_manifest.get("agency")
    delivery_id = delivery_id.strip() if isinstance(delivery_id, str) else None
    delivery_id = delivery_id if valid_delivery_id(delivery_id) else None
    agency = agency if agency in AGENCIES else None
    with database.connect(role=settings.LOADER_ROLE) as conn:
        ensure_tables(conn)
        conn.execute(
            "insert into quarantine.rejected_deliveries (delivery_id, agency, source, reason, manifest)"
            " values (%s, %s, %s, %s, %s)",
            (
                delivery_id,
                agency,
                _storable(source),
                _storable(reason),
                Jsonb(_storable(raw_manifest)) if raw_manifest else None,
            ),
        )
    return delivery_id, agency


def _storable(value):
    """`value` (text or JSON) with every NUL character replaced: PostgreSQL's text and jsonb refuse it."""
    if isinstance(value, str):
        return value.replace("\0", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def ingest_path(path: Path | str) -> IngestResult:
    """Load one delivery folder (FILE or EMAIL channel). Never raises for bad input: the result says."""
    folder = Path(path).resolve()
    raw_manifest = None
    try:
        raw_manifest = read_manifest_json(folder)
        manifest = parse_manifest(raw_manifest)
        if manifest.channel == "API":
            raise DeliveryRejected(
                f"{MANIFEST}: channel API deliveries come from the sharing platform, not from folders (use channel FILE or EMAIL for a folder)"
            )
        identities = {}
        for entry in manifest.files:
            try:
                digest, identities[entry.name] = checked_file_sha256(folder / entry.name)
            except FileNotFoundError:
                raise DeliveryRejected(f"{entry.name}: named in the manifest but not in the folder") from None
            if digest != entry.sha256:
                raise DeliveryRejected(f"{entry.name}: sha256 {digest} does not match the manifest's {entry.sha256}")
        sources = ((entry, csv_rows(folder / entry.name, identities[entry.name])) for entry in manifest.files)
        return load_delivery(manifest, sources, str(folder))
    except OSError as err:  # the folder or a file cannot be read: this delivery's problem, not the batch's
        return rejected(folder, f"{Path(err.filename or folder).name}: cannot be read ({err.strerror})", raw_manifest)
    except DeliveryRejected as err:
        return rejected(folder, str(err), raw_manifest)


def rejected(folder: Path, reason: str, raw_manifest: dict | None) -> IngestResult:
    """Record a delivery (a folder, a message) refused with `reason`; the result says so."""
    delivery_id, agency = record_rejection(str(folder), reason, raw_manifest)
    log.warning("rejected %s: %s", delivery_id or folder, reason)
    return IngestResult(str(folder), REJECTED, delivery_id, agency, reason)
