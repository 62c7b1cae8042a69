"""What the intruder of report.md knows about the structure of a quarter's public edition, as linear
relations between the count cells of all its tables (and the PDF's chart tables) together.

A cell is (table code, row index, column). A relation is Σ coefficient × cell, and either
- `known`: the intruder knows its value — every row total (T2 male + female + unknown − total), every
  VN/NATIONAL line (Σ provinces − VN: known even where VN also counts events of unknown residence,
  which is more than the intruder can know, so the protection is on the safe side), the same births
  in T2, T3 and T4 by region and VN, the same deaths in T5 and T6, T1's NEW rows behind T2, T4, T6 and
  T7 (the quarter's registrations), the charts' figures as the sums of T1's and T2's cells they are
  drawn from, T7's spouses under the legal age in the bands under it; or
- `at most zero`: an inequality between columns (on_time − deaths ≤ 0), kept only where it holds.

Each relation's known value is the sum over the true values, so the relations always hold together;
crvs/report/protection.py solves them. Nothing here decides what is hidden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from crvs import reference
from crvs.model_contracts import COUNT
from crvs.report.tables import ReportTable

Cell = tuple[str, int, str]  # (table code, row index, column)
NATIONAL = "VN"
TIMELINESS_COLUMNS = {
    "ON_TIME": "on_time",
    "LATE": "late",
    "DELAYED_1_5Y": "delayed_1_5y",
    "DELAYED_5Y_PLUS": "delayed_5y_plus",
}
# Law on Marriage and Family: women under 18, men under 20; the bands that lie wholly below it.
UNDER_LEGAL_AGE_BANDS = {"female": ("<18",), "male": ("<18", "18-19")}


@dataclass(frozen=True)
class Relation:
    terms: tuple[tuple[Cell, int], ...]
    known: bool  # True: Σ terms = its (true) value, known; False: Σ terms ≤ 0
    why: str

    def value(self, values: dict[Cell, int]) -> int:
        return sum(coefficient * values[cell] for cell, coefficient in self.terms)


class Quarter:
    """The quarter's tables by code (T1…T8, C1…C3), with lookups by key."""

    def __init__(self, tables: list[tuple[ReportTable, list[dict]]]):
        self.tables = {table.code: (table, rows) for table, rows in tables}
        self.values: dict[Cell, int] = {}
        for table, rows in tables:
            for column in table.of_kind(COUNT):
                for i, row in enumerate(rows):
                    if row.get(column.name) is not None:
                        self.values[(table.code, i, column.name)] = int(row[column.name])

    def has(self, *codes: str) -> bool:
        return all(code in self.tables for code in codes)

    def cells(self, code: str, column: str, **keys) -> list[Cell]:
        """The cells of `column` in the rows of table `code` whose keys have these values (a tuple
        of values: any of them)."""
        if code not in self.tables:
            return []
        _, rows = self.tables[code]
        wanted = {k: (v if isinstance(v, tuple) else (v,)) for k, v in keys.items()}
        return [
            (code, i, column)
            for i, row in enumerate(rows)
            if all(row.get(k) in values for k, values in wanted.items()) and (code, i, column) in self.values
        ]


def _sum(cells: list[Cell], coefficient: int = 1) -> list[tuple[Cell, int]]:
    return [(cell, coefficient) for cell in cells]


def _known(why: str, *sides: list[tuple[Cell, int]]) -> Relation | None:
    merged: dict[Cell, int] = defaultdict(int)
    for side in sides:
        for cell, coefficient in side:
            merged[cell] += coefficient
    terms = tuple((cell, c) for cell, c in merged.items() if c)
    return Relation(terms, True, why) if terms else None


def region_provinces() -> dict[str, tuple[str, ...]]:
    """Each socio-economic region's 2025 provinces, by the rule dim_province applies (the seeds): a
    2025 province lies in the region of the PRE2025 province whose code it kept."""
    old_regions = {
        r["province_code"]: r["region_code"]
        for r in reference.read_seed("province_regions.csv")
        if r["code_version"] == "PRE2025"
    }
    regions: dict[str, list[str]] = defaultdict(list)
    for row in reference.read_seed("province_crosswalk.csv"):
        if row["old_province_code"] == row["new_province_code"] and row["old_province_code"] in old_regions:
            regions[old_regions[row["old_province_code"]]].append(row["new_province_code"])
    return {region: tuple(sorted(codes)) for region, codes in regions.items()}


