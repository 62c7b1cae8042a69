"""The model core on a small hand-made warehouse: dates, communes, the MOH↔MOJ birth linkage and the
registrars' follow-up lists, the legacy-63 view, the analysts' role, the province snapshot and the
incremental MOH fact (two deliveries, `dbt build` twice).

One build for the module; the tests that change the warehouse (snapshot, incremental) come last.
Every expected figure is worked out by hand from the rows below.

Geography: PRE2025 24 Bắc Giang and PRE2025 27 Bắc Ninh → 2025 24 Bắc Ninh (24 is a reused code).
As-of day of the follow-up lists: the MOJ delivery's extraction, 2024-11-05 08:00 in Vietnam.
"""

from __future__ import annotations

import csv
import json
import stat
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from crvs import cli, database, settings, transform
from crvs.feeds.tables import ensure_tables

MOJ1, MOH1, MOH2, MOH3 = "MOJ-2024Q3-0001", "MOH-2024Q3-0001", "MOH-2024Q3-0002", "MOH-2024Q3-0003"
DELIVERIES = [
    (MOJ1, "MOJ", "2024-11-05T08:00:00+07:00"),
    (MOH1, "MOH", "2024-10-06T08:00:00+07:00"),
]
MOTHER_A, MOTHER_B, MOTHER_C, MOTHER_D = (c * 64 for c in "abcd")


def _moj_birth(record_id, registered, born, sex, province, mother):
    return dict(
        delivery_id=MOJ1,
        record_id=record_id,
        record_version=1,
        record_status="ACTIVE",
        reg_kind="NEW",
        registration_date=registered,
        reg_province_code=province,
        admin_code_version="PRE2025",
        sex=sex,
        birth_date=born,
        place_of_birth="FACILITY",
        birth_province_code=province,
        mother_pid=mother,
        mother_residence_province_code=province,
        foreign_element=False,
    )


MOJ_BIRTHS = [
    _moj_birth("R1", "2024-07-20", "2024-07-10", "M", "27", MOTHER_A),  # 10 days after birth
    _moj_birth("R2", "2024-09-15", "2024-06-01", "F", "27", MOTHER_B),  # 106 days: registered late
]


def _moh_birth(delivery, notification_id, born, sex, facility, province, mother=None):
    return dict(
        delivery_id=delivery,
        notification_id=notification_id,
        facility_code=facility,
        facility_province_code=province,
        admin_code_version="PRE2025",
        birth_date=born,
        sex=sex,
        outcome="LIVE",
        mother_pid=mother,
        mother_residence_province_code=province,
    )


MOH_BIRTHS = [
    _moh_birth(MOH1, "N1", "2024-07-10", "M", "F01", "27", MOTHER_A),  # = R1, within 60 days
    _moh_birth(MOH1, "N2", "2024-06-01", "F", "F01", "27", MOTHER_B),  # = R2, registered later
    _moh_birth(MOH1, "N3", "2024-08-01", "M", "F02", "24", MOTHER_C),  # unregistered, 96 days by Nov 5
    _moh_birth(MOH1, "N4", "2024-09-10", "F", "F02", "24"),  # no mother id, but only 56 days: not due
    _moh_birth(MOH1, "N5", "2024-09-05", "M", "F02", "24", MOTHER_D),  # unregistered, 61 days
    _moh_birth(MOH1, "N6", "2024-08-20", "F", "F01", "27"),  # no mother id, 77 days: listed
]


def _insert(conn, table: str, rows: list[dict], first_row: int = 1) -> None:
    for i, row in enumerate(rows, start=first_row):
        columns = ["source_row", *row]
        conn.execute(
            f"insert into raw.{table} ({', '.join(columns)}) values ({', '.join(['%s'] * len(columns))})",
            [i, *row.values()],
        )


def _delivery(conn, delivery_id: str, agency: str, extracted_at: str) -> None:
    conn.execute(
        "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, period_start,"
        " period_end, source, manifest) values (%s, %s, 'FILE', '1.0', %s, '2024-07-01', '2024-09-30',"
        " 'test fixture', %s)",
        [delivery_id, agency, extracted_at, json.dumps({"delivery_id": delivery_id})],
    )


@pytest.fixture(scope="module")
def built(module_warehouse):
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        ensure_tables(conn)
        for delivery in DELIVERIES:
            _delivery(conn, *delivery)
        _insert(conn, "moj_births", MOJ_BIRTHS)
        _insert(conn, "moh_births", MOH_BIRTHS)
        transform.build()
        yield conn


