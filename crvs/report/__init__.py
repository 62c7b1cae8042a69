"""The quarterly report: report models → disclosure control → CSV, XLSX, PDF and manifest per quarter."""

from crvs.quality import GateFailed
from crvs.report.disclosure import PublicationBlocked
from crvs.report.formats import ReportError
from crvs.report.tables import REPORT_TABLES, ReportTable
from crvs.report.writer import loss_lines, write_report

__all__ = [
    "GateFailed",
    "PublicationBlocked",
    "REPORT_TABLES",
    "ReportError",
    "ReportTable",
    "loss_lines",
    "write_report",
]
