"""The dbt project on a small hand-made warehouse: raw rows written with SQL → `dbt build` → T1, T2, T8.

One build for the whole module (dbt takes ~20 s). Every expected figure is worked out by hand from
the rows below; the comments next to each row say what it is there to test.

Geography used (PRE2025 → 2025 through the crosswalk):
  PRE2025 10 Lào Cai, PRE2025 15 Yên Bái   → 2025 15 Lào Cai   (15 is one of the seven reused codes)
  PRE2025 24 Bắc Giang, PRE2025 27 Bắc Ninh → 2025 24 Bắc Ninh  (24 is reused too)
"""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
import pytest

from crvs import settings, transform
from crvs.feeds.tables import ensure_tables

# Column lists exactly as in report.md ("Tables").
T1_COLUMNS = ["quarter", "province_code", "event_type", "reg_kind", "timeliness", "registrations", "foreign_element"]
T2_COLUMNS = ["quarter", "province_code", "male", "female", "unknown", "total", "sex_ratio_at_birth"]
T8_COLUMNS = [
    "quarter",
    "province_code",
    "expected_births",
    "births_on_time",
    "birth_completeness_pct",
    "expected_deaths",
    "deaths_on_time",
    "death_completeness_pct",
    "facility_live_births",
    "facility_births_registered",
    "facility_linkage_pct",
]

MOTHER_A, MOTHER_B, MOTHER_C, MOTHER_D, MOTHER_E = (c * 64 for c in "abcde")

DELIVERIES = [
    # delivery_id, agency, extracted_at, period_start, period_end
    ("MOJ-2024Q3-0001", "MOJ", "2024-10-05T08:00:00+07:00", "2024-07-01", "2024-09-30"),
    ("MOJ-2024Q3-0002", "MOJ", "2024-11-05T08:00:00+07:00", "2024-07-01", "2024-09-30"),
    ("MOH-2024Q3-0001", "MOH", "2024-10-06T08:00:00+07:00", "2024-07-01", "2024-09-30"),
    ("MOH-2024Q3-0002", "MOH", "2024-11-06T08:00:00+07:00", "2024-07-01", "2024-10-31"),
    ("GSO-2024-0001", "GSO", "2024-05-01T08:00:00+07:00", "2024-01-01", "2024-12-31"),
    ("GSO-2024-0002", "GSO", "2024-06-01T08:00:00+07:00", "2024-01-01", "2024-12-31"),
]
MOJ1, MOJ2, MOH1, MOH2, GSO1, GSO2 = (d[0] for d in DELIVERIES)


def _birth(
    delivery,
    record_id,
    reg,
    born,
    sex,
    residence,
    mother=None,
    *,
    reg_province=None,
    version=1,
    status="ACTIVE",
    kind="NEW",
    foreign=False,
):
    return dict(
        delivery_id=delivery,
        record_id=record_id,
        record_version=version,
        record_status=status,
        reg_kind=kind,
        registration_date=reg,
        reg_province_code=reg_province or residence,
        admin_code_version="PRE2025",
        sex=sex,
        birth_date=born,
        place_of_birth="FACILITY",
        birth_province_code=reg_province or residence,
        mother_pid=mother,
        mother_residence_province_code=residence,
        foreign_element=foreign,
    )


