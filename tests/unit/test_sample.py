"""The synthetic deliveries follow the feed contract and have the shape later figures rely on.

No database: the files are read back with the csv module and checked against the contract and the
official code lists (read here straight from the seed files). Expected shares come from the brief
of the sample (e.g. ~85 % of NEW births registered within 60 days), with ranges wide enough for
sampling noise at scale 0.01 (a few thousand rows).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from crvs import settings
from crvs.devtools.sample import SampleError, generate_quarter, quarter_bounds, write_delivery
from crvs.feeds.contract import AGE_GROUPS, DATASETS

QUARTER = "2025Q3"
SCALE = 0.01


def _seed(name: str) -> list[dict[str, str]]:
    with (settings.SEEDS_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


PROVINCES = {
    v: {r["province_code"] for r in _seed("admin_provinces.csv") if r["code_version"] == v} for v in ("PRE2025", "2025")
}
COMMUNE_PROVINCE = {(r["code_version"], r["commune_code"]): r["province_code"] for r in _seed("admin_communes.csv")}
CROSSWALK = {r["old_province_code"]: r["new_province_code"] for r in _seed("province_crosswalk.csv")}


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    return _read(folder / name)[1]


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _new_province(row: dict[str, str], column: str) -> str:
    code = row[column]
    return CROSSWALK[code] if row["admin_code_version"] == "PRE2025" else code


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("sample")
    lines: list[str] = []
    folders = generate_quarter(QUARTER, SCALE, out, progress=lines.append)
    assert len(lines) == 7  # one progress line per file
    return {f.name.split("-")[0]: f for f in folders}


@pytest.fixture(scope="module")
def moj_births(deliveries):
    return _rows(deliveries["MOJ"], "births.csv")


@pytest.fixture(scope="module")
def moj_deaths(deliveries):
    return _rows(deliveries["MOJ"], "deaths.csv")


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


# --- the delivery shape ------------------------------------------------------------------------


def test_folders_and_manifests(deliveries):
    assert sorted(f.name for f in deliveries.values()) == ["GSO-2025-0001", "MOH-2025Q3-0001", "MOJ-2025Q3-0001"]
    expected = {
        "MOJ": (
            "2025-10-05T08:00:00+07:00",
            "2025-07-01",
            "2025-09-30",
            [("births.csv", "moj_births"), ("deaths.csv", "moj_deaths"), ("marriages.csv", "moj_marriages")],
        ),
        "MOH": (
            "2025-10-03T08:00:00+07:00",
            "2025-07-01",
            "2025-09-30",
            [("births.csv", "moh_births"), ("deaths.csv", "moh_deaths")],
        ),
        "GSO": (
            "2025-04-01T08:00:00+07:00",
            "2025-01-01",
            "2025-12-31",
            [("population.csv", "gso_population"), ("vital_rates.csv", "gso_vital_rates")],
        ),
    }
    for agency, folder in deliveries.items():
        manifest = _manifest(folder)
        extracted_at, start, end, files = expected[agency]
        assert manifest["delivery_id"] == folder.name
        assert (manifest["agency"], manifest["channel"], manifest["schema_version"]) == (agency, "FILE", "1.0")
        assert manifest["extracted_at"] == extracted_at
        assert (manifest["period_start"], manifest["period_end"]) == (start, end)
        assert [(f["name"], f["dataset"]) for f in manifest["files"]] == files
        assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json"] + [n for n, _ in files])


def test_manifest_rows_and_sha256_match_the_files(deliveries):
    for folder in deliveries.values():
        for entry in _manifest(folder)["files"]:
            data = (folder / entry["name"]).read_bytes()
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert entry["rows"] == len(_rows(folder, entry["name"])) > 0


def test_headers_are_the_contract_columns_and_files_are_rfc4180(deliveries):
    for folder in deliveries.values():
        for entry in _manifest(folder)["files"]:
            header, _ = _read(folder / entry["name"])
            assert tuple(header) == DATASETS[entry["dataset"]].column_names
            data = (folder / entry["name"]).read_bytes()
            assert data.endswith(b"\r\n") and not data.startswith(b"\xef\xbb\xbf")
            data.decode("utf-8")


_ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9])?")


def _check_value(column, row: dict[str, str]) -> str | None:
    """None when the value obeys its contract column, else what is wrong."""
    value = row[column.name]
    if value == "":
        return "required but empty" if column.required else None
    version = row.get("admin_code_version")
    kind = column.kind
    if kind == "enum" and value not in column.values:
        return f"{value!r} not in {column.values}"
    if kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return f"{value!r} is not YYYY-MM-DD"
        _day(value)
    if kind == "int":
        if not re.fullmatch(r"-?\d+", value):
            return f"{value!r} is not an integer"
        if column.minimum is not None and int(value) < column.minimum:
            return f"{value} < {column.minimum}"
        if column.maximum is not None and int(value) > column.maximum:
            return f"{value} > {column.maximum}"
    if kind == "bool" and value not in ("0", "1"):
        return f"{value!r} is not 0/1"
    if kind == "pid" and not re.fullmatch(r"\d{12}", value):
        return f"{value!r} is not 12 digits"
    if kind == "province" and value not in PROVINCES[version]:
        return f"{value!r} is not a {version} province"
    if kind == "commune":
        province = COMMUNE_PROVINCE.get((version, value))
        if province is None:
            return f"{value!r} is not a {version} commune"
        if province != row["reg_province_code"]:
            return f"commune {value} is in province {province}, not {row['reg_province_code']}"
    if kind == "icd10" and not _ICD10.fullmatch(value):
        return f"{value!r} is not an ICD-10 code"
    if kind == "numeric" and not re.fullmatch(r"\d+\.\d{2}", value):
        return f"{value!r} is not a number with two decimals"
    return None


def test_every_value_obeys_its_contract_column(deliveries):
    problems = Counter()
    for folder in deliveries.values():
        for entry in _manifest(folder)["files"]:
            dataset = DATASETS[entry["dataset"]]
            for row in _rows(folder, entry["name"]):
                for column in dataset.columns:
                    problem = _check_value(column, row)
                    if problem:
                        problems[f"{dataset.name}.{column.name}: {problem}"] += 1
    assert not problems, problems.most_common(10)


def test_record_ids_are_unique(deliveries):
    for folder in (deliveries["MOJ"], deliveries["MOH"]):
        for entry in _manifest(folder)["files"]:
            key = DATASETS[entry["dataset"]].key[0]
            ids = [r[key] for r in _rows(folder, entry["name"])]
            assert len(ids) == len(set(ids))


def test_dates_are_ordered(deliveries, moj_births, moj_deaths):
    start, end = date(2025, 7, 1), date(2025, 9, 30)
    moj_extracted = datetime.fromisoformat(_manifest(deliveries["MOJ"])["extracted_at"]).date()
    for row in moj_births:
        registered = _day(row["registration_date"])
        assert start <= registered <= end < moj_extracted
        assert _day(row["birth_date"]) <= registered
        if row["mother_birth_date"]:
            assert _day(row["mother_birth_date"]) < _day(row["birth_date"])
        assert (row["place_of_birth"] == "ABROAD") == (row["birth_province_code"] == "")
    for row in moj_deaths:
        registered = _day(row["registration_date"])
        assert start <= registered <= end
        assert _day(row["death_date"]) <= registered
        if row["birth_date"]:
            assert _day(row["birth_date"]) <= _day(row["death_date"])
        assert (row["place_of_death"] == "ABROAD") == (row["death_province_code"] == "")
    for row in _rows(deliveries["MOJ"], "marriages.csv"):
        assert start <= _day(row["registration_date"]) <= end
        assert _day(row["spouse1_birth_date"]) < _day(row["registration_date"])
        assert _day(row["spouse2_birth_date"]) < _day(row["registration_date"])
    moh_extracted = datetime.fromisoformat(_manifest(deliveries["MOH"])["extracted_at"]).date()
    assert all(_day(r["birth_date"]) <= moh_extracted for r in _rows(deliveries["MOH"], "births.csv"))
    for row in _rows(deliveries["MOH"], "deaths.csv"):
        assert _day(row["death_date"]) <= moh_extracted
        assert not row["birth_date"] or _day(row["birth_date"]) <= _day(row["death_date"])


def test_names_are_present_and_vietnamese(deliveries, moj_births, moj_deaths):
    marriages = _rows(deliveries["MOJ"], "marriages.csv")
    names = (
        [r["child_name"] for r in moj_births]
        + [r["mother_name"] for r in moj_births]
        + [r["deceased_name"] for r in moj_deaths]
        + [r[c] for r in marriages for c in ("spouse1_name", "spouse2_name")]
    )
    assert all(len(name.split()) == 3 for name in names)
    assert Counter(n.split()[0] for n in names).most_common(1)[0][0] == "Nguyễn"


def test_citizen_ids_embed_birth_year_and_sex(moj_births):
    ids = [r["mother_id"] for r in moj_births if r["mother_id"]]
    assert 0.955 < len(ids) / len(moj_births) < 0.985  # ~3 % empty
    for row in moj_births:
        if row["mother_id"] and row["mother_birth_date"]:
            born = _day(row["mother_birth_date"])
            century_digit = 2 * (born.year // 100 - 19) + 1  # women: 1 (1900s), 3 (2000s)
            assert row["mother_id"][3:6] == f"{century_digit}{born.year % 100:02d}"


# --- geography ---------------------------------------------------------------------------------


def test_transition_quarter_mixes_code_lists(moj_births, moj_deaths):
    rows = moj_births + moj_deaths
    pre2025 = sum(r["admin_code_version"] == "PRE2025" for r in rows) / len(rows)
    assert 0.03 < pre2025 < 0.07  # ~5 % late-migrated offices


def test_every_new_province_has_births(moj_births):
    registered_in = Counter(_new_province(r, "reg_province_code") for r in moj_births)
    residence = Counter(_new_province(r, "mother_residence_province_code") for r in moj_births)
    assert set(registered_in) == set(residence) == PROVINCES["2025"]
    assert min(registered_in.values()) >= 3


def test_communes_present_for_about_nine_in_ten(moj_births):
    with_commune = sum(bool(r["reg_commune_code"]) for r in moj_births) / len(moj_births)
    assert 0.86 < with_commune < 0.94


def test_quarters_before_and_after_the_reform(tmp_path):
    before = {f.name: f for f in generate_quarter("2024Q4", 0.002, tmp_path / "before")}
    births = _rows(before["MOJ-2024Q4-0001"], "births.csv")
    assert {r["admin_code_version"] for r in births} == {"PRE2025"}
    assert {r["province_code"] for r in _rows(before["GSO-2024-0001"], "vital_rates.csv")} == PROVINCES["PRE2025"]

    after = {f.name: f for f in generate_quarter("2026Q1", 0.002, tmp_path / "after")}
    births = _rows(after["MOJ-2026Q1-0001"], "births.csv")
    assert {r["admin_code_version"] for r in births} == {"2025"}
    moh = _rows(after["MOH-2026Q1-0001"], "births.csv")
    assert {r["admin_code_version"] for r in moh} == {"PRE2025", "2025"}  # births before/after 1 July 2025
    assert all((r["admin_code_version"] == "2025") == (r["birth_date"] >= "2025-07-01") for r in moh)
    rates = _rows(after["GSO-2026-0001"], "vital_rates.csv")
    assert {r["province_code"] for r in rates} == PROVINCES["2025"]
    assert {r["admin_code_version"] for r in rates} == {"2025"}


# --- volumes and shares ------------------------------------------------------------------------


def test_volumes_at_scale_one_percent(deliveries, moj_births, moj_deaths):
    kinds = Counter(r["reg_kind"] for r in moj_births)
    assert 3_300 <= kinds["NEW"] <= 3_700  # ~350 k NEW births a quarter at scale 1
    assert 0.20 < kinds["RE_REGISTRATION"] / len(moj_births) < 0.26
    assert 0.008 < kinds["RECORDED_ABROAD"] / len(moj_births) < 0.025
    assert len(moj_deaths) == 1_650  # 165 k deaths
    assert len(_rows(deliveries["MOJ"], "marriages.csv")) == 1_550  # 155 k marriages
    population = sum(int(r["population"]) for r in _rows(deliveries["GSO"], "population.csv"))
    assert 1_000_000 < population < 1_030_000  # ~101.5 M in 2025, scaled


def test_population_cells_and_rates(deliveries):
    population = _rows(deliveries["GSO"], "population.csv")
    assert len(population) == 63 * 2 * len(AGE_GROUPS)
    assert {(r["sex"], r["age_group"]) for r in population} == {(s, a) for s in "MF" for a in AGE_GROUPS}
    assert all(int(r["population"]) > 0 for r in population)
    for row in _rows(deliveries["GSO"], "vital_rates.csv"):
        assert 10 <= float(row["crude_birth_rate"]) <= 20
        assert 5 <= float(row["crude_death_rate"]) <= 9


def test_registered_births_and_deaths_are_near_the_expected(deliveries, moj_births, moj_deaths):
    """Completeness stays plausible: NEW registrations of a quarter against CBR x population / 4."""
    population = Counter()
    for row in _rows(deliveries["GSO"], "population.csv"):
        population[row["province_code"]] += int(row["population"])
    rates = _rows(deliveries["GSO"], "vital_rates.csv")
    share_of_year = 92 / 365
    expected_births = sum(float(r["crude_birth_rate"]) / 1000 * population[r["province_code"]] for r in rates)
    expected_deaths = sum(float(r["crude_death_rate"]) / 1000 * population[r["province_code"]] for r in rates)
    new_births = sum(r["reg_kind"] == "NEW" for r in moj_births)
    new_deaths = sum(r["reg_kind"] == "NEW" for r in moj_deaths)
    assert 0.9 < new_births / (expected_births * share_of_year) < 1.1
    assert 0.85 < new_deaths / (expected_deaths * share_of_year) < 1.1


def test_birth_shares(moj_births):
    new = [r for r in moj_births if r["reg_kind"] == "NEW"]
    delays = [(_day(r["registration_date"]) - _day(r["birth_date"])).days for r in new]
    assert 0.82 < sum(d <= 60 for d in delays) / len(new) < 0.88
    assert any(61 <= d <= 365 for d in delays)
    assert any(366 <= d <= 1825 for d in delays)
    assert any(d > 1825 for d in delays)
    sex = Counter(r["sex"] for r in moj_births)
    assert 1.01 < sex["M"] / sex["F"] < 1.21  # ~111 M per 100 F (sd ~0.03 at this size)
    assert sex["U"] < 0.01 * len(moj_births)
    domestic = [r for r in moj_births if r["reg_kind"] != "RECORDED_ABROAD"]
    assert all(r["place_of_birth"] != "ABROAD" for r in domestic)
    assert all(r["place_of_birth"] == "ABROAD" for r in moj_births if r["reg_kind"] == "RECORDED_ABROAD")
    assert 0.90 < sum(r["place_of_birth"] == "FACILITY" for r in new) / len(new) < 0.96
    assert all(r["birth_date"] < "2016-01-01" for r in moj_births if r["reg_kind"] == "RE_REGISTRATION")
    assert {(r["record_status"], r["record_version"]) for r in moj_births} == {("ACTIVE", "1")}
    foreign = sum(r["foreign_element"] == "1" for r in domestic) / len(domestic)
    assert 0.001 < foreign < 0.015


def test_mothers_ages(moj_births):
    ages = []
    for r in moj_births:
        if r["mother_birth_date"]:
            born, birth = _day(r["mother_birth_date"]), _day(r["birth_date"])
            ages.append(birth.year - born.year - ((birth.month, birth.day) < (born.month, born.day)))
    assert 0.99 < sum(15 <= a <= 49 for a in ages) / len(ages) < 1
    assert min(ages) >= 12 and max(ages) <= 53


def test_death_shares(moj_deaths):
    new = [r for r in moj_deaths if r["reg_kind"] == "NEW"]
    on_time = sum((_day(r["registration_date"]) - _day(r["death_date"])).days <= 15 for r in new)
    assert 0.64 < on_time / len(new) < 0.74  # ~69 %
    ages = [(_day(r["death_date"]) - _day(r["birth_date"])).days / 365.25 for r in moj_deaths if r["birth_date"]]
    assert 0.03 < 1 - len(ages) / len(moj_deaths) < 0.07  # ~5 % without birth date
    assert 64 < sum(ages) / len(ages) < 74
    assert sum(a < 1 for a in ages) > 10  # infants
    assert 0.51 < sum(r["sex"] == "M" for r in moj_deaths) / len(moj_deaths) < 0.59
    causes = [r["cause_icd10"] for r in moj_deaths if r["cause_icd10"]]
    assert 0.66 < len(causes) / len(moj_deaths) < 0.74
    assert 0.11 < sum(c.startswith("R") for c in causes) / len(causes) < 0.19
    assert 0.35 < sum(r["cause_certified"] == "1" for r in moj_deaths) / len(moj_deaths) < 0.45
    assert all(r["cause_icd10"] for r in moj_deaths if r["cause_certified"] == "1")


def test_marriage_ages_and_status(deliveries):
    marriages = _rows(deliveries["MOJ"], "marriages.csv")
    spouses = []
    for r in marriages:
        married = _day(r["registration_date"])
        for n in ("spouse1", "spouse2"):
            born = _day(r[f"{n}_birth_date"])
            age = married.year - born.year - ((married.month, married.day) < (born.month, born.day))
            spouses.append((r[f"{n}_sex"], age, r[f"{n}_prev_status"]))
    assert all({r["spouse1_sex"], r["spouse2_sex"]} == {"M", "F"} for r in marriages)
    assert 0.75 < sum(20 <= a <= 35 for _, a, _ in spouses) / len(spouses) < 0.95
    assert any(s == "F" and a in (16, 17) for s, a, _ in spouses)
    assert any(s == "M" and a in (18, 19) for s, a, _ in spouses)
    assert sum(p == "NEVER" for _, _, p in spouses) / len(spouses) > 0.85


# --- MOH linkage -------------------------------------------------------------------------------


def test_moh_births_link_to_moj_births(deliveries, moj_births):
    moh = _rows(deliveries["MOH"], "births.csv")
    registered = Counter(
        (r["mother_id"], r["birth_date"], r["sex"]) for r in moj_births if r["reg_kind"] == "NEW" and r["mother_id"]
    )
    notified = Counter((r["mother_id"], r["birth_date"], r["sex"]) for r in moh if r["mother_id"])
    linked = sum(min(n, registered[key]) for key, n in notified.items())  # one to one; twins by count
    assert 0.86 < linked / len(moh) < 0.93  # ~90 % mirror registrations, ~8 % unregistered, ~2 % stillbirths
    assert 0.01 < sum(r["outcome"] == "STILLBIRTH" for r in moh) / len(moh) < 0.035
    assert any(n == 2 for n in notified.values())  # twins

    eligible = [
        r
        for r in moj_births
        if r["reg_kind"] == "NEW"
        and r["place_of_birth"] == "FACILITY"
        and r["mother_id"]
        and (_day(r["registration_date"]) - _day(r["birth_date"])).days <= 365
    ]
    matched = sum(1 for r in eligible if notified[(r["mother_id"], r["birth_date"], r["sex"])])
    assert 0.86 < matched / len(eligible) < 0.94

    for r in moh:
        assert r["facility_code"].startswith("F" + r["facility_province_code"]) and len(r["facility_code"]) == 7


def test_moh_deaths_link_to_moj_deaths(deliveries, moj_deaths):
    moh = _rows(deliveries["MOH"], "deaths.csv")
    by_id = {(r["deceased_id"], r["death_date"], r["sex"]): r for r in moj_deaths if r["deceased_id"]}
    with_id = [r for r in moh if r["deceased_id"]]
    assert all((r["deceased_id"], r["death_date"], r["sex"]) in by_id for r in with_id)
    facility = [
        r
        for r in moj_deaths
        if r["reg_kind"] == "NEW"
        and r["place_of_death"] == "FACILITY"
        and (_day(r["registration_date"]) - _day(r["death_date"])).days <= 365
    ]
    assert 0.40 < len(moh) / len(facility) < 0.60  # ~50 %


# --- determinism and write_delivery --------------------------------------------------------------


def test_same_arguments_give_the_same_bytes(deliveries, tmp_path):
    again = generate_quarter(QUARTER, SCALE, tmp_path)
    for folder in again:
        original = next(f for f in deliveries.values() if f.name == folder.name)
        for path in folder.iterdir():
            assert path.read_bytes() == (original / path.name).read_bytes(), path.name
    other_seed = generate_quarter(QUARTER, SCALE, tmp_path / "other", seed=7)
    assert (other_seed[0] / "births.csv").read_bytes() != (deliveries["MOJ"] / "births.csv").read_bytes()


def test_gso_delivery_is_the_same_for_every_quarter_of_the_year(deliveries, tmp_path):
    folders = generate_quarter("2025Q1", 0.001, tmp_path)
    gso = next(f for f in folders if f.name == "GSO-2025-0001")
    # Population scales with `scale`, so compare the year-level parts that do not.
    assert _manifest(gso)["extracted_at"] == _manifest(deliveries["GSO"])["extracted_at"]
    assert (gso / "vital_rates.csv").read_bytes() == (deliveries["GSO"] / "vital_rates.csv").read_bytes()


def test_write_delivery_computes_the_manifest(tmp_path):
    rows = [
        {
            "notification_id": "N1",
            "facility_code": "F010001",
            "facility_province_code": "01",
            "admin_code_version": "2025",
            "death_date": "2025-07-02",
            "deceased_id": None,
            "sex": "M",
            "certified": 1,
        },
        {"notification_id": 'N2, with "quotes"', "sex": "F"},  # missing columns are written empty
    ]
    folder = write_delivery(
        tmp_path / "MOH-TEST-0001",
        {
            "agency": "MOH",
            "extracted_at": "2025-10-03T08:00:00+07:00",
            "period_start": "2025-07-01",
            "period_end": "2025-09-30",
        },
        {"deaths.csv": ("moh_deaths", rows)},
    )
    manifest = _manifest(folder)
    assert manifest["delivery_id"] == "MOH-TEST-0001"
    assert (manifest["channel"], manifest["schema_version"]) == ("FILE", "1.0")
    data = (folder / "deaths.csv").read_bytes()
    assert manifest["files"] == [
        {"name": "deaths.csv", "dataset": "moh_deaths", "rows": 2, "sha256": hashlib.sha256(data).hexdigest()}
    ]
    assert data.decode("utf-8").splitlines() == [
        ",".join(DATASETS["moh_deaths"].column_names),
        "N1,F010001,01,2025,2025-07-02,,M,,,1",
        '"N2, with ""quotes""",,,,,,F,,,',
    ]


