"""The PDF's charts, drawn with matplotlib from rows as published (public edition: `x` in hidden
cells, drawn as a gap marked `x`, never as a number).

Each function takes the rows of one table, looked up by code (T2, T5, T8, C1–C3), and returns PNG
bytes. The figure objects are built without pyplot (no global state) and saved without the
matplotlib version in the metadata, so the same rows always give the same bytes.
Labels are in Vietnamese; DejaVu Sans (shipped with matplotlib) has every Vietnamese letter.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from crvs.report.disclosure import SUPPRESSED
from crvs.report.labels import vn_number  # charts.vn_number: the PDF's spelling too

FONT = "DejaVu Sans"
DPI = 150
NATIONAL = "VN"
# The same colours everywhere: births, deaths, marriages; male, female.
BIRTH, DEATH, MARRIAGE = "#2a6f97", "#9c3d54", "#6a994e"
MALE, FEMALE = "#3d7ab8", "#d1495b"
# Deaths' age bands (report.md) from youngest to oldest, as the pyramid stacks them.
DEATH_AGE_BANDS = ("<1", "1-4", *(f"{a}-{a + 4}" for a in range(5, 85, 5)), "85+")


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.set_layout_engine("constrained")
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _number(value) -> float | None:
    """A published cell as a number to draw, or None when it is hidden (x) or empty."""
    if value is None or value == SUPPRESSED:
        return None
    return float(value)


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(FONT)


def registrations_by_province(rows: list[dict], province_names: dict[str, str]) -> bytes:
    """Horizontal stacked bars: NEW births, deaths and marriages per province (VN left out), largest
    at the top. A hidden count adds nothing and its province is marked x."""
    provinces = [r for r in rows if r["province_code"] != NATIONAL]
    provinces.sort(key=lambda r: sum(_number(r[c]) or 0 for c in ("births", "deaths", "marriages")))
    fig = _figure(7.5, 8.2)
    ax = fig.add_subplot()
    labels = [
        f"{province_names.get(r['province_code'], r['province_code'])} ({r['province_code']})"
        + (" x" if any(r[c] == SUPPRESSED for c in ("births", "deaths", "marriages")) else "")
        for r in provinces
    ]
    left = [0.0] * len(provinces)
    for column, colour, name in (
        ("births", BIRTH, "Khai sinh"),
        ("deaths", DEATH, "Khai tử"),
        ("marriages", MARRIAGE, "Kết hôn"),
    ):
        values = [_number(r[column]) or 0 for r in provinces]
        ax.barh(labels, values, left=left, color=colour, label=name, height=0.7)
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlim(0, max(left + [1.0]) * 1.05)
    ax.set_xlabel("Số đăng ký mới trong quý", fontsize=8, fontfamily=FONT)
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, prop={"family": FONT, "size": 7})
    ax.margins(y=0.01)
    _style(ax)
    return _png(fig)


def completeness_by_province(
    rows: list[dict], province_names: dict[str, str], birth_target: float, death_target: float
) -> bytes:
    """Two panels: birth and death completeness (T8) per province against the 2030 targets, with
    the national figure as a line. Hidden or empty rates leave a gap marked x or —."""
    provinces = [r for r in rows if r["province_code"] != NATIONAL]
    national = next((r for r in rows if r["province_code"] == NATIONAL), None)
    provinces.sort(key=lambda r: r["province_code"], reverse=True)  # code order, 01 at the top
    labels = [f"{province_names.get(r['province_code'], r['province_code'])} ({r['province_code']})" for r in provinces]
    fig = _figure(7.5, 8.2)
    panels = fig.subplots(1, 2, sharey=True)
    for ax, column, target, colour, title in (
        (panels[0], "birth_completeness_pct", birth_target, BIRTH, "Khai sinh đúng hạn / sinh ước tính (%)"),
        (panels[1], "death_completeness_pct", death_target, DEATH, "Khai tử đúng hạn / tử ước tính (%)"),
    ):
        values = [_number(r[column]) for r in provinces]
        ax.barh(labels, [v or 0 for v in values], color=colour, height=0.7)
        top = max([v for v in values if v is not None] + [target, 100.0])
        for y, (value, row) in enumerate(zip(values, provinces)):
            if value is None:
                ax.text(
                    1, y, SUPPRESSED if row[column] == SUPPRESSED else "—", va="center", fontsize=6, fontfamily=FONT
                )
        ax.axvline(target, color="black", linestyle="--", linewidth=1, label=f"Mục tiêu 2030: {vn_number(target)}%")
        if national is not None and _number(national[column]) is not None:
            ax.axvline(
                _number(national[column]),
                color="#888888",
                linewidth=1,
                label=f"Toàn quốc: {vn_number(national[column], 1)}%",
            )
        ax.set_xlim(0, top * 1.05)
        ax.set_title(title, fontsize=8, fontfamily=FONT)
        ax.legend(
            fontsize=6,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.05),
            ncols=2,
            prop={"family": FONT, "size": 6},
        )
        ax.margins(y=0.01)
        _style(ax)
    return _png(fig)


TIMELINESS_PARTS = (
    ("on_time", "Đúng hạn", "#2a9d8f"),
    ("late", "Quá hạn ≤ 1 năm", "#e9c46a"),
    ("delayed_1_5y", "1–5 năm", "#f4a261"),
    ("delayed_5y_plus", "> 5 năm", "#e76f51"),
)


def timeliness(rows: list[dict]) -> bytes:
    """One 100 % bar per event type (births, deaths): the shares registered on time, late, delayed."""
    names = {"BIRTH": "Khai sinh", "DEATH": "Khai tử"}
    rows = [r for r in rows if r["event_type"] in names]
    fig = _figure(7.5, 2.0)
    ax = fig.add_subplot()
    labels = [names[r["event_type"]] for r in rows]
    left = [0.0] * len(rows)
    for column, name, colour in TIMELINESS_PARTS:
        shares = []
        for r in rows:
            part, total = _number(r[column]), _number(r["total"])
            shares.append(100 * part / total if part is not None and total else 0.0)
        bars = ax.barh(labels, shares, left=left, color=colour, label=name, height=0.6)
        for bar, share in zip(bars, shares):
            if share >= 6:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{vn_number(share, 1)}%",
                    ha="center",
                    va="center",
                    fontsize=7,
                    fontfamily=FONT,
                )
        left = [a + b for a, b in zip(left, shares)]
    ax.set_xlim(0, 100)
    ax.invert_yaxis()  # births on top
    ax.set_xlabel("% số đăng ký mới trong quý", fontsize=8, fontfamily=FONT)
    ax.legend(
        fontsize=7,
        frameon=False,
        ncols=4,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.35),
        prop={"family": FONT, "size": 7},
    )
    _style(ax)
    return _png(fig)


def trends(rows: list[dict]) -> bytes:
    """Two line panels over the quarters of T11 (oldest first): NEW births, deaths and marriages
    registered; the on-time shares and the completeness of births and deaths (%). A hidden or empty
    figure is a gap in its line (and a hidden one is marked x)."""
    rows = sorted(rows, key=lambda r: r["period"])
    quarters = [f"Q{r['period'][-1]}/{r['period'][:4]}" for r in rows]
    fig = _figure(7.5, 3.1)
    counts, shares = fig.subplots(1, 2)
    for ax, lines, title in (
        (
            counts,
            (
                ("births", BIRTH, "-", "Khai sinh"),
                ("deaths", DEATH, "-", "Khai tử"),
                ("marriages", MARRIAGE, "-", "Kết hôn"),
            ),
            "Số đăng ký mới trong quý",
        ),
        (
            shares,
            (
                ("births_on_time_pct", BIRTH, "-", "Khai sinh đúng hạn"),
                ("deaths_on_time_pct", DEATH, "-", "Khai tử đúng hạn"),
                ("birth_completeness_pct", BIRTH, "--", "Đầy đủ khai sinh"),
                ("death_completeness_pct", DEATH, "--", "Đầy đủ khai tử"),
            ),
            "Tỷ lệ (%)",
        ),
    ):
        for column, colour, style, name in lines:
            values = [_number(r[column]) for r in rows]
            ax.plot(
                range(len(rows)),
                [float("nan") if v is None else v for v in values],
                color=colour,
                linestyle=style,
                marker="o",
                markersize=3,
                linewidth=1.3,
                label=name,
            )
            for x, row in enumerate(rows):
                if row[column] == SUPPRESSED:
                    ax.annotate(SUPPRESSED, (x, 0), fontsize=6, color=colour, fontfamily=FONT)
        ax.set_xticks(range(len(rows)), quarters)
        ax.set_xlim(-0.5, len(rows) - 0.5)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: vn_number(v)))
        ax.set_title(title, fontsize=8, fontfamily=FONT)
        ax.legend(frameon=False, loc="lower left", prop={"family": FONT, "size": 6})
        _style(ax)
        ax.tick_params(axis="x", labelrotation=45 if len(rows) > 4 else 0)
    return _png(fig)


def pyramid_bars(rows: list[dict]) -> tuple[list[str], list[float | None], list[float | None], list[tuple[int, str]]]:
    """From T5's rows: the age bands youngest first, the male and female counts of the NATIONAL rows
    (None where hidden or absent), and the (band index, sex) of hidden cells. REGION rows and the
    UNKNOWN age band (counted in the table) are not drawn."""
    national = {r["age_band"]: r for r in rows if r["geography_level"] == "NATIONAL"}
    bands = list(DEATH_AGE_BANDS)
    males = [_number(national.get(b, {}).get("male")) for b in bands]
    females = [_number(national.get(b, {}).get("female")) for b in bands]
    hidden = [
        (i, sex)
        for i, b in enumerate(bands)
        for sex in ("male", "female")
        if national.get(b, {}).get(sex) == SUPPRESSED
    ]
    return bands, males, females, hidden


def deaths_pyramid(rows: list[dict]) -> bytes:
    """The age–sex pyramid of registered deaths (T5, national), males to the left, hidden cells marked x."""
    bands, males, females, hidden = pyramid_bars(rows)
    fig = _figure(7.5, 5.0)
    ax = fig.add_subplot()
    ax.barh(bands, [-(m or 0) for m in males], color=MALE, label="Nam", height=0.8)
    ax.barh(bands, [f or 0 for f in females], color=FEMALE, label="Nữ", height=0.8)
    widest = max([v for v in males + females if v is not None] + [1])
    for y, sex in hidden:
        side = -1 if sex == "male" else 1
        ax.text(side * widest * 0.02, y, SUPPRESSED, ha="center", va="center", fontsize=6, fontfamily=FONT)
    ax.set_xlim(-widest * 1.1, widest * 1.1)
    ax.set_xticks(ax.get_xticks())
    ax.set_xticklabels([vn_number(abs(t)) for t in ax.get_xticks()])
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel("Số ca tử vong đã đăng ký (nam ← → nữ)", fontsize=8, fontfamily=FONT)
    ax.set_ylabel("Nhóm tuổi", fontsize=8, fontfamily=FONT)
    ax.legend(fontsize=7, frameon=False, loc="upper right", prop={"family": FONT, "size": 7})
    _style(ax)
    return _png(fig)


def srb_by_region(rows: list[dict], region_names: dict[str, str]) -> bytes:
    """Sex ratio at birth per region against the biological range 104–106, the national figure as a line."""
    regions = [r for r in rows if r["region_code"] != NATIONAL]
    national = next((r for r in rows if r["region_code"] == NATIONAL), None)
    labels = [region_names.get(r["region_code"], r["region_code"]) for r in regions]
    values = [_number(r["sex_ratio_at_birth"]) for r in regions]
    fig = _figure(7.5, 3.2)
    ax = fig.add_subplot()
    ax.axvspan(104, 106, color="#dddddd", label="Mức sinh học 104–106")
    bars = ax.barh(labels, [v or 0 for v in values], color=BIRTH, height=0.6)
    for bar, value, row in zip(bars, values, regions):
        text = (
            vn_number(row["sex_ratio_at_birth"], 1)
            if value is not None
            else (SUPPRESSED if row["sex_ratio_at_birth"] == SUPPRESSED else "—")
        )
        ax.text(
            max(bar.get_width(), 80) + 0.5,
            bar.get_y() + bar.get_height() / 2,
            text,
            va="center",
            fontsize=7,
            fontfamily=FONT,
        )
    if national is not None and _number(national["sex_ratio_at_birth"]) is not None:
        ax.axvline(
            _number(national["sex_ratio_at_birth"]),
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"Toàn quốc: {vn_number(national['sex_ratio_at_birth'], 1)}",
        )
    ax.set_xlim(80, max([v for v in values if v is not None] + [120]) + 6)
    ax.invert_yaxis()
    ax.set_xlabel("Số bé trai trên 100 bé gái", fontsize=8, fontfamily=FONT)
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, prop={"family": FONT, "size": 7})
    _style(ax)
    return _png(fig)
