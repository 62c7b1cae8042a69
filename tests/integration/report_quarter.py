"""A hand-made quarter in the real warehouse: report tables and the deliveries behind them, for the
report, PDF and delivery tests (figures worked out by hand in the docstring)."""

from __future__ import annotations

from report_models import DDL

from crvs.feeds.contract import DATASETS
from crvs.feeds.tables import ensure_tables
from crvs.quality.provinces import province_codes

QUARTER = "2025Q3"


def fill_quarter(db):
    """Report tables for 2025Q3 (and a stray 2025Q2 row), and the deliveries behind them.

    T2: every province 100 boys, 90 girls, 0 unknown (ratio 111.1), except 01 (3, 40, 0 → 43, ratio 7.5)
    and 04 (50, 45, 0 → 95, ratio 111.1). VN = 32 × (100, 90) + 01 + 04 = (3253, 2965, 0, 6218),
    ratio 3253 / 2965 × 100 = 109.7.
    T8 (expected events numeric(14,1), as dbt builds them): every province expected 1000.0 / 900 on time
    (90.0 %), expected deaths 500.0 / 400 on time (80.0 %),
    800 facility births of which 760 registered (95.0 %), except 01 (15 deaths on time, 3.0 %) and 04
    (no facility births, linkage empty). VN: 34000, 30600, 90.0; 17000, 33 × 400 + 15 = 13215, 77.7;
    33 × 800 = 26400, 33 × 760 = 25080, 95.0.
    """
    db.execute(DDL)
    t1 = [
        ("79", "DEATH", "NEW", "ON_TIME", 2, 1),
        ("01", "BIRTH", "NEW", "ON_TIME", 120, 3),
        ("04", "MARRIAGE", "NEW", "NOT_APPLICABLE", 7, 0),
        ("01", "BIRTH", "NEW", "LATE", 4, 0),
        # the rest of the quarter's NEW births, so that T1 agrees with T2 (the gate checks
        # 6218 = 120 + 4 + 6094)
        ("96", "BIRTH", "NEW", "ON_TIME", 6094, 0),
    ]
    for row in t1:
        db.execute("insert into reports.rpt_t1_registrations values (%s, %s, %s, %s, %s, %s, %s)", (QUARTER, *row))
    db.execute("insert into reports.rpt_t1_registrations values ('2025Q2', '01', 'BIRTH', 'NEW', 'ON_TIME', 999, 0)")

    special_t2 = {"01": (3, 40, 0, 43, "7.5"), "04": (50, 45, 0, 95, "111.1")}
    for code in reversed(province_codes()):
        db.execute("insert into reports.rpt_t2_births_by_sex values (%s, %s, %s, %s, %s, %s, %s)",
                   (QUARTER, code, *special_t2.get(code, (100, 90, 0, 190, "111.1"))))
        t8 = ["1000.0", 900, "90.0", "500.0", 400, "80.0", 800, 760, "95.0"]
        if code == "01":
            t8[4:6] = [15, "3.0"]
        if code == "04":
            t8[6:9] = [0, 0, None]
        db.execute("insert into reports.rpt_t8_completeness values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                   (QUARTER, code, *t8))
    db.execute("insert into reports.rpt_t2_births_by_sex values (%s, 'VN', 3253, 2965, 0, 6218, 109.7)", (QUARTER,))
    db.execute("insert into reports.rpt_t8_completeness values "
               "(%s, 'VN', 34000.0, 30600, 90.0, 17000.0, 13215, 77.7, 26400, 25080, 95.0)", (QUARTER,))

    ensure_tables(db)
    deliveries = [
        ("moj-2025q3-01", "MOJ", "folder", "2025-10-05T08:00:00+07:00", "2025-07-01", "2025-09-30"),
        ("moh-2025q3", "MOH", "email", "2025-10-03T10:00:00+00:00", "2025-07-01", "2025-09-30"),
        ("gso-2025", "GSO", "platform", "2025-06-30T00:00:00+00:00", "2025-01-01", "2025-12-31"),
        ("moj-2025q2", "MOJ", "folder", "2025-07-04T08:00:00+00:00", "2025-04-01", "2025-06-30"),
        ("gso-2024", "GSO", "platform", "2024-06-30T00:00:00+00:00", "2024-01-01", "2024-12-31"),
    ]
    for d in deliveries:
        db.execute("insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, "
                   "period_start, period_end, source, manifest) values (%s, %s, %s, '1.0', %s, %s, %s, 'test', '{}')",
                   d)
    # The datasets each delivery carried (the gate's freshness check needs every one the agency owes).
    for delivery_id, agency, *_ in deliveries:
        for dataset in [name for name, d in DATASETS.items() if d.agency == agency]:
            db.execute("insert into raw.delivery_files values (%s, %s, %s, null, 0, 0, 0)",
                       (delivery_id, dataset, f"{dataset}.csv"))
    return db