MOJ_BIRTHS = [
    # B1: 17 days, on time; mother A → matches MOH H1; foreign element.
    _birth(MOJ1, "B1", "2024-08-01", "2024-07-15", "M", "27", MOTHER_A, foreign=True),
    # B2: exactly 60 days (Jul 1 → Aug 30) is still on time; mother B → matches H5 (after H5's resend).
    _birth(MOJ1, "B2", "2024-08-30", "2024-07-01", "F", "24", MOTHER_B),
    # B3: 61 days → LATE; registered in PRE2025 15 Yên Bái → 2025 15 Lào Cai.
    _birth(MOJ1, "B3", "2024-08-31", "2024-07-01", "M", "15", MOTHER_C),
    # B4a/B4b: twins of mother D, PRE2025 10 Lào Cai → 2025 15; both match MOH twins H2/H3.
    _birth(MOJ1, "B4a", "2024-09-02", "2024-08-20", "F", "10", MOTHER_D),
    _birth(MOJ1, "B4b", "2024-09-02", "2024-08-20", "F", "10", MOTHER_D),
    # B5: sex U in version 1, corrected to M by version 2 in the later delivery.
    _birth(MOJ1, "B5", "2024-09-05", "2024-09-01", "U", "27"),
    _birth(MOJ2, "B5", "2024-09-05", "2024-09-01", "M", "27", version=2),
    # B6: cancelled by its version 2 → counted nowhere.
    _birth(MOJ1, "B6", "2024-09-10", "2024-09-05", "F", "24"),
    _birth(MOJ2, "B6", "2024-09-10", "2024-09-05", "F", "24", version=2, status="CANCELLED"),
    # B7: re-registration of a 2010 birth: T1 only (DELAYED_5Y_PLUS), never T2/T8.
    _birth(MOJ1, "B7", "2024-09-12", "2010-05-01", "F", "24", kind="RE_REGISTRATION", foreign=True),
    # B8: a NEW birth of 2023-01-10 registered 557 days later → DELAYED_1_5Y; puts 2023Q1 into T8.
    _birth(MOJ1, "B8", "2024-07-20", "2023-01-10", "M", "27"),
    # B9: the same version sent twice; the later delivery moves the mother's residence 27 → 10.
    _birth(MOJ1, "B9", "2024-09-20", "2024-09-01", "M", "27"),
    _birth(MOJ2, "B9", "2024-09-20", "2024-09-01", "M", "10", reg_province="27"),
]


def _death(record_id, reg, died, sex, residence, *, reg_province=None, foreign=False):
    return dict(
        delivery_id=MOJ1,
        record_id=record_id,
        record_version=1,
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date=reg,
        reg_province_code=reg_province or residence,
        admin_code_version="PRE2025",
        sex=sex,
        death_date=died,
        place_of_death="HOME",
        death_province_code=residence,
        residence_province_code=residence,
        cause_icd10="I21.9",
        cause_certified=True,
        foreign_element=foreign,
    )


MOJ_DEATHS = [
    _death("D1", "2024-07-16", "2024-07-01", "M", "15"),  # 15 days: on time
    _death("D2", "2024-07-17", "2024-07-01", "F", "10"),  # 16 days: LATE
    _death("D3", "2024-08-05", "2024-08-01", "M", "24", reg_province="27", foreign=True),  # on time
]


def _marriage(record_id, reg, province, foreign=False):
    return dict(
        delivery_id=MOJ1,
        record_id=record_id,
        record_version=1,
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date=reg,
        reg_province_code=province,
        admin_code_version="PRE2025",
        spouse1_sex="M",
        spouse1_birth_date="1995-01-01",
        spouse1_prev_status="NEVER",
        spouse2_sex="F",
        spouse2_birth_date="1997-01-01",
        spouse2_prev_status="NEVER",
        foreign_element=foreign,
    )


MOJ_MARRIAGES = [_marriage("M1", "2024-08-15", "24", foreign=True), _marriage("M2", "2024-09-15", "15")]


def _moh_birth(
    delivery, notification_id, born, sex, facility_province, mother=None, *, outcome="LIVE", code_version="PRE2025"
):
    return dict(
        delivery_id=delivery,
        notification_id=notification_id,
        facility_code="F" + facility_province,
        facility_province_code=facility_province,
        admin_code_version=code_version,
        birth_date=born,
        sex=sex,
        outcome=outcome,
        mother_pid=mother,
        mother_residence_province_code=facility_province,
    )


