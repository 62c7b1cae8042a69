"""Synthetic agency deliveries for demos, tests and benchmarks.

`generate_quarter("2025Q3", scale, out)` writes one quarter as the agencies would send it
(../shared/spec/feeds.md): `MOJ-<Q>-0001/` (births, deaths, marriages), `MOH-<Q>-0001/` (facility
birth and death notifications) and `GSO-<YEAR>-0001/` (population and crude rates of the quarter's
year). Every value is drawn from `random.Random` seeded by (seed, quarter, dataset), so a given
(quarter, scale, seed) always gives the same bytes.

Volumes at scale 1.0 follow Vietnam around 2024-25: ~350,000 NEW birth registrations a quarter
(plus ~23 % re-registrations and ~1.5 % recorded abroad, so ~464,000 birth rows), 165,000 deaths,
155,000 marriages, ~101 million people. Population is scaled like the events, so completeness
(registered / expected) keeps the same level at every scale.

Internally every place is an old (PRE2025, 63-province) code; a row is written in the code list
of its `admin_code_version`, through the 63 -> 34 crosswalk when that is 2025. Rows are streamed
to the CSV files; the MOH notifications that mirror MOJ registrations are written alongside, so
memory stays flat at any scale.

`write_delivery` (and `DeliveryWriter`, its streaming form) writes any delivery folder with a
correct manifest; tests use it for small hand-made (and deliberately bad) deliveries.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from crvs import quarter as quarters
from crvs import reference, settings
from crvs.feeds.contract import AGE_GROUPS, DATASETS

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.0"
REFORM_DATE = date(2025, 7, 1)  # the 63 -> 34 province reform
RE_REGISTRATION_BEFORE = date(2016, 1, 1)  # re-registration only for events registered before the Law

# Per quarter at scale 1.0.
NEW_BIRTHS_PER_QUARTER = 350_000
DEATHS_PER_QUARTER = 165_000
MARRIAGES_PER_QUARTER = 155_000
# At least this many rows per province at any scale (the first rows go round the 34 provinces).
MIN_ROWS_PER_PROVINCE = 3

BIRTH_KINDS = (("NEW", 0.755), ("RE_REGISTRATION", 0.23), ("RECORDED_ABROAD", 0.015))
DEATH_KINDS = (("NEW", 0.97), ("RE_REGISTRATION", 0.022), ("RECORDED_ABROAD", 0.008))
MARRIAGE_KINDS = (("NEW", 0.975), ("RE_REGISTRATION", 0.01), ("RECORDED_ABROAD", 0.015))

TRANSITION_PRE2025_SHARE = 0.05  # MOJ rows of the reform quarter from offices not yet migrated
EMPTY_COMMUNE_SHARE = 0.10
EMPTY_ID_SHARE = 0.03
MOH_BIRTH_LINK_SHARE = 0.90  # of NEW facility births registered within a year
MOH_UNREGISTERED_SHARE = 0.08  # of MOH birth notifications
MOH_STILLBIRTH_SHARE = 0.02  # of MOH birth notifications
MOH_DEATH_LINK_SHARE = 0.50  # of NEW facility deaths registered within a year
TWIN_SHARE = 0.01

# Mid-2024 population by PRE2025 province, thousands (GSO statistical yearbook order of magnitude);
# rescaled to POPULATION_2024 in total.
POPULATION_2024 = 101_100_000
POPULATION_GROWTH = 0.009
NATIONAL_CBR = 14.0  # births per 1,000 a year
NATIONAL_CDR = 6.5  # deaths per 1,000 a year
_PROVINCE_POPULATION_THOUSANDS = {
    "01": 8587,
    "02": 899,
    "04": 543,
    "06": 326,
    "08": 805,
    "10": 770,
    "11": 640,
    "12": 482,
    "14": 1300,
    "15": 848,
    "17": 875,
    "19": 1335,
    "20": 802,
    "22": 1362,
    "24": 1923,
    "25": 1507,
    "26": 1209,
    "27": 1488,
    "30": 1956,
    "31": 2104,
    "33": 1290,
    "34": 1878,
    "35": 878,
    "36": 1888,
    "37": 1010,
    "38": 3760,
    "40": 3442,
    "42": 1323,
    "44": 913,
    "45": 650,
    "46": 1166,
    "48": 1245,
    "49": 1522,
    "51": 1249,
    "52": 1504,
    "54": 878,
    "56": 1258,
    "58": 596,
    "60": 1252,
    "62": 580,
    "64": 1590,
    "66": 1918,
    "67": 670,
    "68": 1332,
    "70": 1025,
    "72": 1188,
    "74": 2763,
    "75": 3310,
    "77": 1187,
    "79": 9456,
    "80": 1735,
    "82": 1790,
    "83": 1298,
    "84": 1019,
    "86": 1028,
    "87": 1600,
    "89": 1905,
    "91": 1750,
    "92": 1258,
    "93": 730,
    "94": 1200,
    "95": 922,
    "96": 1207,
}
# Share of the population by age group (AGE_GROUPS order, both sexes) and the male share in it.
_AGE_SHARE = (7.0, 7.8, 7.6, 6.9, 6.9, 7.3, 7.9, 7.9, 7.3, 6.7, 6.0, 5.4, 4.7, 3.7, 2.6, 1.6, 2.0)
_MALE_SHARE = (0.52, 0.52, 0.52, 0.515, 0.505, 0.505, 0.505, 0.50, 0.50, 0.50, 0.49, 0.48, 0.47, 0.45, 0.43, 0.41, 0.35)

_FAMILY_NAMES = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 3),
    ("Huỳnh", 2),
    ("Phan", 4.5),
    ("Vũ", 2),
    ("Võ", 2),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
    ("Đinh", 0.8),
    ("Trịnh", 0.6),
    ("Lương", 0.5),
    ("Mai", 0.5),
)
_MIDDLE_NAMES = {
    "M": ("Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Gia", "Anh", "Xuân"),
    "F": ("Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Bảo", "Khánh", "Hồng", "Diệu"),
}
_GIVEN_NAMES = {
    "M": (
        "Anh",
        "Bình",
        "Cường",
        "Dũng",
        "Đạt",
        "Hải",
        "Hiếu",
        "Hùng",
        "Huy",
        "Khang",
        "Khoa",
        "Long",
        "Minh",
        "Nam",
        "Nghĩa",
        "Phúc",
        "Quân",
        "Sơn",
        "Tài",
        "Thắng",
        "Thịnh",
        "Trung",
        "Tuấn",
        "Vinh",
    ),
    "F": (
        "Anh",
        "Chi",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hoa",
        "Hương",
        "Lan",
        "Linh",
        "Mai",
        "My",
        "Ngân",
        "Ngọc",
        "Nhung",
        "Oanh",
        "Phương",
        "Quỳnh",
        "Thảo",
        "Trang",
        "Tuyết",
        "Vân",
        "Yến",
    ),
}

_ILL_DEFINED_CAUSES = ("R54", "R99", "R96", "R98", "R68.8", "R09.2", "R57.9")
_CAUSES = (
    "I64",
    "I63.9",
    "I61.9",
    "I21.9",
    "I25.1",
    "I10",
    "I50.9",
    "J44.9",
    "J18.9",
    "C22.0",
    "C34.9",
    "C16.9",
    "C18.9",
    "C50.9",
    "E11.9",
    "N18.5",
    "K74.6",
    "A41.9",
    "A15.0",
    "B20",
    "V89.2",
    "W19",
    "X70",
    "T71",
)
_INFANT_CAUSES = ("P07.3", "P22.0", "P36.9", "Q24.9", "A41.9", "J18.9")
ILL_DEFINED_SHARE = 0.15  # of deaths with a cause
WITH_CAUSE_SHARE = 0.70

# (low, high, weight): age at death in completed years; mother's age at the birth; delays in days.
_DEATH_AGES = (
    (0, 0, 2.0),
    (1, 4, 0.8),
    (5, 14, 1.0),
    (15, 29, 3.0),
    (30, 44, 5.0),
    (45, 59, 13.0),
    (60, 69, 18.0),
    (70, 79, 22.0),
    (80, 89, 25.0),
    (90, 104, 10.0),
)
_MOTHER_AGES = (
    (13, 14, 0.05),
    (15, 19, 5.0),
    (20, 24, 22.0),
    (25, 29, 32.0),
    (30, 34, 25.0),
    (35, 39, 12.0),
    (40, 44, 3.0),
    (45, 49, 0.5),
    (50, 52, 0.05),
)
_NEW_BIRTH_DELAYS = ((0, 60, 85.0), (61, 365, 11.5), (366, 1825, 2.5), (1826, 7300, 1.0))
_NEW_DEATH_DELAYS = ((0, 15, 69.0), (16, 365, 25.0), (366, 1825, 4.0), (1826, 5000, 2.0))

Progress = Callable[[str], None]


class SampleError(ValueError):
    """A wrong argument or inconsistent seed files; the message says which."""


# ---------------------------------------------------------------------------------------------
# Writing deliveries
# ---------------------------------------------------------------------------------------------


class CsvSink:
    """One CSV file of a delivery: header = the dataset's contract columns, rows as dicts."""

    def __init__(self, path: Path, dataset: str):
        if dataset not in DATASETS:
            raise SampleError(f"unknown dataset {dataset!r}; expected one of {sorted(DATASETS)}")
        self.path = path
        self.dataset = dataset
        self.rows = 0
        self._file = path.open("w", encoding="utf-8", newline="")
        # DictWriter writes None as an empty field and raises on a column the contract lacks.
        self._writer = csv.DictWriter(self._file, fieldnames=DATASETS[dataset].column_names, restval="")
        self._writer.writeheader()

    def write(self, row: Mapping[str, object]) -> None:
        try:
            self._writer.writerow(row)
        except ValueError as exc:
            raise SampleError(f"{self.path.name}: row has columns outside {self.dataset}: {exc}") from None
        self.rows += 1

    def close(self) -> None:
        self._file.close()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class DeliveryWriter:
    """Writes a delivery folder file by file, then manifest.json with each file's rows and sha256.

    The manifest is written last, so a folder holding a manifest is complete. Used as a context
    manager; on an exception no manifest is written.
    """

    def __init__(self, folder: Path, manifest_fields: Mapping[str, object]):
        for required in ("agency", "extracted_at", "period_start", "period_end"):
            if required not in manifest_fields:
                raise SampleError(f"manifest_fields for {folder.name} lacks {required!r}")
        self.folder = Path(folder)
        self.manifest_fields = dict(manifest_fields)
        self._sinks: list[CsvSink] = []

    def open(self, name: str, dataset: str) -> CsvSink:
        if any(s.path.name == name for s in self._sinks):
            raise SampleError(f"{self.folder.name}: file {name} opened twice")
        self.folder.mkdir(parents=True, exist_ok=True)
        sink = CsvSink(self.folder / name, dataset)
        self._sinks.append(sink)
        return sink

    def close(self) -> Path:
        for sink in self._sinks:
            sink.close()
        fields = dict(self.manifest_fields)
        manifest = {
            "delivery_id": fields.pop("delivery_id", self.folder.name),
            "agency": fields.pop("agency"),
            "channel": fields.pop("channel", "FILE"),
            "schema_version": fields.pop("schema_version", SCHEMA_VERSION),
            "extracted_at": fields.pop("extracted_at"),
            "period_start": fields.pop("period_start"),
            "period_end": fields.pop("period_end"),
            **fields,
            "files": [
                {"name": s.path.name, "dataset": s.dataset, "rows": s.rows, "sha256": _sha256_of(s.path)}
                for s in self._sinks
            ],
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (self.folder / "manifest.json").write_text(text, encoding="utf-8")
        return self.folder

    def __enter__(self) -> DeliveryWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            for sink in self._sinks:
                sink.close()


def write_delivery(
    folder: Path,
    manifest_fields: Mapping[str, object],
    files: Mapping[str, tuple[str, Sequence[Mapping[str, object]]]],
) -> Path:
    """Write a delivery folder: each file name -> (dataset, rows as {contract column: value}).

    Columns missing from a row are written empty; a column the dataset lacks is an error.
    `manifest_fields` needs agency, extracted_at, period_start and period_end; delivery_id
    (default: the folder name), channel (FILE) and schema_version (1.0) may be given to override.
    The manifest's rows and sha256 are computed from the written files. Returns the folder.
    """
    with DeliveryWriter(folder, manifest_fields) as delivery:
        for name, (dataset, rows) in files.items():
            sink = delivery.open(name, dataset)
            for row in rows:
                sink.write(row)
    return delivery.folder


# ---------------------------------------------------------------------------------------------
# Geography and demography
# ---------------------------------------------------------------------------------------------


def _read_seed(name: str, seeds_dir: Path) -> tuple[dict[str, str], ...]:
    try:
        return reference.read_seed(name, seeds_dir)
    except FileNotFoundError as err:
        raise SampleError(str(err)) from None


@dataclass(frozen=True)
class Geography:
    """The official code lists (dbt seeds) and the 63 -> 34 crosswalk."""

    provinces: dict[str, tuple[str, ...]]  # code_version -> province codes
    communes: dict[tuple[str, str], tuple[str, ...]]  # (code_version, province) -> commune codes
    new_of_old: dict[str, str]
    old_of_new: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, seeds_dir: Path | None = None) -> Geography:
        seeds_dir = Path(seeds_dir or settings.SEEDS_DIR)
        provinces: dict[str, list[str]] = {"PRE2025": [], "2025": []}
        for row in _read_seed("admin_provinces.csv", seeds_dir):
            provinces.setdefault(row["code_version"], []).append(row["province_code"])
        communes: dict[tuple[str, str], list[str]] = {}
        for row in _read_seed("admin_communes.csv", seeds_dir):
            communes.setdefault((row["code_version"], row["province_code"]), []).append(row["commune_code"])
        new_of_old = {
            r["old_province_code"]: r["new_province_code"] for r in _read_seed("province_crosswalk.csv", seeds_dir)
        }
        old_of_new: dict[str, list[str]] = {}
        for old, new in sorted(new_of_old.items()):
            old_of_new.setdefault(new, []).append(old)

        geography = cls(
            {v: tuple(sorted(codes)) for v, codes in provinces.items()},
            {k: tuple(sorted(codes)) for k, codes in communes.items()},
            new_of_old,
            {k: tuple(v) for k, v in old_of_new.items()},
        )
        geography._check()
        return geography

    def _check(self) -> None:
        old, new = set(self.provinces["PRE2025"]), set(self.provinces["2025"])
        problems = []
        if set(self.new_of_old) != old:
            problems.append(f"crosswalk old codes differ from PRE2025 provinces: {sorted(set(self.new_of_old) ^ old)}")
        if set(self.old_of_new) != new:
            problems.append(f"crosswalk new codes differ from 2025 provinces: {sorted(set(self.old_of_new) ^ new)}")
        if set(_PROVINCE_POPULATION_THOUSANDS) != old:
            problems.append(
                "the sample's population table does not cover the PRE2025 provinces: "
                f"{sorted(set(_PROVINCE_POPULATION_THOUSANDS) ^ old)}"
            )
        for version, codes in self.provinces.items():
            problems += [f"no {version} communes for province {c}" for c in codes if (version, c) not in self.communes]
        if problems:
            raise SampleError("seed files do not fit the sample generator: " + "; ".join(problems))

    def province(self, old_code: str, version: str) -> str:
        """An (old) province code as written in the list `version`."""
        return old_code if version == "PRE2025" else self.new_of_old[old_code]

    def commune(self, rng: random.Random, old_code: str, version: str) -> str | None:
        if rng.random() < EMPTY_COMMUNE_SHARE:
            return None
        return rng.choice(self.communes[(version, self.province(old_code, version))])


