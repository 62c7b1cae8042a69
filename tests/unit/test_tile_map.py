"""The tile-grid map of birth completeness: its layout seed (34 provinces of the 2025 list, one a
tile, roughly where they lie) and its colouring from hand-made published rows, a hidden one among
them; and the PDF's map page."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

from matplotlib.patches import Rectangle
from pypdf import PdfReader

from crvs import reference
from crvs.report import pdf_map, tile_map
from crvs.report.pdf import PdfInputs, write_pdf
from crvs.report.tables import T8


def test_the_seed_places_the_34_provinces_of_2025_one_a_tile():
    grid = tile_map.tiles()
    codes = reference.province_codes("2025")

    assert len(grid) == 34 and len(codes) == 34
    assert {t.province_code for t in grid} == set(codes)
    assert len({(t.col, t.row) for t in grid}) == 34
    assert tile_map.layout_problems(grid, codes) == []
    assert {t.col for t in grid} == set(range(6)) and {t.row for t in grid} == set(range(14))


def test_the_layout_check_fails_on_a_shared_tile_and_a_missing_province():
    grid = list(tile_map.tiles())
    hanoi = next(i for i, t in enumerate(grid) if t.province_code == "01")
    bac_ninh = next(t for t in grid if t.province_code == "24")
    grid[hanoi] = dataclasses.replace(grid[hanoi], col=bac_ninh.col, row=bac_ninh.row)  # Hà Nội onto Bắc Ninh

    assert tile_map.layout_problems(tuple(grid), reference.province_codes("2025")) == [
        f"tile (col {bac_ninh.col}, row {bac_ninh.row}) holds 01, 24"
    ]
    assert tile_map.layout_problems(tuple(grid[1:]), reference.province_codes("2025"))[0].endswith("has no tile")


def test_rows_follow_the_seats_north_to_south_and_columns_west_to_east():
    seats = {
        r["province_code"]: (float(r["seat_lat"]), float(r["seat_lon"]))
        for r in reference.read_seed(tile_map.GRID_SEED)
    }
    grid = tile_map.tiles()
    for a in grid:
        for b in grid:
            (lat_a, lon_a), (lat_b, lon_b) = seats[a.province_code], seats[b.province_code]
            if lat_a > lat_b + 1.0:  # a's seat clearly further north: a never below b
                assert a.row <= b.row, (a, b)
            if lat_a > lat_b + 2.0:
                assert a.row < b.row, (a, b)
            if a.row == b.row and a.col < b.col:
                assert lon_a < lon_b, (a, b)
    # Neighbours touch: Hà Nội next to Bắc Ninh, HCMC under Đồng Nai, Cà Mau under An Giang.
    where = {t.province_code: (t.col, t.row) for t in grid}
    assert where["24"] == (where["01"][0] + 1, where["01"][1])
    assert where["79"] == (where["75"][0], where["75"][1] + 1)
    assert where["96"] == (where["91"][0], where["91"][1] + 1)


def t8(code, pct):
    """A published T8 row: every column of the table (the PDF prints them), the map's one given."""
    row = {column.name: 100 for column in T8.columns}
    return {**row, "quarter": "2025Q3", "province_code": code, "birth_completeness_pct": pct}


# Hand-made published rows: a value in each class (bounds on the edges), a hidden cell, an empty
# cell; Huế (46) has no row at all; VN has no tile.
ROWS = [
    t8("01", Decimal("100.0")),  # the 2030 target reached: darkest
    t8("79", Decimal("99.9")),
    t8("48", Decimal("95.0")),
    t8("31", Decimal("90.0")),
    t8("22", Decimal("80.0")),
    t8("12", Decimal("79.9")),
    t8("11", "x"),
    t8("92", None),
    t8("VN", Decimal("91.3")),
]


def test_each_province_is_coloured_by_its_published_class_and_a_hidden_cell_is_grey_and_hatched():
    styles = tile_map.tile_styles(ROWS)

    assert len(styles) == 34 and "VN" not in styles
    assert styles["01"] == tile_map.TileStyle("#08519c", None, "100,0", "Từ 100 trở lên\n(đạt mục tiêu 2030)")
    assert styles["79"] == tile_map.TileStyle("#3182bd", None, "99,9", "95 – dưới 100")
    assert styles["48"] == tile_map.TileStyle("#3182bd", None, "95,0", "95 – dưới 100")
    assert styles["31"] == tile_map.TileStyle("#6baed6", None, "90,0", "90 – dưới 95")
    assert styles["22"] == tile_map.TileStyle("#bdd7e7", None, "80,0", "80 – dưới 90")
    assert styles["12"] == tile_map.TileStyle("#eff3ff", None, "79,9", "Dưới 80")
    assert styles["11"] == tile_map.TileStyle("#d9d9d9", "////", "x", tile_map.HIDDEN_LEGEND)
    assert styles["92"] == styles["46"] == tile_map.TileStyle("#ffffff", None, "—", tile_map.EMPTY_LEGEND)


def test_the_drawn_map_has_those_colours_and_says_what_the_hatched_tile_means():
    fig = tile_map.map_figure(ROWS)
    ax = fig.axes[0]
    squares = {
        (round(p.get_x()), round(p.get_y())): p for p in ax.patches if isinstance(p, Rectangle)
    }  # a tile's square sits just inside (col, row)
    where = {t.province_code: (t.col, t.row) for t in tile_map.tiles()}

    assert len(squares) == 34
    hidden = squares[where["11"]]
    assert hidden.get_hatch() == "////" and hidden.get_facecolor()[:3] == (0xD9 / 255,) * 3
    assert squares[where["01"]].get_facecolor()[:3] == (0x08 / 255, 0x51 / 255, 0x9C / 255)
    assert squares[where["01"]].get_hatch() is None
    texts = [t.get_text() for t in ax.texts]
    assert "Hà\nNội" in texts and "100,0" in texts and "x" in texts and "Toàn quốc: 91,3%" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert tile_map.HIDDEN_LEGEND in legend and tile_map.EMPTY_LEGEND in legend and len(legend) == 7

    # No hidden or empty tile: the legend holds the five classes only.
    full = [t8(t.province_code, Decimal("92.0")) for t in tile_map.tiles()]
    assert len(tile_map.map_figure(full).axes[0].get_legend().get_texts()) == 5


def test_the_pdf_has_the_map_on_a_page_of_its_own_only_when_t8_has_rows(tmp_path):
    write_pdf(tmp_path / "map.pdf", PdfInputs(quarter="2025Q3", tables=[(T8, ROWS)]))
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(tmp_path / "map.pdf").pages]
    on = [i for i, text in enumerate(pages) if pdf_map.TITLE in text]

    assert len(on) == 2  # the contents page and the map's
    page = pages[on[1]]
    assert page.startswith("Bản đồ " + pdf_map.TITLE)
    assert "Trẻ sinh trong quý 3/2025" in page and "Nguồn: Bộ Tư pháp" in page and "«x»" in page
    assert "Các bảng số liệu" in pages[on[1] + 1]  # the notes stayed on the map's page

    write_pdf(tmp_path / "none.pdf", PdfInputs(quarter="2025Q3", tables=[(T8, [])]))
    assert pdf_map.TITLE not in " ".join(p.extract_text() for p in PdfReader(tmp_path / "none.pdf").pages)