MOH_BIRTHS = [
    _moh_birth(MOH1, "H1", "2024-07-15", "M", "27", MOTHER_A),  # = B1 → registered
    _moh_birth(MOH1, "H2", "2024-08-20", "F", "10", MOTHER_D),  # twin 1 = B4a/B4b → registered
    _moh_birth(MOH1, "H3", "2024-08-20", "F", "10", MOTHER_D),  # twin 2 → registered
    _moh_birth(MOH1, "H4", "2024-09-01", "M", "27"),  # no mother id: never matches (B9 has none either)
    _moh_birth(MOH1, "H5", "2024-07-01", "M", "24", MOTHER_B),  # sex wrong here …
    _moh_birth(MOH2, "H5", "2024-07-01", "F", "24", MOTHER_B),  # … the resend fixes it → matches B2
    _moh_birth(MOH1, "H6", "2024-07-01", "M", "15", MOTHER_C, outcome="STILLBIRTH"),  # not a live birth
    _moh_birth(MOH1, "H7", "2024-07-02", "M", "15", MOTHER_C, code_version="2025"),  # B3 was born Jul 1: no match
    _moh_birth(MOH2, "H8", "2024-10-02", "F", "24", MOTHER_E),  # 2024Q4: puts 2024Q4 into T8
]

MOH_DEATHS = [
    dict(
        delivery_id=MOH1,
        notification_id="HD1",
        facility_code="F24",
        facility_province_code="24",
        admin_code_version="PRE2025",
        death_date="2024-08-01",
        sex="M",
        certified=True,
    ),
]

# GSO 2024 in PRE2025 areas. Population summed over sexes and age groups per area:
#   10: 400 + 600 = 1000, 15: 800 + 1200 = 2000, 24: 1500, 27: 3000 (GSO2 replaces GSO1's 2500).
GSO_POPULATION = [
    (GSO1, "10", "M", "0-4", 400),
    (GSO1, "10", "F", "5-9", 600),
    (GSO1, "15", "M", "0-4", 800),
    (GSO1, "15", "F", "80+", 1200),
    (GSO1, "24", "M", "0-4", 1500),
    (GSO1, "27", "F", "0-4", 2500),
    (GSO2, "27", "F", "0-4", 3000),
]
GSO_RATES = [  # area, crude birth rate, crude death rate (per 1,000)
    (GSO1, "10", "14.0", "6.0"),
    (GSO1, "15", "18.5", "7.5"),
    (GSO1, "24", "16.0", "5.0"),
    (GSO1, "27", "12.0", "6.5"),
]

# 2024 is a leap year; Q3 and Q4 both have 92 days.
Q_DAYS, YEAR_DAYS = 92, 366
EXPECTED_BIRTHS_15 = 14.0 / 1000 * 1000 * Q_DAYS / YEAR_DAYS + 18.5 / 1000 * 2000 * Q_DAYS / YEAR_DAYS  # 12.82
EXPECTED_DEATHS_15 = 6.0 / 1000 * 1000 * Q_DAYS / YEAR_DAYS + 7.5 / 1000 * 2000 * Q_DAYS / YEAR_DAYS  # 5.28
EXPECTED_BIRTHS_24 = 16.0 / 1000 * 1500 * Q_DAYS / YEAR_DAYS + 12.0 / 1000 * 3000 * Q_DAYS / YEAR_DAYS  # 15.08
EXPECTED_DEATHS_24 = 5.0 / 1000 * 1500 * Q_DAYS / YEAR_DAYS + 6.5 / 1000 * 3000 * Q_DAYS / YEAR_DAYS  # 6.79


def _insert(conn: psycopg.Connection, table: str, rows: list[dict]) -> None:
    for i, row in enumerate(rows, start=1):
        columns = ["source_row", *row]
        placeholders = ", ".join(["%s"] * len(columns))
        conn.execute(f"insert into raw.{table} ({', '.join(columns)}) values ({placeholders})", [i, *row.values()])


def _insert_deliveries(conn: psycopg.Connection, deliveries) -> None:
    """raw.deliveries rows from (delivery_id, agency, extracted_at, period_start, period_end)."""
    for delivery_id, agency, extracted_at, start, end in deliveries:
        conn.execute(
            "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, period_start,"
            " period_end, source, manifest) values (%s, %s, 'FILE', '1.0', %s, %s, %s, 'test fixture', %s)",
            [delivery_id, agency, extracted_at, start, end, json.dumps({"delivery_id": delivery_id})],
        )


