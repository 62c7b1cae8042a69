"""The quarterly report: report models → disclosure control → CSV, XLSX, PDF and manifest per quarter."""

from crvs.quality import GateFailed
from crvs.report.formats import ReportError
from crvs.report.tables import REPORT_TABLES, ReportTable
from crvs.report.writer import write_report

__all__ = ["GateFailed", "REPORT_TABLES", "ReportError", "ReportTable", "write_report"]
