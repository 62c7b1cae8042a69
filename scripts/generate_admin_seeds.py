"""Regenerate the administrative-unit seeds of dbt_project/seeds from `vietnamadminunits` (MIT).

The package is a build-time source only, never a runtime dependency. Run it in a throw-away venv:

    python -m venv /tmp/vau && /tmp/vau/bin/pip install vietnamadminunits==1.0.4
    /tmp/vau/bin/python scripts/generate_admin_seeds.py

It writes, sorted so that diffs stay readable:
  admin_provinces.csv     both official province lists (PRE2025: 63, 2025: 34) with validity dates
  admin_communes.csv      both commune lists with their province (PRE2025: ~10,040, 2025: 3,321)
  province_crosswalk.csv  the official 63 -> 34 mapping (merges were whole provinces)
  commune_crosswalk.csv   each PRE2025 commune -> the 2025 commune(s) its territory went to; a
                          commune split between several has one row per part and exactly one
                          is_default row (the package's isDefaultNewWard). The five island
                          districts that had no communes (Hoàng Sa, Bạch Long Vĩ, Côn Đảo, Lý Sơn,
                          Cồn Cỏ; now special zones) have no commune code, so no row.
"""

import csv
import json
from collections import Counter
from importlib.resources import files
from pathlib import Path

from vietnamadminunits.database import query

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
REFORM_DATE = "2025-07-01"


def write(name: str, header: list[str], rows: list[tuple]) -> None:
    with open(SEEDS / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(sorted(rows))
    print(f"{name}: {len(rows)} rows")


def main() -> None:
    converter = json.loads(files("vietnamadminunits").joinpath("data/converter_2025.json").read_text(encoding="utf-8"))
    old = {
        r["provinceKey"]: r
        for r in query("SELECT DISTINCT provinceKey, provinceCode, province FROM admin_units_legacy")
    }
    new = {r["provinceKey"]: r for r in query("SELECT DISTINCT provinceKey, provinceCode, province FROM admin_units")}
    crosswalk = [
        (old[o]["provinceCode"], new[n]["provinceCode"]) for n, olds in converter["DICT_PROVINCE"].items() for o in olds
    ]
    assert len(crosswalk) == 63 and len({n for _, n in crosswalk}) == 34
    assert len({o for o, _ in crosswalk}) == 63

    provinces = [("PRE2025", r["provinceCode"], r["province"], "", REFORM_DATE) for r in old.values()]
    provinces += [("2025", r["provinceCode"], r["province"], REFORM_DATE, "") for r in new.values()]
    communes = [
        ("PRE2025", r["wardCode"], r["ward"], r["provinceCode"])
        for r in query(
            "SELECT DISTINCT wardCode, ward, provinceCode FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode != ''"
        )
    ]
    communes += [
        ("2025", r["wardCode"], r["ward"], r["provinceCode"])
        for r in query("SELECT DISTINCT wardCode, ward, provinceCode FROM admin_units")
    ]

    write(
        "admin_provinces.csv", ["code_version", "province_code", "province_name", "valid_from", "valid_to"], provinces
    )
    write("admin_communes.csv", ["code_version", "commune_code", "commune_name", "province_code"], communes)
    write("province_crosswalk.csv", ["old_province_code", "new_province_code"], crosswalk)
    write(
        "commune_crosswalk.csv",
        ["old_commune_code", "new_commune_code", "old_province_code", "new_province_code", "is_default", "is_divided"],
        commune_crosswalk(converter),
    )


def commune_crosswalk(converter: dict) -> list[tuple]:
    """(old commune, new commune, old province, new province, is_default, is_divided) rows from the
    package's converter: DICT_PROVINCE_WARD_NO_DIVIDED lists, per new commune, the old communes
    wholly inside it; DICT_PROVINCE_WARD_DIVIDED lists, per divided old commune, its new parts."""
    old = {
        (r["provinceKey"], r["districtKey"], r["wardKey"]): r
        for r in query(
            "SELECT provinceKey, districtKey, wardKey, wardCode, provinceCode FROM admin_units_legacy"
            " WHERE wardCode IS NOT NULL AND wardCode != ''"
        )
    }
    new = {
        (r["provinceKey"], r["wardKey"]): r
        for r in query("SELECT provinceKey, wardKey, wardCode, provinceCode FROM admin_units")
    }

    def row(old_key: str, new_province_key: str, new_ward_key: str, is_default: bool, is_divided: bool):
        o, n = old.get(tuple(old_key.split("_"))), new.get((new_province_key, new_ward_key))
        if o is None:  # an island district without communes (e.g. 'tinhquangngai_huyenlyson_')
            assert old_key.endswith("_"), old_key
            return None
        return (
            o["wardCode"],
            n["wardCode"],
            o["provinceCode"],
            n["provinceCode"],
            "true" if is_default else "false",
            "true" if is_divided else "false",
        )

    rows = [
        row(o, np_, nw, True, False)
        for np_, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items()
        for nw, olds in wards.items()
        for o in olds
    ]
    rows += [
        row(o, np_, part["newWardKey"], part["isDefaultNewWard"], True)
        for np_, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items()
        for o, parts in divided.items()
        for part in parts
    ]
    rows = [r for r in rows if r is not None]
    defaults = Counter(r[0] for r in rows if r[4] == "true")
    assert len(defaults) == len(old) and set(defaults.values()) == {1}, "one default per old commune"
    assert len({(r[0], r[1]) for r in rows}) == len(rows), "no pair twice"
    return rows


if __name__ == "__main__":
    main()