def _write_fixture(conn: psycopg.Connection) -> None:
    ensure_tables(conn)
    _insert_deliveries(conn, DELIVERIES)
    _insert(conn, "moj_births", MOJ_BIRTHS)
    _insert(conn, "moj_deaths", MOJ_DEATHS)
    _insert(conn, "moj_marriages", MOJ_MARRIAGES)
    _insert(conn, "moh_births", MOH_BIRTHS)
    _insert(conn, "moh_deaths", MOH_DEATHS)
    _insert(
        conn,
        "gso_population",
        [
            dict(
                delivery_id=d,
                year=2024,
                province_code=p,
                admin_code_version="PRE2025",
                sex=s,
                age_group=a,
                population=n,
            )
            for d, p, s, a, n in GSO_POPULATION
        ],
    )
    _insert(
        conn,
        "gso_vital_rates",
        [
            dict(
                delivery_id=d,
                year=2024,
                province_code=p,
                admin_code_version="PRE2025",
                crude_birth_rate=b,
                crude_death_rate=r,
            )
            for d, p, b, r in GSO_RATES
        ],
    )


@pytest.fixture(scope="module")
def built(module_warehouse):
    """A fresh warehouse (as the `warehouse` fixture makes it, but once per module) with the fixture
    rows, built by dbt once; yields an autocommit connection to it."""
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        _write_fixture(conn)
        transform.build()
        yield conn


def _rows(conn, sql: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sql).fetchall()]


def _columns(conn, model: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'reports' and table_name = %s"
            " order by ordinal_position",
            [model],
        ).fetchall()
    ]


def _num(value: float | None) -> Decimal | None:
    """A hand-computed figure as the report stores it: numeric, one decimal (half away from zero,
    which Python's round agrees with for every figure here: none ends in exactly 5)."""
    return None if value is None else Decimal(str(round(value, 1)))


def test_report_models_have_the_report_columns(built):
    assert _columns(built, "rpt_t1_registrations") == T1_COLUMNS
    assert _columns(built, "rpt_t2_births_by_sex") == T2_COLUMNS
    assert _columns(built, "rpt_t8_completeness") == T8_COLUMNS


def test_schemas_are_the_layer_names(built):
    schemas = {r[0] for r in _rows(built, "select table_schema from information_schema.tables")}
    assert {"staging", "intermediate", "marts", "reports", "reference"} <= schemas


def test_reused_codes_are_read_with_their_code_version(built):
    rows = _rows(
        built,
        "select province_key, province_name, province_2025_code, province_2025_name"
        " from marts.dim_province where province_code in ('10', '15') order by province_key",
    )
    assert rows == [
        ("2025:15", "Tỉnh Lào Cai", "15", "Tỉnh Lào Cai"),
        ("PRE2025:10", "Tỉnh Lào Cai", "15", "Tỉnh Lào Cai"),
        ("PRE2025:15", "Tỉnh Yên Bái", "15", "Tỉnh Lào Cai"),
    ]
    assert _rows(built, "select count(*) from marts.dim_province where code_version = '2025'") == [(34,)]


def test_current_records(built):
    births = dict(
        _rows(
            built,
            "select record_id, sex || ':' || residence_province_code from marts.fct_registration"
            " where event_type = 'BIRTH'",
        )
    )
    assert "B6" not in births  # cancelled
    assert births["B5"] == "M:27"  # version 2 wins
    assert births["B9"] == "M:10"  # same version twice: the later extraction wins
    # births B1-B5, B4b, B7-B9 (not B6); deaths D1-D3; marriages M1-M2
    assert _rows(built, "select count(*) from marts.fct_registration") == [(9 + 3 + 2,)]
    # H5 from the later MOH delivery; H6 is a stillbirth, so it is not in the linkage of live births.
    assert _rows(
        built,
        "select notification_id, sex from marts.fct_health_notification"
        " where notification_id in ('H5', 'H6', 'HD1') order by 1",
    ) == [("H5", "F"), ("H6", "M"), ("HD1", "M")]
    assert _rows(
        built,
        "select notification_id, is_registered, matched_record_id from marts.fct_birth_linkage"
        " where notification_id in ('H5', 'H6') order by 1",
    ) == [("H5", True, "B2")]


