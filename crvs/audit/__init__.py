"""The black-box disclosure audit of a public edition (issue 12; report.md "Two audiences").

Independent of the suppression by construction: nothing here imports crvs.report (whose disclosure
control it audits); what it knows of the tables is written out in `intruder.py` from report.md.

    from crvs.audit import audit_public_edition
    result = audit_public_edition(folder)      # {out}/{quarter} or its public/ folder
    result.passed, result.findings, result.tables
"""

from crvs.audit.intruder import AuditError, AuditResult, Finding, Range, TableStats, audit_public_edition

__all__ = ["AuditError", "AuditResult", "Finding", "Range", "TableStats", "audit_public_edition"]