def _rows(conn, sql: str, params=None) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def test_dim_date_quarters_and_year_lengths(built):
    first, last = date(1900, 1, 1), date(2099, 12, 31)
    assert _rows(built, "select count(*), min(date_day), max(date_day) from marts.dim_date") == [
        ((last - first).days + 1, first, last)
    ]
    rows = _rows(
        built,
        "select date_day, month, quarter, quarter_start, quarter_end, days_in_quarter, year,"
        " days_in_year, is_leap_year, admin_code_version from marts.dim_date"
        " where date_day in ('2024-02-29', '2025-02-14', '2025-06-30', '2025-07-01', '2100-01-01')"
        " order by 1",
    )
    assert rows == [
        # Q1 of a leap year: 31 + 29 + 31 = 91 days of 366
        (date(2024, 2, 29), "2024-02", "2024Q1", date(2024, 1, 1), date(2024, 3, 31), 91, 2024, 366, True, "PRE2025"),
        # Q1 of 2025: 31 + 28 + 31 = 90 days of 365
        (date(2025, 2, 14), "2025-02", "2025Q1", date(2025, 1, 1), date(2025, 3, 31), 90, 2025, 365, False, "PRE2025"),
        # the last day of the 63 provinces, then the first of the 34: Q2 = 30 + 31 + 30, Q3 = 31 + 31 + 30
        (date(2025, 6, 30), "2025-06", "2025Q2", date(2025, 4, 1), date(2025, 6, 30), 91, 2025, 365, False, "PRE2025"),
        (date(2025, 7, 1), "2025-07", "2025Q3", date(2025, 7, 1), date(2025, 9, 30), 92, 2025, 365, False, "2025"),
    ]


# The seven reused codes, typed by hand from the two official lists (Decision 19/2025 gave each
# merged province the code of the constituent hosting its capital): code → (the PRE2025 province
# of that code, the 2025 province of that code, the other PRE2025 province merged into it).
REUSED_CODES = {
    "15": ("Tỉnh Yên Bái", "Tỉnh Lào Cai", ("10", "Tỉnh Lào Cai")),
    "24": ("Tỉnh Bắc Giang", "Tỉnh Bắc Ninh", ("27", "Tỉnh Bắc Ninh")),
    "44": ("Tỉnh Quảng Bình", "Tỉnh Quảng Trị", ("45", "Tỉnh Quảng Trị")),
    "52": ("Tỉnh Bình Định", "Tỉnh Gia Lai", ("64", "Tỉnh Gia Lai")),
    "80": ("Tỉnh Long An", "Tỉnh Tây Ninh", ("72", "Tỉnh Tây Ninh")),
    "82": ("Tỉnh Tiền Giang", "Tỉnh Đồng Tháp", ("87", "Tỉnh Đồng Tháp")),
    "91": ("Tỉnh Kiên Giang", "Tỉnh An Giang", ("89", "Tỉnh An Giang")),
}


def test_the_seven_reused_codes_in_the_official_lists(built):
    rows = {
        r[0]: r[1:]
        for r in _rows(
            built,
            "select province_key, province_name, province_2025_code,"
            " province_2025_name, valid_from, valid_to from marts.dim_province",
        )
    }
    reform = date(2025, 7, 1)
    for code, (old_name, new_name, (other_code, other_name)) in REUSED_CODES.items():
        assert rows["PRE2025:" + code] == (old_name, code, new_name, None, reform)
        assert rows["2025:" + code] == (new_name, code, new_name, reform, None)
        # the province whose name the 2025 province took had another code before the reform
        assert rows["PRE2025:" + other_code] == (other_name, code, new_name, None, reform)


def test_dim_commune_both_lists_and_successors(built):
    with open(settings.SEEDS_DIR / "admin_communes.csv", encoding="utf-8") as f:
        seed_counts = {}
        for row in csv.DictReader(f):
            seed_counts[row["code_version"]] = seed_counts.get(row["code_version"], 0) + 1
    assert dict(_rows(built, "select code_version, count(*) from marts.dim_commune group by 1")) == seed_counts
    assert seed_counts["2025"] == 3321
    # Phường Phúc Xá (Ba Đình, Hà Nội) became part of Phường Hồng Hà; Hà Nội kept its code 01.
    assert _rows(
        built,
        "select commune_key, commune_name, commune_2025_code, parts_2025, province_2025_code,"
        " region_code from marts.dim_commune where commune_key in ('PRE2025:00001', '2025:00097')"
        " order by 1",
    ) == [
        ("2025:00097", "Phường Hồng Hà", "00097", None, "01", "RRD"),
        ("PRE2025:00001", "Phường Phúc Xá", "00097", 1, "01", "RRD"),
    ]
    # A divided commune: one row per part in the crosswalk, the default one in dim_commune.
    with open(settings.SEEDS_DIR / "commune_crosswalk.csv", encoding="utf-8") as f:
        divided = [r for r in csv.DictReader(f) if r["is_divided"] == "true"]
    code = divided[0]["old_commune_code"]
    parts = [r for r in divided if r["old_commune_code"] == code]
    default = [r["new_commune_code"] for r in parts if r["is_default"] == "true"]
    assert len(parts) >= 2 and len(default) == 1
    assert _rows(
        built, "select commune_2025_code, parts_2025 from marts.dim_commune where commune_key = %s", ["PRE2025:" + code]
    ) == [(default[0], len(parts))]