def test_t1_registrations(built):
    rows = _rows(
        built,
        "select * from reports.rpt_t1_registrations order by quarter, province_code, event_type, reg_kind, timeliness",
    )
    assert rows == [
        # 2025 15 = PRE2025 10 + 15
        ("2024Q3", "15", "BIRTH", "NEW", "LATE", 1, 0),  # B3 (61 days)
        ("2024Q3", "15", "BIRTH", "NEW", "ON_TIME", 2, 0),  # twins B4a, B4b
        ("2024Q3", "15", "DEATH", "NEW", "LATE", 1, 0),  # D2 (16 days)
        ("2024Q3", "15", "DEATH", "NEW", "ON_TIME", 1, 0),  # D1 (15 days)
        ("2024Q3", "15", "MARRIAGE", "NEW", "NOT_APPLICABLE", 1, 0),  # M2
        # 2025 24 = PRE2025 24 + 27
        ("2024Q3", "24", "BIRTH", "NEW", "DELAYED_1_5Y", 1, 0),  # B8 (557 days)
        ("2024Q3", "24", "BIRTH", "NEW", "ON_TIME", 4, 1),  # B1 (foreign), B2 (60 days), B5, B9; not B6
        ("2024Q3", "24", "BIRTH", "RE_REGISTRATION", "DELAYED_5Y_PLUS", 1, 1),  # B7
        ("2024Q3", "24", "DEATH", "NEW", "ON_TIME", 1, 1),  # D3
        ("2024Q3", "24", "MARRIAGE", "NEW", "NOT_APPLICABLE", 1, 1),  # M1
    ]
    # The stored order is the report's order.
    assert _rows(built, "select * from reports.rpt_t1_registrations") == rows


def test_t2_births_by_sex(built):
    rows = _rows(
        built, "select * from reports.rpt_t2_births_by_sex order by quarter, province_code = 'VN', province_code"
    )
    assert len(rows) == 34 + 1  # one quarter: every province, zeros included, and VN
    by_province = {r[1]: r for r in rows}
    # 24: B1 M, B5 M (corrected from U), B8 M, B2 F → 3 M, 1 F; ratio 3 / 1 × 100.
    assert by_province["24"] == ("2024Q3", "24", 3, 1, 0, 4, _num(3 / 1 * 100))
    # 15: B3 M (Yên Bái), B9 M (residence moved to 10 by the later delivery), B4a/B4b F → 2 M, 2 F.
    assert by_province["15"] == ("2024Q3", "15", 2, 2, 0, 4, _num(2 / 2 * 100))
    assert by_province["01"] == ("2024Q3", "01", 0, 0, 0, 0, None)  # no births: zeros, no ratio
    assert by_province["VN"] == ("2024Q3", "VN", 5, 3, 0, 8, _num(5 / 3 * 100))  # 166.7
    assert rows[-1][1] == "VN"