def within_tables(quarter: Quarter) -> list[Relation]:
    """Each table's own declarations: row totals, VN/NATIONAL lines, inequalities between columns."""
    found = []
    for code, (table, rows) in quarter.tables.items():
        for i in range(len(rows)):
            for rt in table.row_totals:
                cells = [(code, i, c) for c in (*rt.parts, rt.total)]
                if all(c in quarter.values for c in cells):
                    found.append(_known(f"{code} row total", _sum(cells[:-1]), _sum(cells[-1:], -1)))
            for part, whole in table.at_most:
                cells = [(code, i, part), (code, i, whole)]
                if all(c in quarter.values for c in cells):
                    found.append(Relation(((cells[0], 1), (cells[1], -1)), False, f"{code} {part} ≤ {whole}"))
        ct = table.column_total
        if ct is None:
            continue
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            groups[tuple(row[k] for k in ct.group_keys(table.key_names))].append(i)
        for members in groups.values():
            totals = [i for i in members if rows[i][ct.key] == ct.total_code]
            parts = [i for i in members if rows[i][ct.key] != ct.total_code]
            for column in ct.columns:
                found.append(
                    _known(
                        f"{code} {column} down to {ct.total_code}",
                        _sum([(code, i, column) for i in parts if (code, i, column) in quarter.values]),
                        _sum([(code, i, column) for i in totals if (code, i, column) in quarter.values], -1),
                    )
                )
    return [r for r in found if r is not None]


def _region_sum(quarter: Quarter, code: str, column: str, region: str, regions: dict, key: str = "province_code"):
    """The cells of a province table's `column` for the provinces of `region` (VN: its own row)."""
    if region == NATIONAL:
        return quarter.cells(code, column, **{key: NATIONAL})
    return quarter.cells(code, column, **{key: regions.get(region, ())})