def test_birth_linkage_pairs_records_one_to_one(built):
    rows = _rows(
        built,
        "select notification_id, facility_province_2025, is_registered, matched_record_id,"
        " days_to_registration, registered_within_60_days, has_mother_identifier"
        " from marts.fct_birth_linkage order by 1",
    )
    assert rows == [
        ("N1", "24", True, "R1", 10, True, True),
        ("N2", "24", True, "R2", 106, False, True),  # 1 June → 15 September: 29 + 31 + 31 + 15
        ("N3", "24", False, None, None, False, True),
        ("N4", "24", False, None, None, False, False),
        ("N5", "24", False, None, None, False, True),
        ("N6", "24", False, None, None, False, False),
    ]


def test_follow_up_list_of_unregistered_facility_births(built):
    rows = _rows(
        built,
        "select province_code, province_name, facility_code, notification_id, as_of_date,"
        " days_since_birth, has_mother_identifier from marts.mart_unregistered_facility_births",
    )
    as_of = date(2024, 11, 5)
    assert rows == [
        ("24", "Tỉnh Bắc Ninh", "F01", "N6", as_of, 11 + 30 + 31 + 5, False),  # 20 Aug → 5 Nov = 77
        ("24", "Tỉnh Bắc Ninh", "F02", "N3", as_of, 30 + 30 + 31 + 5, True),  # 1 Aug → 5 Nov = 96
        ("24", "Tỉnh Bắc Ninh", "F02", "N5", as_of, 25 + 31 + 5, True),  # 5 Sep → 5 Nov = 61
    ]
    summary = _rows(
        built,
        "select province_code, facility_code, event_quarter, live_births,"
        " registered_within_60_days, registered_later, unregistered,"
        " unregistered_without_mother_identifier, unregistered_pct"
        " from marts.mart_unregistered_facility_births_by_facility",
    )
    assert summary == [
        ("24", "F01", "2024Q2", 1, 0, 1, 0, 0, Decimal("0.0")),  # N2
        ("24", "F01", "2024Q3", 2, 1, 0, 1, 1, Decimal("50.0")),  # N1, N6
        ("24", "F02", "2024Q3", 2, 0, 0, 2, 0, Decimal("100.0")),  # N3, N5 (N4 is not due yet)
    ]


def test_legacy63_view_keeps_the_old_provinces(built):
    # R1 (10 days) and R2 (106 days), registered in PRE2025 27 Bắc Ninh: RRD before the merger
    # (2025 24 Bắc Ninh is NMM).
    assert _rows(
        built,
        "select quarter, legacy_province_code, legacy_province_name, legacy_region_code,"
        " event_type, timeliness, registrations from marts.mart_registrations_legacy63"
        " order by timeliness",
    ) == [
        ("2024Q3", "27", "Tỉnh Bắc Ninh", "RRD", "BIRTH", "LATE", 1),
        ("2024Q3", "27", "Tỉnh Bắc Ninh", "RRD", "BIRTH", "ON_TIME", 1),
    ]