def test_t8_completeness(built):
    rows = _rows(built, "select * from reports.rpt_t8_completeness")
    # Event quarters: 2023Q1 (B8), 2024Q3 (the other births and the deaths), 2024Q4 (MOH H8 only).
    assert sorted({r[0] for r in rows}) == ["2023Q1", "2024Q3", "2024Q4"]
    assert len(rows) == 3 * 35
    t8 = {(r[0], r[1]): r[2:] for r in rows}

    # 2024Q3, province 24. On time by the mother's residence: B1, B2 (60 days), B5 → 3 (B8's event is 2023).
    # Deaths on time: D3 → 1. Facility live births in 27/24: H1, H4, H5 → 3, registered H1, H5 → 2.
    assert t8[("2024Q3", "24")] == (
        _num(EXPECTED_BIRTHS_24),
        3,
        _num(3 / EXPECTED_BIRTHS_24 * 100),  # 15.1, 19.9
        _num(EXPECTED_DEATHS_24),
        1,
        _num(1 / EXPECTED_DEATHS_24 * 100),  # 6.8, 14.7
        3,
        2,
        _num(2 / 3 * 100),  # 66.7
    )
    # 2024Q3, province 15: births on time B4a, B4b, B9 (B3 is late) → 3; deaths on time D1 (D2 late) → 1.
    # Facility live births in 10/15: twins H2, H3 (both registered) and H7 (date differs; H6 stillborn).
    assert t8[("2024Q3", "15")] == (
        _num(EXPECTED_BIRTHS_15),
        3,
        _num(3 / EXPECTED_BIRTHS_15 * 100),  # 12.8, 23.4
        _num(EXPECTED_DEATHS_15),
        1,
        _num(1 / EXPECTED_DEATHS_15 * 100),  # 5.3, 18.9
        3,
        2,
        _num(2 / 3 * 100),
    )
    # No GSO figures for province 01, so no expectation and no completeness; nothing happened there.
    assert t8[("2024Q3", "01")] == (None, 0, None, None, 0, None, 0, 0, None)
    # VN: expectation only when all 34 provinces have one; counts over the whole country.
    assert t8[("2024Q3", "VN")] == (None, 6, None, None, 2, None, 6, 4, _num(4 / 6 * 100))
    # 2024Q4: the same 2024 GSO figures (92 days again); only H8, unregistered.
    assert t8[("2024Q4", "24")] == (
        _num(EXPECTED_BIRTHS_24),
        0,
        Decimal("0.0"),
        _num(EXPECTED_DEATHS_24),
        0,
        Decimal("0.0"),
        1,
        0,
        Decimal("0.0"),
    )
    # 2023Q1: B8 was registered late, so it is not on time; no 2023 GSO figures.
    assert t8[("2023Q1", "24")] == (None, 0, None, None, 0, None, 0, 0, None)
    # Sorted by quarter, then province with VN last.
    assert [r[:2] for r in rows[33:36]] == [("2023Q1", "96"), ("2023Q1", "VN"), ("2024Q3", "01")]


def test_docs_generate(built):
    target = transform.docs_generate()
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.crvs.rpt_t8_completeness" in catalog["nodes"]


def test_failed_build_names_the_failed_node(built):
    built.execute(
        "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at,"
        " period_start, period_end, source, manifest) values ('BAD-1', 'XYZ', 'FILE', '1.0', now(),"
        " '2024-01-01', '2024-01-01', 'test', '{}')"
    )
    try:
        with pytest.raises(transform.TransformError, match="accepted_values_stg_raw__deliveries_agency"):
            transform.build(select="stg_raw__deliveries")
    finally:
        built.execute("delete from raw.deliveries where delivery_id = 'BAD-1'")


def test_dbt_env_reads_the_warehouse_url(monkeypatch):
    monkeypatch.setenv("CRVS_WAREHOUSE_URL", "postgresql://stats%40crvs:p%3Ass@db.example:6543/crvs_dw?sslmode=require")
    assert transform.dbt_env() == {
        "CRVS_DBT_HOST": "db.example",
        "CRVS_DBT_PORT": "6543",
        "CRVS_DBT_USER": "stats@crvs",
        "DBT_ENV_SECRET_CRVS_DBT_PASSWORD": "p:ss",
        "CRVS_DBT_DBNAME": "crvs_dw",
        "CRVS_DBT_SSLMODE": "require",
    }
    monkeypatch.setenv("CRVS_WAREHOUSE_URL", "postgresql://stats@db.example:6543/")
    with pytest.raises(settings.SettingsError, match="names no database"):
        transform.dbt_env()


