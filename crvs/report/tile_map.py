"""The tile-grid map of birth completeness by province: each of the 34 provinces of 2025 one square
at its approximate place (seed province_tile_grid), coloured by T8's birth_completeness_pct as
published (public edition: a hidden cell is `x`, drawn grey and hatched, never as a class).

`tile_styles` is the colouring, a pure function of the published rows (what the tests check);
`completeness_map` draws it with matplotlib, in the style of crvs/report/charts.py. Nothing is
downloaded: the layout is a committed seed.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from crvs import reference
from crvs.report import charts
from crvs.report.disclosure import SUPPRESSED
from crvs.report.labels import vn_number

GRID_SEED = "province_tile_grid.csv"
FIGSIZE = (6.4, 8.4)  # inches: the 6 × 14 tiles and the legend beside them
COLUMN = "birth_completeness_pct"

# Fixed classes (the same in every quarter, so quarters compare): lower bound included, upper
# excluded; the last is the 2030 target (100 %) and above. ColorBrewer "Blues", 5 classes.
CLASSES: tuple[tuple[float | None, float | None, str, str], ...] = (
    (None, 80.0, "Dưới 80", "#eff3ff"),
    (80.0, 90.0, "80 – dưới 90", "#bdd7e7"),
    (90.0, 95.0, "90 – dưới 95", "#6baed6"),
    (95.0, 100.0, "95 – dưới 100", "#3182bd"),
    (100.0, None, "Từ 100 trở lên\n(đạt mục tiêu 2030)", "#08519c"),
)
HIDDEN_COLOUR, HIDDEN_HATCH = "#d9d9d9", "////"
EMPTY_COLOUR = "#ffffff"
DARK_CLASSES = {"#3182bd", "#08519c"}  # white text on these


@dataclass(frozen=True)
class Tile:
    province_code: str
    label: str
    col: int
    row: int


@dataclass(frozen=True)
class TileStyle:
    colour: str
    hatch: str | None  # HIDDEN_HATCH on a hidden cell
    value_text: str  # printed under the name: '92,4', 'x' or '—'
    legend: str  # the legend entry the tile belongs to


HIDDEN_LEGEND = f"«{SUPPRESSED}»: số bị che để bảo vệ\nthông tin cá nhân"
EMPTY_LEGEND = "«—»: không tính được\n(không có số liệu)"


def tiles() -> tuple[Tile, ...]:
    """The 34 tiles of the seed, north to south, west to east."""
    rows = reference.read_seed(GRID_SEED)
    grid = [Tile(r["province_code"], r["tile_label"], int(r["grid_col"]), int(r["grid_row"])) for r in rows]
    return tuple(sorted(grid, key=lambda t: (t.row, t.col)))


def layout_problems(grid: tuple[Tile, ...], codes: tuple[str, ...]) -> list[str]:
    """What is wrong with a layout for the province list `codes`: a province missing, unknown or
    twice, two provinces on one tile. Empty when the layout is sound."""
    problems = []
    seen = [t.province_code for t in grid]
    problems += [f"province {c} has no tile" for c in sorted(set(codes) - set(seen))]
    problems += [f"province {c} is not in the list" for c in sorted(set(seen) - set(codes))]
    problems += [f"province {c} has {seen.count(c)} tiles" for c in sorted(set(seen)) if seen.count(c) > 1]
    on_tile: dict[tuple[int, int], list[str]] = {}
    for t in grid:
        on_tile.setdefault((t.col, t.row), []).append(t.province_code)
    problems += [
        f"tile (col {col}, row {row}) holds {', '.join(held)}" for (col, row), held in on_tile.items() if len(held) > 1
    ]
    return problems


def completeness_class(value: float) -> tuple[str, str]:
    """(legend label, colour) of a completeness in %."""
    for low, high, label, colour in CLASSES:
        if (low is None or value >= low) and (high is None or value < high):
            return label, colour
    raise AssertionError(value)  # the classes cover every number


def tile_styles(rows: list[dict], grid: tuple[Tile, ...] | None = None) -> dict[str, TileStyle]:
    """Each province's tile as the published T8 rows colour it, by province code: its class colour
    and value, or grey hatched `x` where the cell is hidden, or white `—` where it is empty or the
    province has no row. Only the rows given are read (the public edition's)."""
    published = {r["province_code"]: r.get(COLUMN) for r in rows}
    styles = {}
    for tile in grid if grid is not None else tiles():
        value = published.get(tile.province_code)
        if value == SUPPRESSED:
            styles[tile.province_code] = TileStyle(HIDDEN_COLOUR, HIDDEN_HATCH, SUPPRESSED, HIDDEN_LEGEND)
        elif value is None or value == "":
            styles[tile.province_code] = TileStyle(EMPTY_COLOUR, None, "—", EMPTY_LEGEND)
        else:
            label, colour = completeness_class(float(value))
            styles[tile.province_code] = TileStyle(colour, None, vn_number(value, 1), label)
    return styles


def _tile_text(label: str) -> str:
    """A name of two words or more on two lines, so it fits the square."""
    words = label.split()
    return label if len(words) < 2 else f"{words[0]}\n{' '.join(words[1:])}"


def completeness_map(rows: list[dict]) -> bytes:
    """The map as PNG bytes."""
    return charts._png(map_figure(rows))


def map_figure(rows: list[dict]) -> Figure:
    """The map: one square patch per province (in the order of `tiles()`), the classes' legend
    (with the hidden and empty tiles when there are any) and the national figure."""
    grid = tiles()
    styles = tile_styles(rows, grid)
    national = next((r.get(COLUMN) for r in rows if r["province_code"] == charts.NATIONAL), None)
    fig = charts._figure(*FIGSIZE)
    ax = fig.add_subplot()
    for tile in grid:
        style = styles[tile.province_code]
        ax.add_patch(
            Rectangle(
                (tile.col + 0.04, tile.row + 0.04),
                0.92,
                0.92,
                facecolor=style.colour,
                edgecolor="#9e9e9e" if style.colour in (EMPTY_COLOUR, HIDDEN_COLOUR) else "white",
                hatch=style.hatch,
                linewidth=0.8,
            )
        )
        ink = "white" if style.colour in DARK_CLASSES else "#1a1a1a"
        ax.text(
            tile.col + 0.5,
            tile.row + 0.36,
            _tile_text(tile.label),
            ha="center",
            va="center",
            fontsize=6.2,
            linespacing=1.0,
            color=ink,
            fontfamily=charts.FONT,
        )
        ax.text(
            tile.col + 0.5,
            tile.row + 0.76,
            style.value_text,
            ha="center",
            va="center",
            fontsize=7.5,
            fontweight="bold",
            color=ink,
            fontfamily=charts.FONT,
        )
    width = max(t.col for t in grid) + 1
    height = max(t.row for t in grid) + 1
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(height + 0.1, -0.1)  # row 0 (north) at the top
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [
        Patch(facecolor=colour, edgecolor="#9e9e9e", linewidth=0.5, label=label) for *_, label, colour in CLASSES
    ]
    used = {s.legend for s in styles.values()}
    if HIDDEN_LEGEND in used:
        handles.append(
            Patch(facecolor=HIDDEN_COLOUR, edgecolor="#9e9e9e", hatch=HIDDEN_HATCH, linewidth=0.5, label=HIDDEN_LEGEND)
        )
    if EMPTY_LEGEND in used:
        handles.append(Patch(facecolor=EMPTY_COLOUR, edgecolor="#9e9e9e", linewidth=0.5, label=EMPTY_LEGEND))
    if national is not None:
        ax.text(
            1.04,
            1.0,
            f"Toàn quốc: {SUPPRESSED if national == SUPPRESSED else vn_number(national, 1) + '%'}",
            transform=ax.transAxes,
            va="top",
            fontsize=9,
            fontweight="bold",
            fontfamily=charts.FONT,
        )
    ax.legend(
        handles=handles,
        title="Mức độ đầy đủ khai sinh (%)",
        loc="upper left",
        bbox_to_anchor=(1.0, 0.965),
        frameon=False,
        prop={"family": charts.FONT, "size": 7.5},
        title_fontproperties={"family": charts.FONT, "size": 8, "weight": "bold"},
        alignment="left",
        handlelength=2.0,
        handleheight=2.0,
        labelspacing=0.9,
    )
    return fig