class Weighted:
    """Draws from a fixed list of items by weight (one uniform draw, a bisect)."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        self.items = tuple(items)
        self._cumulative = []
        total = 0.0
        for w in weights:
            total += w
            self._cumulative.append(total)
        self._total = total

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self._cumulative, rng.random() * self._total)]


def _ranges(table) -> Weighted:
    """A draw of an integer from (low, high, weight) ranges: a range by weight, then uniform in it."""
    pick_range = Weighted([(lo, hi) for lo, hi, _ in table], [w for _, _, w in table])

    def draw(rng: random.Random) -> int:
        lo, hi = pick_range(rng)
        return rng.randint(lo, hi)

    return draw


class Demography:
    """Population and crude rates by PRE2025 province and year; the same for every quarter."""

    def __init__(self, geography: Geography, seed: int):
        self.geography = geography
        self.seed = seed
        factor = POPULATION_2024 / (1000 * sum(_PROVINCE_POPULATION_THOUSANDS.values()))
        self._population_2024 = {c: t * 1000 * factor for c, t in _PROVINCE_POPULATION_THOUSANDS.items()}
        rng = random.Random(f"{seed}:rates")
        codes = sorted(self._population_2024)
        raw_cbr = {c: rng.gauss(0, 2.0) for c in codes}
        raw_cdr = {c: rng.gauss(0, 0.8) for c in codes}
        # Centre the provincial draws so that the national rates are NATIONAL_CBR and NATIONAL_CDR.
        weight = sum(self._population_2024.values())
        mean_cbr = sum(raw_cbr[c] * self._population_2024[c] for c in codes) / weight
        mean_cdr = sum(raw_cdr[c] * self._population_2024[c] for c in codes) / weight
        self._cbr = {c: min(19.5, max(10.5, NATIONAL_CBR + raw_cbr[c] - mean_cbr)) for c in codes}
        self._cdr = {c: min(8.8, max(5.2, NATIONAL_CDR + raw_cdr[c] - mean_cdr)) for c in codes}

    def population(self, old_code: str, year: int) -> float:
        return self._population_2024[old_code] * (1 + POPULATION_GROWTH) ** (year - 2024)

    def rates(self, old_code: str, year: int) -> tuple[float, float]:
        """(CBR, CDR) per 1,000, two decimals; a small yearly wobble around the province's level."""
        rng = random.Random(f"{self.seed}:rates:{year}:{old_code}")
        return (
            round(self._cbr[old_code] + rng.uniform(-0.3, 0.3), 2),
            round(self._cdr[old_code] + rng.uniform(-0.15, 0.15), 2),
        )