def _seed_results() -> dict[str, str]:
    """The last dbt command's seeds: name -> its result line's message (INSERT n / UNCHANGED)."""
    results = json.loads((transform.target_dir() / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["message"] for r in results if r["unique_id"].startswith("seed.")}


def _seed_loads(conn) -> dict[str, object]:
    return dict(conn.execute("select seed, loaded_at from reference.seed_checksums").fetchall())


def test_seeds_are_loaded_only_when_they_change_and_full_refresh_reloads_them(built):
    seeds = sorted(p.stem for p in settings.SEEDS_DIR.glob("*.csv"))
    loaded = _seed_loads(built)
    assert sorted(loaded) == seeds  # the module's build loaded each once and recorded its checksum

    transform.run_dbt(["seed"])  # nothing changed: nothing is read or written
    assert _seed_results() == {name: "UNCHANGED" for name in seeds}
    assert _seed_loads(built) == loaded

    # A seed whose recorded checksum differs (the file was edited) is loaded again, it alone.
    built.execute("update reference.seed_checksums set checksum = 'an older file' where seed = 'place_types'")
    transform.run_dbt(["seed"])
    results = _seed_results()
    assert results.pop("place_types") == "INSERT 4"  # place_types.csv holds 4 rows
    assert set(results.values()) == {"UNCHANGED"}
    assert built.execute("select count(*) from reference.place_types").fetchone()[0] == 4

    # So is a seed whose table is missing, even with its checksum recorded (moved aside, with the
    # views over it, and put back after).
    built.execute("alter table reference.regions rename to regions_aside")
    try:
        transform.run_dbt(["seed", "--select", "regions"])
        assert _seed_results() == {"regions": "INSERT 6"}
    finally:
        built.execute("drop table if exists reference.regions; alter table reference.regions_aside rename to regions")

    transform.run_dbt(["seed", "--full-refresh", "--select", "province_crosswalk"])
    assert _seed_results() == {"province_crosswalk": "CREATE 63"}
    after = _seed_loads(built)
    assert after["province_crosswalk"] > loaded["province_crosswalk"]
    assert after["icd10_chapters"] == loaded["icd10_chapters"]


def test_the_documentation_is_in_the_database_too(built):
    """persist_docs: the models' and columns' descriptions are COMMENTs on marts, reports and reference."""

    def comment(schema, table, column=None):
        if column is None:
            return built.execute("select obj_description(%s::regclass, 'pg_class')", (f"{schema}.{table}",)).fetchone()[
                0
            ]
        return built.execute(
            "select col_description(%s::regclass, a.attnum) from pg_attribute a "
            "where a.attrelid = %s::regclass and a.attname = %s",
            (f"{schema}.{table}",) * 2 + (column,),
        ).fetchone()[0]

    assert comment("reports", "rpt_t8_completeness")
    assert comment("reports", "rpt_t8_completeness", "births_on_time")
    commented = built.execute(
        "select n.nspname, count(*) filter (where d.description is not null), count(*) from pg_attribute a "
        "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
        "left join pg_description d on d.objoid = c.oid and d.objsubid = a.attnum "
        "where n.nspname in ('marts', 'reports', 'reference') and c.relkind = 'r' and a.attnum > 0 "
        "and not a.attisdropped group by n.nspname order by n.nspname"
    ).fetchall()
    assert [schema for schema, with_comment, _ in commented if with_comment] == ["marts", "reference", "reports"]
    reports = next((w, n) for s, w, n in commented if s == "reports")
    assert reports[0] >= reports[1] * 0.9, commented  # the reports' columns are documented (contracts)
    target = transform.docs_generate()
    manifest = json.loads((target / "manifest.json").read_text())
    assert "doc.crvs.__overview__" in manifest["docs"]


def test_the_docs_site_is_served_on_localhost_with_its_manifest(built):
    import threading
    import urllib.request

    server = transform.docs_server(transform.docs_generate())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address
        assert host == "127.0.0.1"
        index = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
        manifest = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json", timeout=10).read())
        assert b"<html" in index.lower() or b"<!doctype" in index.lower()
        assert "The CRVS statistics warehouse" in manifest["docs"]["doc.crvs.__overview__"]["block_contents"]
    finally:
        server.shutdown()
        server.server_close()
