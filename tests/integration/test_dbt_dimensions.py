"""The region and age dimensions, built by dbt on an empty-raw warehouse (they come from seeds only).

One build for the whole module. The expected regions are typed here by hand from the GSO list of
the 63 PRE2025 provinces and from the documented rule for the 34 provinces of 2025: a 2025
province belongs to the region of the PRE2025 province whose code it kept.
"""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest

from crvs import transform
from crvs.feeds.tables import ensure_tables

# The GSO regions of the 63 PRE2025 provinces (Resolution 81/2023).
PRE2025_REGIONS = {
    "NMM": "02 04 06 08 10 11 12 14 15 17 19 20 24 25",
    "RRD": "01 22 26 27 30 31 33 34 35 36 37",
    "NCC": "38 40 42 44 45 46 48 49 51 52 54 56 58 60",
    "CHL": "62 64 66 67 68",
    "SE": "70 72 74 75 77 79",
    "MRD": "80 82 83 84 86 87 89 91 92 93 94 95 96",
}
HISTORICAL_REGION = {code: region for region, codes in PRE2025_REGIONS.items() for code in codes.split()}

# The seven 2025 provinces whose constituents lay in two regions, placed by the code keeper.
STRADDLERS = {
    "24": "NMM",  # Bắc Ninh ← 24 Bắc Giang NMM (keeps the code) + 27 Bắc Ninh RRD
    "25": "NMM",  # Phú Thọ ← 25 Phú Thọ NMM + 17 Hòa Bình NMM + 26 Vĩnh Phúc RRD
    "51": "NCC",  # Quảng Ngãi ← 51 Quảng Ngãi NCC + 62 Kon Tum CHL
    "52": "NCC",  # Gia Lai ← 52 Bình Định NCC + 64 Gia Lai CHL
    "66": "CHL",  # Đắk Lắk ← 66 Đắk Lắk CHL + 54 Phú Yên NCC
    "68": "CHL",  # Lâm Đồng ← 68 Lâm Đồng CHL + 67 Đắk Nông CHL + 60 Bình Thuận NCC
    "80": "MRD",  # Tây Ninh ← 80 Long An MRD + 72 Tây Ninh SE
}
# The other 27 merged or unchanged provinces: all constituents in one region.
SINGLE_REGION_2025 = {
    "NMM": "04 08 11 12 14 15 19 20",
    "RRD": "01 22 31 33 37",
    "NCC": "38 40 42 44 46 48 56",
    "CHL": "",
    "SE": "75 79",
    "MRD": "82 86 91 92 96",
}
REGION_2025 = {code: region for region, codes in SINGLE_REGION_2025.items() for code in codes.split()} | STRADDLERS


@pytest.fixture(scope="module")
def built(module_warehouse):
    """A fresh warehouse with the raw tables but no rows, built by dbt once; yields a connection."""
    with psycopg.connect(module_warehouse, autocommit=True) as conn:
        ensure_tables(conn)
        transform.build()
        yield conn


def _rows(conn, sql: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sql).fetchall()]


def test_the_hand_typed_expectations_add_up():
    assert {r: len(c.split()) for r, c in PRE2025_REGIONS.items()} == {
        "NMM": 14,
        "RRD": 11,
        "NCC": 14,
        "CHL": 5,
        "SE": 6,
        "MRD": 13,
    }
    assert len(HISTORICAL_REGION) == 63
    assert len(REGION_2025) == 34


def test_six_regions(built):
    assert _rows(
        built,
        "select region_code, region_name_en, region_name_vi, sort_order,"
        " provinces_pre2025, provinces_2025 from marts.dim_region order by sort_order",
    ) == [
        ("NMM", "Northern Midlands and Mountains", "Trung du và miền núi phía Bắc", 1, 14, 10),
        ("RRD", "Red River Delta", "Đồng bằng sông Hồng", 2, 11, 5),
        ("NCC", "North Central and Central Coast", "Bắc Trung Bộ và duyên hải miền Trung", 3, 14, 9),
        ("CHL", "Central Highlands", "Tây Nguyên", 4, 5, 2),
        ("SE", "Southeast", "Đông Nam Bộ", 5, 6, 2),
        ("MRD", "Mekong River Delta", "Đồng bằng sông Cửu Long", 6, 13, 6),
    ]