class ProvincePicker:
    """Draws an (old) province code by weight; the first `MIN_ROWS_PER_PROVINCE * 34` draws go round
    the 34 provinces so that every one is populated at any scale."""

    def __init__(self, geography: Geography, demography: Demography, year: int, weight: Callable[[str], float]):
        olds = geography.provinces["PRE2025"]
        self._any = Weighted(olds, [weight(c) for c in olds])
        self._new = geography.provinces["2025"]
        self._constituent = {
            new: Weighted(olds_of_new, [demography.population(c, year) for c in olds_of_new])
            for new, olds_of_new in ((n, geography.old_of_new[n]) for n in self._new)
        }
        self.round_robin = MIN_ROWS_PER_PROVINCE * len(self._new)

    def __call__(self, rng: random.Random, row_number: int | None = None) -> str:
        if row_number is not None and row_number < self.round_robin:
            return self._constituent[self._new[row_number % len(self._new)]](rng)
        return self._any(rng)


# ---------------------------------------------------------------------------------------------
# The quarter
# ---------------------------------------------------------------------------------------------


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2025Q3' -> (2025-07-01, 2025-09-30): crvs.quarter's, refusing a bad label as a SampleError."""
    try:
        return quarters.quarter_bounds(quarter)
    except ValueError as err:
        raise SampleError(str(err)) from None


def _timestamp(day: date) -> str:
    return f"{day.isoformat()}T08:00:00+07:00"


def _spread_over_days(n: int, start: date, end: date) -> Iterator[date]:
    """n registration dates, in order, over the working week (Saturday half, Sunday little)."""
    days = [start + timedelta(d) for d in range((end - start).days + 1)]
    weights = [(1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.1)[d.weekday()] for d in days]
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    # Largest remainders get the rows left over; ties go to the earlier day.
    for i in sorted(range(len(days)), key=lambda i: (counts[i] - exact[i], i))[: n - sum(counts)]:
        counts[i] += 1
    for day, count in zip(days, counts):
        yield from [day] * count


class Quarter:
    """Everything the generators of one quarter share."""

    def __init__(self, quarter: str, scale: float, seed: int, geography: Geography):
        if not isinstance(scale, (int, float)) or not scale > 0:
            raise SampleError(f"scale must be a positive number, got {scale!r}")
        self.label = quarter
        self.start, self.end = quarter_bounds(quarter)
        self.year = self.start.year
        self.scale = float(scale)
        self.seed = seed
        self.geo = geography
        self.demo = Demography(geography, seed)
        self.moj_extracted = self.end + timedelta(days=5)
        self.moh_extracted = self.end + timedelta(days=3)
        year = self.year
        self.birth_place = ProvincePicker(
            geography, self.demo, year, lambda c: self.demo.population(c, year) * self.demo.rates(c, year)[0]
        )
        self.death_place = ProvincePicker(
            geography, self.demo, year, lambda c: self.demo.population(c, year) * self.demo.rates(c, year)[1]
        )
        self.people_place = ProvincePicker(geography, self.demo, year, lambda c: self.demo.population(c, year))

    def rng(self, stream: str) -> random.Random:
        # A str seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
        return random.Random(f"{self.seed}:{self.label}:{stream}")

    def rows(self, per_quarter: float) -> int:
        return max(round(per_quarter * self.scale), self.birth_place.round_robin)

    def moj_version(self, rng: random.Random, registration_date: date) -> str:
        if registration_date < REFORM_DATE:
            return "PRE2025"
        if self.start <= REFORM_DATE <= self.end and rng.random() < TRANSITION_PRE2025_SHARE:
            return "PRE2025"
        return "2025"


def event_version(event_date: date) -> str:
    return "PRE2025" if event_date < REFORM_DATE else "2025"


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------

_family_name = Weighted([n for n, _ in _FAMILY_NAMES], [w for _, w in _FAMILY_NAMES])
_mother_age = _ranges(_MOTHER_AGES)
_death_age = _ranges(_DEATH_AGES)
_new_birth_delay = _ranges(_NEW_BIRTH_DELAYS)
_new_death_delay = _ranges(_NEW_DEATH_DELAYS)
_NEW_PLACE = Weighted(("FACILITY", "HOME", "OTHER"), (93.0, 5.5, 1.5))
_OLD_PLACE = Weighted(("FACILITY", "HOME", "OTHER"), (70.0, 27.0, 3.0))  # events before 2016
_DEATH_PLACE = Weighted(("FACILITY", "HOME", "OTHER"), (40.0, 55.0, 5.0))


def _full_name(rng: random.Random, sex: str) -> str:
    if sex not in ("M", "F"):
        sex = rng.choice("MF")
    return f"{_family_name(rng)} {rng.choice(_MIDDLE_NAMES[sex])} {rng.choice(_GIVEN_NAMES[sex])}"


def _citizen_id(rng: random.Random, old_province: str, birth_year: int, sex: str, empty_share: float) -> str | None:
    """12 digits: 3-digit (old) province, century/sex digit, 2-digit birth year, 6 random digits.

    The century digit starts at the 1900s, so people born before 1900 have no number."""
    if rng.random() < empty_share or birth_year < 1900:
        return None
    if sex not in ("M", "F"):
        sex = rng.choice("MF")
    century_digit = 2 * ((birth_year // 100) - 19) + (1 if sex == "F" else 0)
    return f"{int(old_province):03d}{century_digit}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"


def _born_aged(rng: random.Random, event: date, age_years: int) -> date:
    """A birth date giving `age_years` completed years at `event`."""
    return event - timedelta(days=int(age_years * 365.2425) + rng.randrange(365))


def _birth_sex(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.003:
        return "U"
    return "M" if r < 0.003 + 0.997 * 111 / 211 else "F"


def _flag(rng: random.Random, share: float) -> str:
    return "1" if rng.random() < share else "0"


def _date(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _record_id(prefix: str, quarter: str, seq: int) -> str:
    return f"{prefix}-{quarter}-{seq:07d}"


def _facility_code(rng: random.Random, province_code: str) -> str:
    return f"F{province_code}{rng.randint(1, 60):04d}"


# ---------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------


def _registration(
    q: Quarter, rng: random.Random, prefix: str, seq: int, kind: str, reg_date: date, reg_old: str, version: str
) -> dict[str, object]:
    return {
        "record_id": _record_id(prefix, q.label, seq),
        "record_version": "1",
        "record_status": "ACTIVE",
        "reg_kind": kind,
        "registration_date": reg_date.isoformat(),
        "reg_province_code": q.geo.province(reg_old, version),
        "reg_commune_code": q.geo.commune(rng, reg_old, version),
        "admin_code_version": version,
    }


def _write_births(q: Quarter, moj: CsvSink, moh: CsvSink) -> None:
    rng, moh_rng = q.rng("moj_births"), q.rng("moh_births")
    kinds = Weighted([k for k, _ in BIRTH_KINDS], [w for _, w in BIRTH_KINDS])
    n = q.rows(NEW_BIRTHS_PER_QUARTER / dict(BIRTH_KINDS)["NEW"])
    seq = moh_seq = 0

    def moh_notification(
        birth_date: date,
        sex: str,
        facility_old: str,
        mother_id,
        mother_birth: date | None,
        residence_old: str,
        outcome: str = "LIVE",
    ) -> None:
        nonlocal moh_seq
        moh_seq += 1
        version = event_version(birth_date)
        facility_province = q.geo.province(facility_old, version)
        if outcome == "LIVE":
            weight = min(5500, max(1000, int(moh_rng.gauss(3150, 450))))
            weeks = min(44, max(26, round(moh_rng.gauss(38.8, 1.6))))
        else:
            weight = min(4500, max(200, int(moh_rng.gauss(1800, 900))))
            weeks = moh_rng.randint(20, 42)
        moh.write(
            {
                "notification_id": _record_id("GCS", q.label, moh_seq),
                "facility_code": _facility_code(moh_rng, facility_province),
                "facility_province_code": facility_province,
                "admin_code_version": version,
                "birth_date": birth_date.isoformat(),
                "sex": sex,
                "outcome": outcome,
                "birth_weight_g": weight if moh_rng.random() < 0.96 else None,
                "gestation_weeks": weeks if moh_rng.random() < 0.92 else None,
                "mother_id": mother_id,
                "mother_birth_date": _date(mother_birth),
                "mother_residence_province_code": q.geo.province(residence_old, version),
            }
        )

    def unregistered_notification(outcome: str) -> None:
        birth_date = q.start + timedelta(days=moh_rng.randrange((q.end - q.start).days + 1))
        residence = q.birth_place(moh_rng)
        mother_age = _mother_age(moh_rng)
        mother_birth = _born_aged(moh_rng, birth_date, mother_age)
        sex = _birth_sex(moh_rng) if outcome == "LIVE" or moh_rng.random() < 0.9 else "U"
        moh_notification(
            birth_date,
            sex,
            residence,
            _citizen_id(moh_rng, residence, mother_birth.year, "F", 0.10),
            mother_birth if moh_rng.random() > 0.05 else None,
            residence,
            outcome,
        )

    for i, reg_date in enumerate(_spread_over_days(n, q.start, q.end)):
        kind = kinds(rng)
        residence = q.birth_place(rng, i)
        reg_old = residence if i < q.birth_place.round_robin or rng.random() < 0.96 else q.people_place(rng)
        version = q.moj_version(rng, reg_date)
        if kind == "NEW":
            birth_date = reg_date - timedelta(days=_new_birth_delay(rng))
            place = _NEW_PLACE(rng)
            missing_mother_birth = 0.02
        elif kind == "RE_REGISTRATION":
            span = (min(RE_REGISTRATION_BEFORE, reg_date) - date(1955, 1, 1)).days
            birth_date = date(1955, 1, 1) + timedelta(days=rng.randrange(span))
            place = _OLD_PLACE(rng)
            missing_mother_birth = 0.20
        else:
            birth_date = reg_date - timedelta(days=rng.randint(30, 1500))
            place = "ABROAD"
            missing_mother_birth = 0.05
        birth_old = None if place == "ABROAD" else (residence if rng.random() < 0.92 else q.people_place(rng))
        mother_birth = _born_aged(rng, birth_date, _mother_age(rng))
        mother_id = _citizen_id(rng, residence, mother_birth.year, "F", EMPTY_ID_SHARE)
        mother_name = _full_name(rng, "F")
        mother_birth_written = None if rng.random() < missing_mother_birth else mother_birth
        foreign = "1" if place == "ABROAD" else _flag(rng, 0.006)
        sex = _birth_sex(rng)
        children = 2 if kind == "NEW" and rng.random() < TWIN_SHARE else 1
        sexes = [sex] if children == 1 else [sex, sex if rng.random() < 0.7 else ("F" if sex == "M" else "M")]
        for child_sex in sexes:
            seq += 1
            row = _registration(q, rng, "KS", seq, kind, reg_date, reg_old, version)
            row.update(
                {
                    "child_id": _citizen_id(rng, birth_old or residence, birth_date.year, child_sex, EMPTY_ID_SHARE),
                    "child_name": _full_name(rng, child_sex),
                    "sex": child_sex,
                    "birth_date": birth_date.isoformat(),
                    "place_of_birth": place,
                    "birth_province_code": q.geo.province(birth_old, version) if birth_old else None,
                    "mother_id": mother_id,
                    "mother_name": mother_name,
                    "mother_birth_date": _date(mother_birth_written),
                    "mother_residence_province_code": q.geo.province(residence, version),
                    "foreign_element": foreign,
                }
            )
            moj.write(row)

        # MOH notifies facility births when they happen; it mirrors the registrations of the last year.
        recent = (reg_date - birth_date).days <= 365
        if kind == "NEW" and place == "FACILITY" and recent and moh_rng.random() < MOH_BIRTH_LINK_SHARE:
            for child_sex in sexes:
                moh_notification(birth_date, child_sex, birth_old, mother_id, mother_birth_written, residence)
                if moh_rng.random() < MOH_UNREGISTERED_SHARE / MOH_BIRTH_LINK_SHARE:
                    unregistered_notification("LIVE")
                if moh_rng.random() < MOH_STILLBIRTH_SHARE / MOH_BIRTH_LINK_SHARE:
                    unregistered_notification("STILLBIRTH")


def _cause(rng: random.Random, age_years: int | None) -> str | None:
    if rng.random() >= WITH_CAUSE_SHARE:
        return None
    if rng.random() < ILL_DEFINED_SHARE:
        return rng.choice(_ILL_DEFINED_CAUSES)
    return rng.choice(_INFANT_CAUSES if age_years == 0 else _CAUSES)


def _write_deaths(q: Quarter, moj: CsvSink, moh: CsvSink) -> None:
    rng, moh_rng = q.rng("moj_deaths"), q.rng("moh_deaths")
    kinds = Weighted([k for k, _ in DEATH_KINDS], [w for _, w in DEATH_KINDS])
    moh_seq = 0
    for i, reg_date in enumerate(_spread_over_days(q.rows(DEATHS_PER_QUARTER), q.start, q.end)):
        kind = kinds(rng)
        residence = q.death_place(rng, i)
        reg_old = residence if i < q.death_place.round_robin or rng.random() < 0.95 else q.people_place(rng)
        version = q.moj_version(rng, reg_date)
        if kind == "NEW":
            death_date = reg_date - timedelta(days=_new_death_delay(rng))
            place = _DEATH_PLACE(rng)
        elif kind == "RE_REGISTRATION":
            span = (min(RE_REGISTRATION_BEFORE, reg_date) - date(1975, 1, 1)).days
            death_date = date(1975, 1, 1) + timedelta(days=rng.randrange(span))
            place = _DEATH_PLACE(rng)
        else:
            death_date = reg_date - timedelta(days=rng.randint(20, 700))
            place = "ABROAD"
        r = rng.random()
        sex = "U" if r < 0.002 else ("M" if r < 0.552 else "F")
        age = _death_age(rng)
        birth_date = death_date - timedelta(days=rng.randrange(365)) if age == 0 else _born_aged(rng, death_date, age)
        birth_written = None if rng.random() < 0.05 else birth_date
        death_old = None if place == "ABROAD" else (residence if rng.random() < 0.93 else q.people_place(rng))
        cause = _cause(rng, age)
        certified_share = 0.75 if place == "FACILITY" else 0.45
        certified = "1" if cause and rng.random() < certified_share else "0"
        deceased_id = _citizen_id(rng, residence, birth_date.year, sex, EMPTY_ID_SHARE)
        row = _registration(q, rng, "KT", i + 1, kind, reg_date, reg_old, version)
        row.update(
            {
                "deceased_id": deceased_id,
                "deceased_name": _full_name(rng, sex),
                "sex": sex,
                "birth_date": _date(birth_written),
                "death_date": death_date.isoformat(),
                "place_of_death": place,
                "death_province_code": q.geo.province(death_old, version) if death_old else None,
                "residence_province_code": q.geo.province(residence, version),
                "cause_icd10": cause,
                "cause_certified": certified,
                "foreign_element": "1" if place == "ABROAD" else _flag(rng, 0.003),
            }
        )
        moj.write(row)

        recent = (reg_date - death_date).days <= 365
        if kind == "NEW" and place == "FACILITY" and recent and moh_rng.random() < MOH_DEATH_LINK_SHARE:
            moh_seq += 1
            moh_version = event_version(death_date)
            facility_province = q.geo.province(death_old, moh_version)
            moh.write(
                {
                    "notification_id": _record_id("GBT", q.label, moh_seq),
                    "facility_code": _facility_code(moh_rng, facility_province),
                    "facility_province_code": facility_province,
                    "admin_code_version": moh_version,
                    "death_date": death_date.isoformat(),
                    "deceased_id": deceased_id,
                    "sex": sex,
                    "birth_date": _date(birth_written),
                    "underlying_cause_icd10": cause if moh_rng.random() < 0.9 else None,
                    "certified": certified,
                }
            )


def _write_marriages(q: Quarter, moj: CsvSink) -> None:
    rng = q.rng("moj_marriages")
    kinds = Weighted([k for k, _ in MARRIAGE_KINDS], [w for _, w in MARRIAGE_KINDS])
    statuses = {
        True: Weighted(("NEVER", "DIVORCED", "WIDOWED"), (97.0, 2.5, 0.5)),
        False: Weighted(("NEVER", "DIVORCED", "WIDOWED"), (75.0, 20.0, 5.0)),
    }

    def spouse(sex: str, reg_date: date, reg_old: str) -> dict[str, object]:
        if sex == "M":
            age = rng.randint(18, 19) if rng.random() < 0.008 else min(75, max(20, round(rng.gauss(28, 5))))
        else:
            age = rng.randint(16, 17) if rng.random() < 0.005 else min(70, max(18, round(rng.gauss(24.5, 4.5))))
        birth = _born_aged(rng, reg_date, age)
        home = reg_old if rng.random() < 0.9 else q.people_place(rng)
        return {
            "id": _citizen_id(rng, home, birth.year, sex, EMPTY_ID_SHARE),
            "name": _full_name(rng, sex),
            "sex": sex,
            "birth_date": birth.isoformat(),
            "prev_status": statuses[age < 30](rng),
        }

    for i, reg_date in enumerate(_spread_over_days(q.rows(MARRIAGES_PER_QUARTER), q.start, q.end)):
        kind = kinds(rng)
        reg_old = q.people_place(rng, i)
        version = q.moj_version(rng, reg_date)
        groom, bride = spouse("M", reg_date, reg_old), spouse("F", reg_date, reg_old)
        first, second = (bride, groom) if rng.random() < 0.3 else (groom, bride)
        row = _registration(q, rng, "KH", i + 1, kind, reg_date, reg_old, version)
        for n, person in (("spouse1", first), ("spouse2", second)):
            row.update({f"{n}_{field}": value for field, value in person.items()})
        row["foreign_element"] = "1" if kind == "RECORDED_ABROAD" else _flag(rng, 0.04)
        moj.write(row)


def _write_population(q: Quarter, year: int, population: CsvSink, rates: CsvSink) -> None:
    """GSO areas are the PRE2025 provinces up to 2025 and the 2025 provinces after."""
    rng = random.Random(f"{q.seed}:gso:{year}")
    version = "PRE2025" if year <= REFORM_DATE.year else "2025"
    for area in q.geo.provinces[version]:
        olds = [area] if version == "PRE2025" else q.geo.old_of_new[area]
        persons = sum(q.demo.population(c, year) for c in olds) * q.scale
        area_rates = [q.demo.rates(c, year) for c in olds]
        weights = [q.demo.population(c, year) for c in olds]
        cbr = sum(r[0] * w for r, w in zip(area_rates, weights)) / sum(weights)
        cdr = sum(r[1] * w for r, w in zip(area_rates, weights)) / sum(weights)
        rates.write(
            {
                "year": year,
                "province_code": area,
                "admin_code_version": version,
                "crude_birth_rate": f"{cbr:.2f}",
                "crude_death_rate": f"{cdr:.2f}",
            }
        )
        shares = [s * rng.uniform(0.95, 1.05) for s in _AGE_SHARE]
        total_share = sum(shares)
        for sex in ("M", "F"):
            for group, share, male in zip(AGE_GROUPS, shares, _MALE_SHARE):
                sex_share = male if sex == "M" else 1 - male
                population.write(
                    {
                        "year": year,
                        "province_code": area,
                        "admin_code_version": version,
                        "sex": sex,
                        "age_group": group,
                        "population": round(persons * share / total_share * sex_share),
                    }
                )


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------


def generate_quarter(
    quarter: str,
    scale: float,
    out: Path,
    seed: int = 20250,
    progress: Progress | None = None,
    seeds_dir: Path | None = None,
) -> list[Path]:
    """Write the MOJ, MOH and GSO deliveries of `quarter` (e.g. '2025Q3') under `out`.

    Returns the delivery folders written: MOJ-<Q>-0001, MOH-<Q>-0001, GSO-<YEAR>-0001. The GSO
    delivery of a year is the same for every quarter of that year (same bytes). `progress`
    receives one line per file written (default: logging at INFO).
    """
    geography = Geography.load(seeds_dir)
    q = Quarter(quarter, scale, seed, geography)
    out = Path(out)

    def report(sink: CsvSink) -> None:
        message = f"{sink.path.parent.name}/{sink.path.name}: {sink.rows:,} rows"
        log.info(message)
        if progress:
            progress(message)

    period = {"period_start": q.start.isoformat(), "period_end": q.end.isoformat()}
    moj = DeliveryWriter(
        out / f"MOJ-{quarter}-0001", {"agency": "MOJ", "extracted_at": _timestamp(q.moj_extracted), **period}
    )
    moh = DeliveryWriter(
        out / f"MOH-{quarter}-0001", {"agency": "MOH", "extracted_at": _timestamp(q.moh_extracted), **period}
    )
    with moj, moh:
        births, moh_births = moj.open("births.csv", "moj_births"), moh.open("births.csv", "moh_births")
        _write_births(q, births, moh_births)
        report(births), report(moh_births)
        deaths, moh_deaths = moj.open("deaths.csv", "moj_deaths"), moh.open("deaths.csv", "moh_deaths")
        _write_deaths(q, deaths, moh_deaths)
        report(deaths), report(moh_deaths)
        marriages = moj.open("marriages.csv", "moj_marriages")
        _write_marriages(q, marriages)
        report(marriages)

    year = q.year
    # One extraction date for the whole year (the end of its first quarter + 1 day), so every
    # quarter of the year writes the identical GSO delivery.
    gso = DeliveryWriter(
        out / f"GSO-{year}-0001",
        {
            "agency": "GSO",
            "extracted_at": _timestamp(date(year, 4, 1)),
            "period_start": date(year, 1, 1).isoformat(),
            "period_end": date(year, 12, 31).isoformat(),
        },
    )
    with gso:
        population, rates = gso.open("population.csv", "gso_population"), gso.open("vital_rates.csv", "gso_vital_rates")
        _write_population(q, year, population, rates)
        report(population), report(rates)
    return [moj.folder, moh.folder, gso.folder]
