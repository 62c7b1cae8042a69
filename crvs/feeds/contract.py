"""The agency feed contract (../shared/spec/feeds.md, schema version 1.0) as data.

One description of every dataset serves the loader (validation SQL, raw tables), the sample
generator and the quality suites. Column kinds:

  text      free text                      int       integer (optionally bounded)
  date      YYYY-MM-DD (Formats: 1800-2999) bool      0/1
  numeric   decimal number                 enum      one of `values`
  pid       citizen number (Formats: 12 digits): stored only as an HMAC-SHA256 pseudonym in `<stem>_pid`
  name      personal name: read, never stored
  province  2-digit code valid in the row's admin_code_version list
  commune   5-digit code valid in the row's admin_code_version list
  icd10     A00-Z99 with an optional .d (Formats.icd10)
  regno     a registration number (record_id, notification_id): Formats.registration_number_rule. The
            contract calls it a number; the rule keeps a mislabelled column out (a name, with its
            spaces and no digit; a citizen number's 12 digits), never a real registration number
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field

SCHEMA_VERSIONS = ("1.0",)
AGENCIES = ("MOJ", "MOH", "GSO")
CHANNELS = ("FILE", "EMAIL", "API")
CODE_VERSIONS = ("PRE2025", "2025")
SEX = ("M", "F", "U")
AGE_GROUPS = tuple(f"{a}-{a + 4}" for a in range(0, 80, 5)) + ("80+",)


@dataclass(frozen=True)
class Formats:
    """The value formats of the contract, each declared once. The loader's checks read them from
    here: the SQL of the general way (crvs.feeds.validation), the pseudonymiser
    (crvs.feeds.pseudonym) and the C fast path, which receives the numbers in its description and
    steps aside for a pattern it does not implement (crvs.feeds.fastpath.outgrown).

    citizen_number_digits   a `pid` is this many ASCII digits, nothing else
    date_years              a `date` is YYYY-MM-DD of a year in this range (four digits each)
    icd10                   an `icd10` code matches this PostgreSQL regular expression whole
    icd10_example           a code of that shape, for the messages
    registration_number_*   a `regno`: ASCII letters and digits, with `_inner` characters inside
                            (not first, not last), at least one digit, at most `_max_length`
                            characters, and not a citizen number (its digits alone)
    """

    citizen_number_digits: int = 12
    date_years: tuple[int, int] = (1800, 2999)
    icd10: str = r"[A-Z]\d{2}(\.\d)?"
    icd10_example: str = "I21.9"
    registration_number_max_length: int = 64
    registration_number_inner: str = "-/._"

    def __post_init__(self):
        first, last = self.date_years
        if not 1000 <= first <= last <= 9999:  # dates are compared as text: four-digit years
            raise ValueError(f"date years {self.date_years} are not four-digit years in order")
        if self.citizen_number_digits < 1 or self.registration_number_max_length < 2:
            raise ValueError("a citizen number has a digit and a registration number room for two characters")
        if not all(ch.isascii() and ch.isprintable() and not ch.isalnum() for ch in self.registration_number_inner):
            raise ValueError(f"registration number characters {self.registration_number_inner!r} are not punctuation")

    def citizen_number(self, value: str) -> bool:
        """True when `value` is a citizen number: its digits exactly (str.isdigit alone would also
        accept other scripts' digits)."""
        return len(value) == self.citizen_number_digits and value.isascii() and value.isdigit()

    @property
    def citizen_number_label(self) -> str:
        return f"{self.citizen_number_digits}-digit citizen number"

    @property
    def first_date(self) -> str:
        return f"{self.date_years[0]:04d}-01-01"

    @property
    def last_date(self) -> str:
        return f"{self.date_years[1]:04d}-12-31"

    @property
    def registration_number_rule(self) -> str:
        return (
            f"ASCII letters and digits, with {' '.join(self.registration_number_inner)} inside, at least one digit,"
            f" at most {self.registration_number_max_length} characters,"
            f" not {self.citizen_number_digits} digits alone"
        )

    @functools.cached_property
    def _registration_number(self) -> re.Pattern:
        inner = re.escape(self.registration_number_inner)
        return re.compile(
            rf"[A-Za-z0-9](?:[A-Za-z0-9{inner}]{{0,{self.registration_number_max_length - 2}}}[A-Za-z0-9])?", re.ASCII
        )

    def registration_number(self, value: str) -> bool:
        """True when `value` has a registration number's shape (registration_number_rule)."""
        return (
            self._registration_number.fullmatch(value) is not None
            and any(ch.isdigit() for ch in value)
            and not self.citizen_number(value)
        )


# The formats of schema version 1.0 (../shared/spec/feeds.md).
FORMATS = Formats()
REGISTRATION_NUMBER_RULE = FORMATS.registration_number_rule
registration_number = FORMATS.registration_number


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def stored_name(self) -> str | None:
        """The column's name in the raw table; None for names, which are never stored."""
        if self.kind == "name":
            return None
        if self.kind == "pid":
            return self.name.removesuffix("_id") + "_pid"
        return self.name

    @property
    def sql_type(self) -> str:
        return {
            "int": "integer",
            "date": "date",
            "bool": "boolean",
            "numeric": "numeric",
            "pid": "bytea",  # the HMAC's 32 bytes: half the width of its hex, on every row
        }.get(self.kind, "text")


@dataclass(frozen=True)
class RowRule:
    """A rule across columns that must hold (nulls pass); `column` names the column reported when
    it fails. Either an order of two dates, `left op right` with op one of <, <=, >= (`right` may
    be `extracted_on`, the delivery's extraction date), or (op "empty_when") `right` must be empty
    when `left` is `value`. `sql` is the rule over the typed values (crvs.feeds.validation); the
    loader's C fast path reads the same fields (crvs.feeds.fastpath)."""

    name: str
    column: str
    left: str
    op: str
    right: str
    message: str
    value: str | None = None

    @property
    def sql(self) -> str:
        if self.op == "empty_when":
            return f"{self.left} <> '{self.value}' or {self.right} is null"
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class Dataset:
    name: str
    agency: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[RowRule, ...] = field(default=())
    description: str = ""
    formats: Formats = FORMATS

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def commune_province(self) -> Column | None:
        """The column a commune code must lie in: the dataset's first province column."""
        return next((c for c in self.columns if c.kind == "province"), None)

    @property
    def sent_columns(self) -> tuple[Column, ...]:
        """The columns kept in raw.*, in the order the loader sends them (both ways): identifiers,
        sent as pseudonyms, last. Names are never sent."""
        stored = [c for c in self.columns if c.stored_name]
        return tuple([c for c in stored if c.kind != "pid"] + [c for c in stored if c.kind == "pid"])


def _c(name: str, kind: str, required: bool = False, values: tuple[str, ...] = (), **kw) -> Column:
    return Column(name, kind, required, values, **kw)


_REGISTRATION = (
    _c("record_id", "regno", True),
    _c("record_version", "int", True, minimum=1),
    _c("record_status", "enum", True, ("ACTIVE", "CANCELLED")),
    _c("reg_kind", "enum", True, ("NEW", "RE_REGISTRATION", "RECORDED_ABROAD")),
    _c("registration_date", "date", True),
    _c("reg_province_code", "province", True),
    _c("reg_commune_code", "commune"),
    _c("admin_code_version", "enum", True, CODE_VERSIONS),
)
_PLACE = ("FACILITY", "HOME", "OTHER", "ABROAD")
_REGISTERED_BY_EXTRACTION = RowRule(
    "registration_after_extraction",
    "registration_date",
    "registration_date",
    "<=",
    "extracted_on",
    "registration_date is after the delivery's extracted_at",
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "moj_births",
            "MOJ",
            _REGISTRATION
            + (
                _c("child_id", "pid"),
                _c("child_name", "name"),
                _c("sex", "enum", True, SEX),
                _c("birth_date", "date", True),
                _c("place_of_birth", "enum", True, _PLACE),
                _c("birth_province_code", "province"),
                _c("mother_id", "pid"),
                _c("mother_name", "name"),
                _c("mother_birth_date", "date"),
                _c("mother_residence_province_code", "province"),
                _c("foreign_element", "bool", True),
            ),
            key=("record_id", "record_version"),
            rules=(
                _REGISTERED_BY_EXTRACTION,
                RowRule(
                    "event_after_registration",
                    "birth_date",
                    "birth_date",
                    "<=",
                    "registration_date",
                    "birth_date is after registration_date",
                ),
                RowRule(
                    "abroad_without_province",
                    "birth_province_code",
                    "place_of_birth",
                    "empty_when",
                    "birth_province_code",
                    "birth_province_code must be empty when place_of_birth is ABROAD",
                    value="ABROAD",
                ),
                RowRule(
                    "mother_born_before_child",
                    "mother_birth_date",
                    "mother_birth_date",
                    "<",
                    "birth_date",
                    "mother_birth_date is not before birth_date",
                ),
            ),
            description="MOJ birth registrations, one row per record version",
        ),
        Dataset(
            "moj_deaths",
            "MOJ",
            _REGISTRATION
            + (
                _c("deceased_id", "pid"),
                _c("deceased_name", "name"),
                _c("sex", "enum", True, SEX),
                _c("birth_date", "date"),
                _c("death_date", "date", True),
                _c("place_of_death", "enum", True, _PLACE),
                _c("death_province_code", "province"),
                _c("residence_province_code", "province"),
                _c("cause_icd10", "icd10"),
                _c("cause_certified", "bool", True),
                _c("foreign_element", "bool", True),
            ),
            key=("record_id", "record_version"),
            rules=(
                _REGISTERED_BY_EXTRACTION,
                RowRule(
                    "event_after_registration",
                    "death_date",
                    "death_date",
                    "<=",
                    "registration_date",
                    "death_date is after registration_date",
                ),
                RowRule(
                    "death_before_birth",
                    "death_date",
                    "death_date",
                    ">=",
                    "birth_date",
                    "death_date is before birth_date",
                ),
                RowRule(
                    "abroad_without_province",
                    "death_province_code",
                    "place_of_death",
                    "empty_when",
                    "death_province_code",
                    "death_province_code must be empty when place_of_death is ABROAD",
                    value="ABROAD",
                ),
            ),
            description="MOJ death registrations, one row per record version",
        ),
        Dataset(
            "moj_marriages",
            "MOJ",
            _REGISTRATION
            + (
                _c("spouse1_id", "pid"),
                _c("spouse1_name", "name"),
                _c("spouse1_sex", "enum", True, ("M", "F")),
                _c("spouse1_birth_date", "date", True),
                _c("spouse1_prev_status", "enum", True, ("NEVER", "WIDOWED", "DIVORCED")),
                _c("spouse2_id", "pid"),
                _c("spouse2_name", "name"),
                _c("spouse2_sex", "enum", True, ("M", "F")),
                _c("spouse2_birth_date", "date", True),
                _c("spouse2_prev_status", "enum", True, ("NEVER", "WIDOWED", "DIVORCED")),
                _c("foreign_element", "bool", True),
            ),
            key=("record_id", "record_version"),
            rules=(
                _REGISTERED_BY_EXTRACTION,
                RowRule(
                    "spouse_born_after_marriage",
                    "spouse1_birth_date",
                    "spouse1_birth_date",
                    "<",
                    "registration_date",
                    "spouse1_birth_date is not before registration_date",
                ),
                RowRule(
                    "spouse_born_after_marriage",
                    "spouse2_birth_date",
                    "spouse2_birth_date",
                    "<",
                    "registration_date",
                    "spouse2_birth_date is not before registration_date",
                ),
            ),
            description="MOJ marriage registrations (event date = registration date), one row per record version",
        ),
        Dataset(
            "moh_births",
            "MOH",
            (
                _c("notification_id", "regno", True),
                _c("facility_code", "text", True),
                _c("facility_province_code", "province", True),
                _c("admin_code_version", "enum", True, CODE_VERSIONS),
                _c("birth_date", "date", True),
                _c("sex", "enum", True, SEX),
                _c("outcome", "enum", True, ("LIVE", "STILLBIRTH")),
                _c("birth_weight_g", "int", minimum=200, maximum=7000),
                _c("gestation_weeks", "int", minimum=20, maximum=45),
                _c("mother_id", "pid"),
                _c("mother_birth_date", "date"),
                _c("mother_residence_province_code", "province"),
            ),
            key=("notification_id",),
            rules=(
                RowRule(
                    "event_after_extraction",
                    "birth_date",
                    "birth_date",
                    "<=",
                    "extracted_on",
                    "birth_date is after the delivery's extracted_at",
                ),
            ),
            description="MOH facility birth notifications; a resend with the same id replaces the earlier row",
        ),
        Dataset(
            "moh_deaths",
            "MOH",
            (
                _c("notification_id", "regno", True),
                _c("facility_code", "text", True),
                _c("facility_province_code", "province", True),
                _c("admin_code_version", "enum", True, CODE_VERSIONS),
                _c("death_date", "date", True),
                _c("deceased_id", "pid"),
                _c("sex", "enum", True, SEX),
                _c("birth_date", "date"),
                _c("underlying_cause_icd10", "icd10"),
                _c("certified", "bool", True),
            ),
            key=("notification_id",),
            rules=(
                RowRule(
                    "event_after_extraction",
                    "death_date",
                    "death_date",
                    "<=",
                    "extracted_on",
                    "death_date is after the delivery's extracted_at",
                ),
                RowRule(
                    "death_before_birth",
                    "death_date",
                    "death_date",
                    ">=",
                    "birth_date",
                    "death_date is before birth_date",
                ),
            ),
            description="MOH facility death notifications; a resend with the same id replaces the earlier row",
        ),
        Dataset(
            "gso_population",
            "GSO",
            (
                _c("year", "int", True, minimum=1900, maximum=2200),
                _c("province_code", "province", True),
                _c("admin_code_version", "enum", True, CODE_VERSIONS),
                _c("sex", "enum", True, ("M", "F")),
                _c("age_group", "enum", True, AGE_GROUPS),
                _c("population", "int", True, minimum=0),
            ),
            key=("year", "province_code", "admin_code_version", "sex", "age_group"),
            description="GSO mid-year population; a later delivery for the same cell replaces the earlier figure",
        ),
        Dataset(
            "gso_vital_rates",
            "GSO",
            (
                _c("year", "int", True, minimum=1900, maximum=2200),
                _c("province_code", "province", True),
                _c("admin_code_version", "enum", True, CODE_VERSIONS),
                _c("crude_birth_rate", "numeric", True),
                _c("crude_death_rate", "numeric", True),
            ),
            key=("year", "province_code", "admin_code_version"),
            description="GSO estimated crude birth and death rates per 1,000 population",
        ),
    )
}

# Loader bookkeeping columns, first in every raw table.
RAW_META_COLUMNS = (("delivery_id", "text not null"), ("source_row", "integer not null"))


def delivery_folder_name(agency: str, delivery_id: str) -> str:
    """The folder a delivery is kept in (platform spool, e-mail inbox): named by (agency, delivery_id),
    as the warehouse identifies it, and readable: MOH-2025Q3-0001 stays so; an id that does not
    start with its agency gets it in front (GSO + 2025-0001 → GSO-2025-0001). An id that is not a
    plain, short file name (any length and characters the contract allows) becomes a plain prefix
    and a digest of the id, so no id can name a path or overflow a file name."""
    name = delivery_id if delivery_id.startswith(f"{agency}-") else f"{agency}-{delivery_id}"
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}", name):
        return name
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80] or agency
    return f"{plain}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"