def test_analysts_read_marts_and_reports_but_not_raw_or_quarantine(built, monkeypatch):
    monkeypatch.delenv("CRVS_ANALYST_PASSWORD", raising=False)
    url = database.ensure_analyst_role()
    password_file = settings.home() / "secrets" / "analyst.password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert url.startswith("postgresql://crvs_analyst:" + password + "@127.0.0.1:")
    # The server holds a SCRAM verifier, never the password itself.
    [(stored,)] = _rows(built, "select rolpassword from pg_authid where rolname = 'crvs_analyst'")
    assert stored.startswith("SCRAM-SHA-256$") and password not in stored

    with psycopg.connect(url, autocommit=True) as analyst:
        assert analyst.execute("select count(*) from marts.fct_birth_linkage").fetchone() == (6,)
        assert analyst.execute("select count(*) from reports.rpt_t1_registrations").fetchone() == (2,)
        assert analyst.execute("select count(*) from reference.admin_provinces").fetchone() == (97,)
        for relation in (
            "raw.moj_births",
            "raw.deliveries",
            "quarantine.rows",
            "quarantine.rejected_deliveries",
            "staging.stg_moj__births",
            "intermediate.int_moj__births_current",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                analyst.execute(f"select * from {relation} limit 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("delete from marts.fct_birth_linkage")


def test_analyst_url_command_takes_the_password_from_the_environment(built, monkeypatch, capsys):
    monkeypatch.setenv("CRVS_ANALYST_PASSWORD", "p@ss/word")
    assert cli.main(["-q", "db", "analyst-url"]) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    assert url.startswith("postgresql://crvs_analyst:p%40ss%2Fword@127.0.0.1:")
    with psycopg.connect(url) as analyst:
        assert analyst.execute("select current_user").fetchone() == ("crvs_analyst",)
    # The embedded server, which trusts its own user, asks the analysts' role for its password.
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url.replace("p%40ss%2Fword", "wrong"), connect_timeout=5)


def test_snapshot_keeps_the_history_of_the_province_list(built):
    assert _rows(
        built, "select count(*), count(*) filter (where dbt_valid_to is null) from reference.snap_dim_province"
    ) == [(97, 97)]
    # A change of the reference data (here: a renamed province) closes the old row, opens a new one.
    built.execute(
        "update marts.dim_province set province_name = 'Tỉnh Lào Cai (renamed)' where province_key = '2025:15'"
    )
    transform.run_dbt(["snapshot"])
    assert _rows(
        built,
        "select province_name, dbt_valid_to is null from reference.snap_dim_province"
        " where province_key = '2025:15' order by dbt_valid_from",
    ) == [("Tỉnh Lào Cai", False), ("Tỉnh Lào Cai (renamed)", True)]


def _fact_table_oid(conn) -> int:
    return conn.execute("select 'marts.fct_health_notification'::regclass::oid").fetchone()[0]


def test_a_later_delivery_replaces_moh_rows_incrementally(built):
    before = _fact_table_oid(built)
    assert _rows(
        built,
        "select notification_id, facility_code, sex, delivery_id from marts.fct_health_notification"
        " where notification_id in ('N1', 'N3') order by 1",
    ) == [("N1", "F01", "M", MOH1), ("N3", "F02", "M", MOH1)]

    # MOH2, extracted later: N3 corrected (facility F02 → F01) and a new N7.
    _delivery(built, MOH2, "MOH", "2024-11-06T08:00:00+07:00")
    _insert(
        built,
        "moh_births",
        [
            _moh_birth(MOH2, "N3", "2024-08-01", "M", "F01", "27", MOTHER_C),
            _moh_birth(MOH2, "N7", "2024-10-01", "F", "F02", "24"),
        ],
    )
    # MOH3, loaded last but extracted before MOH1: its older N1 must not overwrite MOH1's.
    _delivery(built, MOH3, "MOH", "2024-10-01T08:00:00+07:00")
    _insert(built, "moh_births", [_moh_birth(MOH3, "N1", "2024-07-10", "F", "F09", "27", MOTHER_A)])
    transform.build()

    assert _fact_table_oid(built) == before  # the same table, changed in place: an incremental run
    rows = _rows(
        built, "select notification_id, facility_code, sex, delivery_id from marts.fct_health_notification order by 1"
    )
    assert rows == [
        ("N1", "F01", "M", MOH1),
        ("N2", "F01", "F", MOH1),
        ("N3", "F01", "M", MOH2),
        ("N4", "F02", "F", MOH1),
        ("N5", "F02", "M", MOH1),
        ("N6", "F01", "F", MOH1),
        ("N7", "F02", "F", MOH2),
    ]
    # The follow-up list moved N3 to facility F01; N7 (35 days old on 5 Nov) is not due.
    assert _rows(built, "select facility_code, notification_id from marts.mart_unregistered_facility_births") == [
        ("F01", "N3"),
        ("F01", "N6"),
        ("F02", "N5"),
    ]

    # --full-refresh rebuilds the table from all deliveries: a new table, the same rows.
    transform.build(select="fct_health_notification", full_refresh=True)
    assert _fact_table_oid(built) != before
    assert (
        _rows(
            built,
            "select notification_id, facility_code, sex, delivery_id from marts.fct_health_notification order by 1",
        )
        == rows
    )
