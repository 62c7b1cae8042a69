"""Regenerate the administrative-unit seeds of dbt_project/seeds from `vietnamadminunits` (MIT).

The package is a build-time source only, never a runtime dependency. Run it in a throw-away venv:

    python -m venv /tmp/vau && /tmp/vau/bin/pip install vietnamadminunits==1.0.4
    /tmp/vau/bin/python scripts/generate_admin_seeds.py

It writes, sorted so that diffs stay readable:
  admin_provinces.csv     both official province lists (PRE2025: 63, 2025: 34) with validity dates
  admin_communes.csv      both commune lists with their province (PRE2025: ~10,040, 2025: 3,321)
  province_crosswalk.csv  the official 63 -> 34 mapping (merges were whole provinces)
"""

import csv
import json
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
    converter = json.loads(
        files("vietnamadminunits").joinpath("data/converter_2025.json").read_text(encoding="utf-8")
    )
    old = {r["provinceKey"]: r for r in query(
        "SELECT DISTINCT provinceKey, provinceCode, province FROM admin_units_legacy")}
    new = {r["provinceKey"]: r for r in query(
        "SELECT DISTINCT provinceKey, provinceCode, province FROM admin_units")}
    crosswalk = [(old[o]["provinceCode"], new[n]["provinceCode"])
                 for n, olds in converter["DICT_PROVINCE"].items() for o in olds]
    assert len(crosswalk) == 63 and len({n for _, n in crosswalk}) == 34
    assert len({o for o, _ in crosswalk}) == 63

    provinces = [("PRE2025", r["provinceCode"], r["province"], "", REFORM_DATE) for r in old.values()]
    provinces += [("2025", r["provinceCode"], r["province"], REFORM_DATE, "") for r in new.values()]
    communes = [("PRE2025", r["wardCode"], r["ward"], r["provinceCode"]) for r in query(
        "SELECT DISTINCT wardCode, ward, provinceCode FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode != ''")]
    communes += [("2025", r["wardCode"], r["ward"], r["provinceCode"]) for r in query(
        "SELECT DISTINCT wardCode, ward, provinceCode FROM admin_units")]

    write("admin_provinces.csv",
          ["code_version", "province_code", "province_name", "valid_from", "valid_to"], provinces)
    write("admin_communes.csv", ["code_version", "commune_code", "commune_name", "province_code"], communes)
    write("province_crosswalk.csv", ["old_province_code", "new_province_code"], crosswalk)


if __name__ == "__main__":
    main()