def between_tables(quarter: Quarter) -> list[Relation]:
    """The same events in several tables (report.md's intruder, and the PDF's charts)."""
    regions = region_provinces()
    geographies = (*sorted(regions), NATIONAL)
    found = []
    # Births: T2 (provinces) = T3 = T4 by region and VN; C3 draws T2's sexes by region.
    for region in geographies:
        t2 = _sum(_region_sum(quarter, "T2", "total", region, regions))
        t3 = _sum(quarter.cells("T3", "births", region_code=region))
        t4 = _sum(quarter.cells("T4", "births", region_code=region))
        if quarter.has("T2", "T3"):
            found.append(_known(f"T2 = T3 births of {region}", t2, [(c, -k) for c, k in t3]))
        if quarter.has("T3", "T4"):
            found.append(_known(f"T3 = T4 births of {region}", t3, [(c, -k) for c, k in t4]))
        elif quarter.has("T2", "T4"):
            found.append(_known(f"T2 = T4 births of {region}", t2, [(c, -k) for c, k in t4]))
        for sex in ("male", "female"):
            if quarter.has("T2", "C3"):
                found.append(
                    _known(
                        f"C3 {sex} births of {region} from T2",
                        _sum(quarter.cells("C3", sex, region_code=region)),
                        _sum(_region_sum(quarter, "T2", sex, region, regions), -1),
                    )
                )
        # Deaths: T5 (all bands) = T6 by region and VN.
        if quarter.has("T5", "T6"):
            found.append(
                _known(
                    f"T5 = T6 deaths of {region}",
                    _sum(quarter.cells("T5", "total", geography_code=region)),
                    _sum(_region_sum(quarter, "T6", "deaths", region, regions), -1),
                )
            )
        # Marriages: two spouses per NEW marriage of T1 (C1 by registration province).
        if quarter.has("T7", "C1"):
            c1 = _region_sum(quarter, "C1", "marriages", region, regions)
            found.append(
                _known(
                    f"T7 spouses of {region} = 2 × C1 marriages",
                    _sum(quarter.cells("T7", "spouses", region_code=region)),
                    _sum(c1, -2),
                )
            )
            for sex in ("male", "female"):
                found.append(
                    _known(
                        f"T7 {sex} spouses of {region} = C1 marriages",
                        _sum(quarter.cells("T7", "spouses", region_code=region, sex=sex)),
                        _sum(c1, -1),
                    )
                )
    found += t1_new_rows(quarter, regions)
    found += trend_of_the_quarter(quarter)
    # The charts drawn from T1's NEW rows: C1 by registration province, C2 nationally by timeliness.
    if quarter.has("T1", "C1"):
        _, c1_rows = quarter.tables["C1"]
        for i, row in enumerate(c1_rows):
            if row["province_code"] == NATIONAL:
                continue
            for event, column in (("BIRTH", "births"), ("DEATH", "deaths"), ("MARRIAGE", "marriages")):
                t1 = quarter.cells(
                    "T1", "registrations", province_code=row["province_code"], event_type=event, reg_kind="NEW"
                )
                if not t1:  # no such T1 row: the figures disagree (a hand-made quarter); nothing to link
                    continue
                found.append(
                    _known(
                        f"C1 {column} of {row['province_code']} from T1",
                        _sum([("C1", i, column)] if ("C1", i, column) in quarter.values else []),
                        _sum(t1, -1),
                    )
                )
    for event in ("BIRTH", "DEATH"):
        for timeliness, column in TIMELINESS_COLUMNS.items():
            c2 = _sum(quarter.cells("C2", column, event_type=event))
            if quarter.has("T1", "C2"):
                found.append(
                    _known(
                        f"C2 {event} {column} from T1",
                        c2,
                        _sum(
                            quarter.cells(
                                "T1", "registrations", event_type=event, reg_kind="NEW", timeliness=timeliness
                            ),
                            -1,
                        ),
                    )
                )
            if event == "BIRTH" and quarter.has("T4", "C2"):
                found.append(
                    _known(
                        f"C2 births {column} = T4 VN",
                        c2,
                        _sum(quarter.cells("T4", "births", region_code=NATIONAL, timeliness=timeliness), -1),
                    )
                )
    if quarter.has("C2", "T6"):
        for c2_column, t6_column in (("total", "deaths"), ("on_time", "on_time")):
            found.append(
                _known(
                    f"C2 deaths {c2_column} = T6 VN {t6_column}",
                    _sum(quarter.cells("C2", c2_column, event_type="DEATH")),
                    _sum(quarter.cells("T6", t6_column, province_code=NATIONAL), -1),
                )
            )
    # T7: every spouse in a band wholly under the legal age is under it.
    for sex, bands in UNDER_LEGAL_AGE_BANDS.items():
        for spouses in quarter.cells("T7", "spouses", sex=sex, age_band=bands):
            found.append(
                _known(
                    "T7 under the legal age in its bands",
                    _sum([spouses]),
                    _sum([(spouses[0], spouses[1], "under_legal_age")], -1),
                )
            )
    return [r for r in found if r is not None]