def test_pre2025_provinces_keep_their_historical_region(built):
    rows = _rows(
        built, "select province_code, region_code_historical from marts.dim_province where code_version = 'PRE2025'"
    )
    assert dict(rows) == HISTORICAL_REGION
    assert Counter(region for _, region in rows) == {"NMM": 14, "RRD": 11, "NCC": 14, "CHL": 5, "SE": 6, "MRD": 13}


def test_2025_provinces_are_each_in_one_region(built):
    rows = _rows(
        built,
        "select province_code, region_code, region_code_historical from marts.dim_province where code_version = '2025'",
    )
    assert len(rows) == 34
    assert {code: region for code, region, _ in rows} == REGION_2025
    assert all(historical is None for _, _, historical in rows)


def test_the_seven_straddlers_are_resolved_by_the_code_keeper(built):
    rows = _rows(
        built,
        "select province_2025_code, code_kept_from, region_code, constituent_region_codes"
        " from intermediate.int_provinces__regions_2025 where straddles_regions",
    )
    assert {code: (kept, region) for code, kept, region, _ in rows} == {
        code: (code, region) for code, region in STRADDLERS.items()
    }
    assert {code: regions for code, _, _, regions in rows} == {
        "24": "NMM,RRD",
        "25": "NMM,RRD",
        "51": "CHL,NCC",
        "52": "CHL,NCC",
        "66": "CHL,NCC",
        "68": "CHL,NCC",
        "80": "MRD,SE",
    }


def test_a_pre2025_province_takes_the_region_of_its_2025_province(built):
    rows = _rows(
        built,
        "select province_code, province_2025_code, region_code, region_code_historical"
        " from marts.dim_province where code_version = 'PRE2025'"
        " and province_code in ('27', '64', '72', '24')",
    )
    assert sorted(rows) == [
        ("24", "24", "NMM", "NMM"),  # Bắc Giang kept its code
        ("27", "24", "NMM", "RRD"),  # Bắc Ninh of RRD is now part of 2025 Bắc Ninh, NMM
        ("64", "52", "NCC", "CHL"),  # Gia Lai of CHL is now part of 2025 Gia Lai, NCC
        ("72", "80", "MRD", "SE"),  # Tây Ninh of SE is now part of 2025 Tây Ninh, MRD
    ]


def test_age_bands_cover_every_year_from_0_to_120(built):
    ages = [age for (age,) in _rows(built, "select age_years from marts.dim_age_band order by age_years")]
    assert ages == list(range(121))
    assert _rows(
        built,
        "select death_age_band, mother_age_band, marriage_age_band, gso_age_group"
        " from marts.dim_age_band where age_years in (0, 120) order by age_years",
    ) == [
        ("<1", "<15", "<18", "0-4"),
        ("85+", "50+", "60+", "80+"),
    ]
    # one distinct label per band: 19 death bands, 9 mother's, 11 marriage, 17 GSO groups
    assert _rows(
        built,
        "select count(distinct death_age_band), count(distinct mother_age_band),"
        " count(distinct marriage_age_band), count(distinct gso_age_group)"
        " from marts.dim_age_band",
    ) == [(19, 9, 11, 17)]


def test_moh_rows_after_an_empty_first_build_reach_the_incremental_fact(built):
    """The first build ran on empty raw tables (this module's fixture): the incremental MOH fact
    exists but is empty. A MOH delivery loaded later must still be picked up by the next build."""
    assert _rows(built, "select count(*) from marts.fct_health_notification") == [(0,)]
    built.execute(
        "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at,"
        " period_start, period_end, source, manifest) values ('MOH-2025Q3-0001', 'MOH', 'FILE', '1.0',"
        " '2025-10-06T08:00:00+07:00', '2025-07-01', '2025-09-30', 'test', '{}')"
    )
    built.execute(
        "insert into raw.moh_births (source_row, delivery_id, notification_id, facility_code,"
        " facility_province_code, admin_code_version, birth_date, sex, outcome)"
        " values (1, 'MOH-2025Q3-0001', 'N1', 'F01', '01', '2025', '2025-08-01', 'F', 'LIVE')"
    )
    transform.build(select="fct_health_notification")
    assert _rows(built, "select notification_id, facility_province_2025 from marts.fct_health_notification") == [
        ("N1", "01")
    ]
