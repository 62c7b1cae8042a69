"""The chart-only report models (dbt_project/models/reports/pdf/) as ReportTable entries, so the
public PDF's charts go through the same disclosure control as the published tables.

They are not tables of the report (not in REPORT_TABLES, no CSV): the PDF draws them.
"""

from __future__ import annotations

from crvs.model_contracts import COUNT, KEY, RATE, Column
from crvs.report.tables import ColumnTotal, ReportTable, RowTotal

_QUARTER = Column("quarter", KEY, "the quarter")

REGISTRATIONS_BY_PROVINCE = ReportTable(
    code="C1",
    file_stem="registrations_by_province",
    model="rpt_chart_registrations_by_province",
    title="New registrations by registration province",
    columns=(
        _QUARTER,
        Column("province_code", KEY, "registration province (2025 list) or VN"),
        Column("births", COUNT, "NEW birth registrations"),
        Column("deaths", COUNT, "NEW death registrations"),
        Column("marriages", COUNT, "NEW marriage registrations"),
    ),
    order_by="province_code = 'VN', province_code",
    column_total=ColumnTotal(key="province_code", total_code="VN", columns=("births", "deaths", "marriages")),
)

TIMELINESS = ReportTable(
    code="C2",
    file_stem="timeliness",
    model="rpt_chart_timeliness",
    title="Births and deaths registered in the quarter by timeliness",
    columns=(
        _QUARTER,
        Column("event_type", KEY, "BIRTH or DEATH"),
        Column("on_time", COUNT, "within the legal limit"),
        Column("late", COUNT, "within 365 days"),
        Column("delayed_1_5y", COUNT, "within 5 years"),
        Column("delayed_5y_plus", COUNT, "after 5 years"),
        Column("total", COUNT, "all"),
        Column("on_time_pct", RATE, "on_time / total × 100", numerator=("on_time",), inputs=("on_time", "total")),
    ),
    order_by="event_type",
    row_totals=(RowTotal(parts=("on_time", "late", "delayed_1_5y", "delayed_5y_plus"), total="total"),),
)

SRB_BY_REGION = ReportTable(
    code="C3",
    file_stem="srb_by_region",
    model="rpt_chart_srb_by_region",
    title="Sex ratio at birth by region",
    columns=(
        _QUARTER,
        Column("region_code", KEY, "socio-economic region or VN"),
        Column("male", COUNT, "births of boys"),
        Column("female", COUNT, "births of girls"),
        Column(
            "sex_ratio_at_birth", RATE, "boys per 100 girls", numerator=("male", "female"), inputs=("male", "female")
        ),
    ),
    order_by="region_code = 'VN', region_code",
    # VN also counts births whose mother's region is unknown; when there are none the regions add up
    # to VN exactly, so the column is protected as additive.
    column_total=ColumnTotal(key="region_code", total_code="VN", columns=("male", "female")),
)

CHART_TABLES: tuple[ReportTable, ...] = (REGISTRATIONS_BY_PROVINCE, TIMELINESS, SRB_BY_REGION)