def t1_new_rows(quarter: Quarter, regions: dict) -> list[Relation]:
    """T1's NEW rows are the quarter's registrations of the other tables (report.md "Counted events"),
    with or without the charts: its births are T2's VN total (by timeliness T4's VN), its deaths T6's
    VN deaths (on time: T6's on_time), and each NEW marriage has two spouses in T7, one of each sex,
    by the registration region. A region without a T1 row has none (T1 lists only non-empty rows)."""
    if "T1" not in quarter.tables:
        return []

    def t1(event: str, **keys) -> list[tuple[Cell, int]]:
        return _sum(quarter.cells("T1", "registrations", event_type=event, reg_kind="NEW", **keys), -1)

    found = []
    if quarter.has("T2"):
        found.append(
            _known("T1 NEW births = T2 VN", _sum(quarter.cells("T2", "total", province_code=NATIONAL)), t1("BIRTH"))
        )
    if quarter.has("T4"):
        for timeliness in TIMELINESS_COLUMNS:
            found.append(
                _known(
                    f"T1 NEW births {timeliness} = T4 VN",
                    t1("BIRTH", timeliness=timeliness),
                    _sum(quarter.cells("T4", "births", region_code=NATIONAL, timeliness=timeliness)),
                )
            )
    if quarter.has("T6"):
        for t6_column, timeliness in (("deaths", {}), ("on_time", {"timeliness": "ON_TIME"})):
            found.append(
                _known(
                    f"T1 NEW deaths = T6 VN {t6_column}",
                    t1("DEATH", **timeliness),
                    _sum(quarter.cells("T6", t6_column, province_code=NATIONAL)),
                )
            )
    if quarter.has("T7"):
        for region in (*sorted(regions), NATIONAL):
            where = {} if region == NATIONAL else {"province_code": regions[region]}
            marriages = t1("MARRIAGE", **where)
            found.append(
                _known(
                    f"T7 spouses of {region} = 2 × T1 NEW marriages",
                    _sum(quarter.cells("T7", "spouses", region_code=region)),
                    [(c, 2 * k) for c, k in marriages],
                )
            )
            for sex in ("male", "female"):
                found.append(
                    _known(
                        f"T7 {sex} spouses of {region} = T1 NEW marriages",
                        _sum(quarter.cells("T7", "spouses", region_code=region, sex=sex)),
                        marriages,
                    )
                )
    return found


# T11's row of the report quarter itself: the quarter's NEW registrations of T1 (C1, C2 draw the same)
# and T8's VN events on time. Its rows of earlier quarters have no cell of this quarter's tables.
TREND_FROM_T1 = (
    ("births", "BIRTH", None),
    ("births_on_time", "BIRTH", "ON_TIME"),
    ("deaths", "DEATH", None),
    ("deaths_on_time", "DEATH", "ON_TIME"),
    ("marriages", "MARRIAGE", None),
)
TREND_FROM_T8 = (("birth_events_on_time", "births_on_time"), ("death_events_on_time", "deaths_on_time"))


def trend_of_the_quarter(quarter: Quarter) -> list[Relation]:
    """T11's figures of the report quarter are T1's NEW rows (by event, on time) and T8's VN row."""
    if "T11" not in quarter.tables:
        return []
    _, rows = quarter.tables["T11"]
    found = []
    for i, row in enumerate(rows):
        if row["period"] != row["quarter"]:
            continue
        own = {
            column: _sum([("T11", i, column)] if ("T11", i, column) in quarter.values else [])
            for column in (*(c for c, _, _ in TREND_FROM_T1), *(c for c, _ in TREND_FROM_T8))
        }
        if quarter.has("T1"):
            for column, event, timeliness in TREND_FROM_T1:
                if not own[column]:
                    continue
                keys = {"event_type": event, "reg_kind": "NEW"} | ({"timeliness": timeliness} if timeliness else {})
                found.append(
                    _known(
                        f"T11 {column} = T1 NEW", own[column], _sum(quarter.cells("T1", "registrations", **keys), -1)
                    )
                )
        if quarter.has("T8"):
            for column, t8_column in TREND_FROM_T8:
                if not own[column]:
                    continue
                found.append(
                    _known(
                        f"T11 {column} = T8 VN {t8_column}",
                        own[column],
                        _sum(quarter.cells("T8", t8_column, province_code=NATIONAL), -1),
                    )
                )
    return found


def relations(tables: list[tuple[ReportTable, list[dict]]]) -> tuple[dict[Cell, int], list[Relation]]:
    """The count cells' true values and every relation the intruder knows, over all `tables`.
    An inequality that the figures themselves break (a model's own inconsistency) is left out: the
    intruder could not rely on it."""
    quarter = Quarter(tables)
    every = within_tables(quarter) + between_tables(quarter)
    kept = [
        r
        for r in every
        if all(cell in quarter.values for cell, _ in r.terms) and (r.known or r.value(quarter.values) <= 0)
    ]
    return quarter.values, kept
