"""The gate (real GX 1.x over the real embedded PostgreSQL) on hand-made report tables."""

from __future__ import annotations

import pytest
from report_models import DDL

from crvs.quality import GateFailed, require_pass, run_gate
from crvs.quality.provinces import province_codes

QUARTER = "2025Q3"



@pytest.fixture
def report_tables(db):
    """A clean quarter: every province 100 boys, 90 girls; VN = 34 × that (ratio 3400/3060 = 111.1)."""
    db.execute(DDL)
    db.execute("insert into reports.rpt_t1_registrations values "
               "(%s, '01', 'BIRTH', 'NEW', 'ON_TIME', 120, 3), (%s, '01', 'MARRIAGE', 'NEW', 'NOT_APPLICABLE', 7, 0)",
               (QUARTER, QUARTER))
    for code in province_codes():
        db.execute("insert into reports.rpt_t2_births_by_sex values (%s, %s, 100, 90, 0, 190, 111.1)", (QUARTER, code))
        db.execute("insert into reports.rpt_t8_completeness values "
                   "(%s, %s, 1000, 900, 90.0, 500, 400, 80.0, 800, 760, 95.0)", (QUARTER, code))
    db.execute("insert into reports.rpt_t2_births_by_sex values (%s, 'VN', 3400, 3060, 0, 6460, 111.1)", (QUARTER,))
    db.execute("insert into reports.rpt_t8_completeness values "
               "(%s, 'VN', 34000, 30600, 90.0, 17000, 13600, 80.0, 27200, 25840, 95.0)", (QUARTER,))
    # Another quarter, broken, which the gate of 2025Q3 must not see.
    db.execute("insert into reports.rpt_t2_births_by_sex values ('2025Q2', '01', 1, 1, 1, 99, null)")
    return db


def test_a_clean_quarter_passes_and_is_recorded(report_tables):
    result = run_gate(QUARTER)

    assert result.passed, result.summary()
    assert result.summary() == f"Gate {QUARTER} passed: all {len(result.outcomes)} checks met."
    assert {o.table for o in result.outcomes} == {"rpt_t1_registrations", "rpt_t2_births_by_sex",
                                                  "rpt_t8_completeness"}
    assert {o.severity for o in result.outcomes} == {"BLOCKING", "WARNING"}
    assert require_pass(result) is result
    run = report_tables.execute("select quarter, passed, jsonb_array_length(results -> 'outcomes') "
                                "from quality.gate_runs where run_id = %s", (result.run_id,)).fetchone()
    assert run == (QUARTER, True, len(result.outcomes))


def test_a_missing_province_blocks_and_is_named(report_tables):
    missing = province_codes()[5]
    report_tables.execute("delete from reports.rpt_t2_births_by_sex where province_code = %s", (missing,))
    report_tables.execute("delete from reports.rpt_t8_completeness where province_code = %s", (missing,))

    result = run_gate(QUARTER)

    assert not result.passed
    failures = {(o.table, o.name): o for o in result.blocking_failures}
    assert set(failures) == {("rpt_t2_births_by_sex", "every province and VN present"),
                             ("rpt_t8_completeness", "every province and VN present")}
    assert failures[("rpt_t2_births_by_sex", "every province and VN present")].details == {"missing": [missing]}
    assert f"missing 1 province(s): {missing}" in result.summary()
    assert result.summary().startswith(f"Gate {QUARTER} FAILED on 2 blocking check(s)")
    with pytest.raises(GateFailed, match=f"missing 1 province\\(s\\): {missing}"):
        require_pass(result)
    passed = report_tables.execute("select passed from quality.gate_runs where run_id = %s",
                                   (result.run_id,)).fetchone()[0]
    assert passed is False


def test_a_broken_total_blocks_and_names_the_province_and_values(report_tables):
    report_tables.execute("update reports.rpt_t2_births_by_sex set total = 191 where province_code = '01'")

    result = run_gate(QUARTER)

    assert [o.name for o in result.blocking_failures] == ["total = male + female + unknown"]
    assert result.blocking_failures[0].observed == (
        "1 row(s): province_code=01, male=100, female=90, unknown=0, total=191"
    )


def test_an_implausible_national_sex_ratio_warns_without_blocking(report_tables):
    report_tables.execute("update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 130.0 "
                          "where province_code = 'VN'")

    result = run_gate(QUARTER)

    assert result.passed
    assert [(o.table, o.name) for o in result.warnings] == [
        ("rpt_t2_births_by_sex", "national sex ratio at birth within 100-120")
    ]
    assert result.summary() == (
        f"Gate {QUARTER} passed with 1 warning(s): rpt_t2_births_by_sex: national sex ratio at birth within "
        "100-120 — 1 row(s): province_code=VN, sex_ratio_at_birth=130.0"
    )


def test_a_missing_report_model_blocks(report_tables):
    report_tables.execute("drop table reports.rpt_t8_completeness")

    result = run_gate(QUARTER)

    assert [(o.table, o.observed) for o in result.blocking_failures] == [
        ("rpt_t8_completeness", "table reports.rpt_t8_completeness does not exist (run dbt build)")
    ]


def test_a_malformed_quarter_is_refused(report_tables):
    with pytest.raises(ValueError, match="2025Q3"):
        run_gate("2025-Q3'; drop table x; --")