def test_write_delivery_overrides_and_errors(tmp_path):
    fields = {"agency": "GSO", "extracted_at": "x", "period_start": "2025-01-01", "period_end": "2025-12-31"}
    folder = write_delivery(
        tmp_path / "d",
        {**fields, "delivery_id": "GSO-X", "schema_version": "9.9"},
        {"rates.csv": ("gso_vital_rates", [])},
    )
    manifest = _manifest(folder)
    assert (manifest["delivery_id"], manifest["schema_version"], manifest["files"][0]["rows"]) == ("GSO-X", "9.9", 0)
    with pytest.raises(SampleError, match="columns outside gso_vital_rates"):
        write_delivery(tmp_path / "e", fields, {"rates.csv": ("gso_vital_rates", [{"not_a_column": "1"}])})
    assert not (tmp_path / "e" / "manifest.json").exists()  # no manifest for a failed delivery
    with pytest.raises(SampleError, match="unknown dataset"):
        write_delivery(tmp_path / "f", fields, {"x.csv": ("nope", [])})
    with pytest.raises(SampleError, match="lacks 'agency'"):
        write_delivery(tmp_path / "g", {k: v for k, v in fields.items() if k != "agency"}, {})


@pytest.mark.parametrize("quarter, scale", [("2025q3", 1), ("2025Q5", 1), ("2025Q3", 0), ("2025Q3", -1)])
def test_bad_arguments_are_refused(tmp_path, quarter, scale):
    with pytest.raises(SampleError):
        generate_quarter(quarter, scale, tmp_path)


def test_quarter_bounds():
    assert quarter_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_bounds("2025Q4") == (date(2025, 10, 1), date(2025, 12, 31))
