"""The gate's report-model suites (real GX 1.x over the real embedded PostgreSQL) on hand-made
report tables. The suites over deliveries and marts are tested on a built warehouse in
test_quality_gate_blocks.py."""

from __future__ import annotations

import pytest
from report_models import DDL

from crvs.quality import GateFailed, require_pass, runner
from crvs.quality import run_gate as run_full_gate
from crvs.quality.provinces import province_codes
from crvs.quality.suites import load_suite_file

QUARTER = "2025Q3"
SUITES = load_suite_file("report_suites")


def run_gate(quarter, extra=()):
    """The report models' suites, the plausibility bands over the gate's own models and the
    identifiers check (not freshness: no deliveries here)."""
    return run_full_gate(
        quarter,
        suites=[
            SUITES.t1_registrations(),
            SUITES.t2_births_by_sex(),
            SUITES.t8_completeness(),
            SUITES.registration_changes(),
            SUITES.population_changes(),
            SUITES.personal_identifiers(),
            *extra,
        ],
    )


@pytest.fixture
def report_tables(db):
    """A clean quarter: every province 100 boys, 90 girls; VN = 34 × that (ratio 3400/3060 = 111.1).
    T1: every province registered 190 NEW births (34 × 190 = 6460 = T2's VN total) and 7 marriages."""
    db.execute(DDL)
    for code in province_codes():
        db.execute(
            "insert into reports.rpt_t1_registrations values "
            "(%s, %s, 'BIRTH', 'NEW', 'ON_TIME', 180, 3), (%s, %s, 'BIRTH', 'NEW', 'LATE', 10, 0), "
            "(%s, %s, 'MARRIAGE', 'NEW', 'NOT_APPLICABLE', 7, 0)",
            (QUARTER, code) * 3,
        )
        db.execute("insert into reports.rpt_t2_births_by_sex values (%s, %s, 100, 90, 0, 190, 111.1)", (QUARTER, code))
        db.execute(
            "insert into reports.rpt_t8_completeness values (%s, %s, 1000, 900, 90.0, 500, 400, 80.0, 800, 760, 95.0)",
            (QUARTER, code),
        )
    db.execute("insert into reports.rpt_t2_births_by_sex values (%s, 'VN', 3400, 3060, 0, 6460, 111.1)", (QUARTER,))
    db.execute(
        "insert into reports.rpt_t8_completeness values "
        "(%s, 'VN', 34000, 30600, 90.0, 17000, 13600, 80.0, 27200, 25840, 95.0)",
        (QUARTER,),
    )
    # Another quarter, broken, which the gate of 2025Q3 must not see.
    db.execute("insert into reports.rpt_t2_births_by_sex values ('2025Q2', '01', 1, 1, 1, 99, null)")
    return db


def test_a_clean_quarter_passes_and_is_recorded(report_tables):
    result = run_gate(QUARTER)

    assert result.passed, result.summary()
    assert result.summary() == f"Gate {QUARTER} passed: all {len(result.outcomes)} checks met."
    assert {o.table for o in result.outcomes} == {
        "rpt_t1_registrations",
        "rpt_t2_births_by_sex",
        "rpt_t8_completeness",
        "rpt_gate_registration_changes",
        "rpt_gate_population_changes",
        "personal_identifiers",
    }
    assert {o.severity for o in result.outcomes} == {"BLOCKING", "WARNING"}
    assert require_pass(result) is result
    run = report_tables.execute(
        "select quarter, passed, jsonb_array_length(results -> 'outcomes') from quality.gate_runs where run_id = %s",
        (result.run_id,),
    ).fetchone()
    assert run == (QUARTER, True, len(result.outcomes))


def test_a_missing_province_blocks_and_is_named(report_tables):
    missing = province_codes()[5]
    report_tables.execute("delete from reports.rpt_t2_births_by_sex where province_code = %s", (missing,))
    report_tables.execute("delete from reports.rpt_t8_completeness where province_code = %s", (missing,))

    result = run_gate(QUARTER)

    assert not result.passed
    failures = {(o.table, o.name): o for o in result.blocking_failures}
    assert set(failures) == {
        ("rpt_t2_births_by_sex", "every province and VN present"),
        ("rpt_t8_completeness", "every province and VN present"),
    }
    assert failures[("rpt_t2_births_by_sex", "every province and VN present")].details == {"missing": [missing]}
    assert f"missing 1 province(s): {missing}" in result.summary()
    assert result.summary().startswith(f"Gate {QUARTER} FAILED on 2 blocking check(s)")
    with pytest.raises(GateFailed, match=f"missing 1 province\\(s\\): {missing}"):
        require_pass(result)
    passed = report_tables.execute(
        "select passed from quality.gate_runs where run_id = %s", (result.run_id,)
    ).fetchone()[0]
    assert passed is False


def test_a_broken_total_blocks_and_names_the_province_and_values(report_tables):
    report_tables.execute("update reports.rpt_t2_births_by_sex set total = 191 where province_code = '01'")

    result = run_gate(QUARTER)

    assert [o.name for o in result.blocking_failures] == ["total = male + female + unknown"]
    assert result.blocking_failures[0].observed == (
        "1 row(s): province_code=01, male=100, female=90, unknown=0, total=191"
    )


def test_an_implausible_national_sex_ratio_warns_without_blocking(report_tables):
    report_tables.execute(
        "update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 130.0 where province_code = 'VN'"
    )

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


def _blocking(result):
    return [(o.table, o.name, o.observed) for o in result.blocking_failures]


def test_t1_births_must_equal_t2_total(report_tables):
    report_tables.execute(
        "update reports.rpt_t1_registrations set registrations = 12 "
        "where province_code = '01' and event_type = 'BIRTH' and timeliness = 'LATE'"
    )

    result = run_gate(QUARTER)

    # T1: 6460 - 10 + 12 = 6462 NEW births; T2 VN still 6460.
    assert _blocking(result) == [
        (
            "rpt_t2_births_by_sex",
            "T1 NEW births = T2 total (VN)",
            "1 row(s): province_code=VN, t2_total=6460, t1_new_births=6462",
        )
    ]
    assert "T1 NEW births = T2 total (VN)" in result.summary()


def test_missing_denominators_block_and_name_the_province(report_tables):
    report_tables.execute(
        "update reports.rpt_t8_completeness set expected_births = null, "
        "birth_completeness_pct = null where province_code = '08'"
    )

    result = run_gate(QUARTER)

    assert _blocking(result) == [
        (
            "rpt_t8_completeness",
            "GSO denominators present for every province",
            "1 row(s): province_code=08, expected_births=None, expected_deaths=500.0",
        )
    ]


def test_a_column_named_like_an_identifier_blocks(report_tables):
    report_tables.execute("alter table reports.rpt_t2_births_by_sex add column mother_pid text")

    result = run_gate(QUARTER)

    assert _blocking(result) == [
        (
            "personal_identifiers",
            "no personal identifiers in the report models",
            "1 row(s): model=rpt_t2_births_by_sex, column_name=mother_pid, "
            "finding=named like a personal identifier, rows=1",
        )
    ]


def test_values_that_look_like_pseudonyms_or_citizen_numbers_block(report_tables):
    # A harmless name, but two values that are a person: a pseudonym and a 12-digit citizen number.
    report_tables.execute("alter table reports.rpt_t1_registrations add column note text")
    report_tables.execute("update reports.rpt_t1_registrations set note = %s where province_code = '01'", ("ab" * 32,))
    report_tables.execute("update reports.rpt_t1_registrations set note = '079195000002' where province_code = '79'")

    result = run_gate(QUARTER)

    # 3 rows of province 01 and 3 of 79 (BIRTH ON_TIME, BIRTH LATE, MARRIAGE).
    assert _blocking(result) == [
        (
            "personal_identifiers",
            "no personal identifiers in the report models",
            "1 row(s): model=rpt_t1_registrations, column_name=note, "
            "finding=values look like pseudonyms or citizen numbers, rows=6",
        )
    ]


def _warnings(result):
    return [(o.table, o.name, o.observed) for o in result.warnings]


def test_plausibility_warnings_do_not_block(report_tables):
    # unknown sex: province 01 gets 2,000 births with 20 unknown (1.0 %); VN: 3400 + 900 boys,
    # 3060 + 890 girls, 20 unknown = 8270 (0.2 % unknown).
    report_tables.execute(
        "update reports.rpt_t2_births_by_sex set male = 1000, female = 980, unknown = 20, "
        "total = 2000, sex_ratio_at_birth = 102.0 where province_code = '01'"
    )
    report_tables.execute(
        "update reports.rpt_t2_births_by_sex set male = 4300, female = 3950, unknown = 20, "
        "total = 8270, sex_ratio_at_birth = 108.9 where province_code = 'VN'"
    )
    report_tables.execute(
        "update reports.rpt_t1_registrations set registrations = 1990 "
        "where province_code = '01' and timeliness = 'ON_TIME'"
    )
    # completeness: 130 % births in 04; 40 % deaths in 08
    report_tables.execute(
        "update reports.rpt_t8_completeness set birth_completeness_pct = 130.0 where province_code = '04'"
    )
    report_tables.execute(
        "update reports.rpt_t8_completeness set death_completeness_pct = 40.0 where province_code = '08'"
    )
    # against the previous quarter (rpt_gate_registration_changes): 79 registered 80 deaths, now
    # none (-100 %, a warning; below the 100 that lets it block); 01's marriages 6 -> 7 (+16.7 %, fine)
    report_tables.execute(
        "insert into reports.rpt_gate_registration_changes values "
        "('2025Q3', '79', 'DEATH', 80, 0, -100.0), ('2025Q3', '01', 'MARRIAGE', 6, 7, 16.7), "
        "('2025Q2', '04', 'BIRTH', 1, 50, 4900.0)"
    )
    # a province with no registration at all
    report_tables.execute(
        "delete from reports.rpt_t1_registrations where quarter = %s and province_code = '96'", (QUARTER,)
    )
    report_tables.execute(
        "update reports.rpt_t1_registrations set registrations = registrations + 190 "
        "where quarter = %s and province_code = '01' and timeliness = 'LATE'",
        (QUARTER,),
    )

    result = run_gate(QUARTER)

    assert result.passed, result.summary()
    assert _warnings(result) == [
        ("rpt_t1_registrations", "every province registered events in the quarter", "missing 1 province(s): 96"),
        (
            "rpt_t2_births_by_sex",
            "unknown sex under 1 % (VN, and provinces with >= 1000 births)",
            "1 row(s): province_code=01, unknown=20, total=2000",
        ),
        (
            "rpt_t8_completeness",
            "completeness within 50-120 %",
            "2 row(s): province_code=04, birth_completeness_pct=130.0, death_completeness_pct=80.0, "
            "province_code=08, birth_completeness_pct=90.0, death_completeness_pct=40.0",
        ),
        (
            "rpt_gate_registration_changes",
            "registrations within ±33 % of the previous quarter",
            "1 row(s): province_code=79, event_type=DEATH, previous_quarter=80, this_quarter=0, change_pct=-100.0",
        ),
    ]
    assert result.summary().startswith(f"Gate {QUARTER} passed with 4 warning(s)")


def test_t5_deaths_must_equal_t6_deaths(report_tables):
    # T5 national: 30 + 12 = 42 deaths; the region rows must not be counted again.
    report_tables.execute(
        "insert into reports.rpt_t5_deaths_by_age_sex values "
        "(%s, 'NATIONAL', 'VN', '<1', 10, 20, 0, 30), (%s, 'NATIONAL', 'VN', '85+', 5, 6, 1, 12), "
        "(%s, 'REGION', 'R1', '<1', 10, 20, 0, 30)",
        (QUARTER,) * 3,
    )
    report_tables.execute(
        "insert into reports.rpt_t6_deaths_quality values "
        "(%s, '01', 42, 40, 95.2, 42, 40, 95.2, 1, 2.4), "
        "(%s, 'VN', 42, 40, 95.2, 42, 40, 95.2, 1, 2.4)",
        (QUARTER,) * 2,
    )
    reconcile = SUITES.t6_deaths_reconcile_with_t5()
    assert run_gate(QUARTER, extra=[reconcile]).passed

    report_tables.execute("update reports.rpt_t6_deaths_quality set deaths = 41 where province_code = 'VN'")
    result = run_gate(QUARTER, extra=[reconcile])

    assert _blocking(result) == [
        (
            "rpt_t6_deaths_quality",
            "T5 deaths = T6 deaths (VN)",
            "1 row(s): province_code=VN, t6_deaths=41, t5_deaths=42",
        )
    ]
    # registered in the gate: the full T6 suite holds the same check
    (t6,) = [s for s in SUITES.suites() if s.model == reconcile.model]
    assert "T5 deaths = T6 deaths (VN)" in [e.description for e in t6.expectations]


def test_every_gate_run_builds_the_data_docs(report_tables):
    index = runner.data_docs_index()
    index.unlink(missing_ok=True)

    result = run_gate(QUARTER)

    assert index.is_file()
    # one page per suite validated (GX turns the dots of suite names into folders)
    pages = (index.parent / "validations").rglob("*.html")
    assert {p.relative_to(index.parent / "validations").parts[:2] for p in pages} >= {
        (f"gate_{QUARTER}", "rpt_t1_registrations"),
        (f"gate_{QUARTER}", "rpt_t2_births_by_sex"),
        (f"gate_{QUARTER}", "rpt_t8_completeness"),
        (f"gate_{QUARTER}", "personal_identifiers"),
    }
    assert result.run_id


def test_crvs_gate_docs_prints_the_data_docs_index(report_tables, capsys):
    from crvs import cli

    run_gate(QUARTER)
    assert cli.main(["gate", "--docs"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(runner.data_docs_index())
    assert "gate_2025Q3" in runner.data_docs_index().read_text(encoding="utf-8")


def test_the_history_of_results_is_capped(report_tables):
    run_gate(QUARTER)
    run_gate(QUARTER)
    folder = runner.context_root() / "gx" / "uncommitted" / "validations" / f"gate_{QUARTER}" / "rpt_t2_births_by_sex"
    assert 2 <= len(list(folder.rglob("*.json"))) <= runner.RESULTS_KEPT

    runner._prune_validation_results(keep=1)

    (latest,) = folder.rglob("*.json")
    assert latest.parent.name == max(p.name for p in folder.glob("*/*"))


# --- plausibility that blocks: what cannot be true, each shown failing and each edge passing ---


def _blocking_findings(result):
    return [(f["check"], f["area"], f["figure"], f["band"]) for f in result.findings if f["severity"] == "BLOCKING"]


def test_completeness_in_the_thousands_blocks_nationally_with_the_check_area_and_figure(report_tables):
    # GSO's population in hundreds: 34 000 expected births become 340, so 30 600 on time is 9 000.0 %.
    report_tables.execute(
        "update reports.rpt_t8_completeness set expected_births = 340.0, "
        "birth_completeness_pct = 9000.0 where province_code = 'VN'"
    )

    result = run_gate(QUARTER)

    assert not result.passed
    assert [(o.check, o.name) for o in result.blocking_failures] == [
        ("birth_completeness", "birth completeness within 10-150 % (VN, provinces expecting >= 50 births)")
    ]
    assert _blocking_findings(result) == [("birth_completeness", "VN", 9000.0, "10-150 %")]
    assert (
        "rpt_t8_completeness: birth completeness within 10-150 % (VN, provinces expecting >= 50 births) "
        "[birth_completeness] — 1 row(s): province_code=VN, birth_completeness_pct=9000.0, births_on_time=30600, "
        "expected_births=340.0, population_from=None"
    ) in result.summary()


def test_provincial_completeness_blocks_only_where_enough_events_are_expected(report_tables):
    # 04 expects 1000 births: 150.0 % is the edge (passes), 150.1 % blocks; 08 expects 49 deaths:
    # 400 % there only warns; 11 expects 50 deaths: 9.9 % blocks.
    report_tables.execute(
        "update reports.rpt_t8_completeness set birth_completeness_pct = 150.0 where province_code = '01'"
    )
    report_tables.execute(
        "update reports.rpt_t8_completeness set birth_completeness_pct = 150.1 where province_code = '04'"
    )
    report_tables.execute(
        "update reports.rpt_t8_completeness set expected_deaths = 49, death_completeness_pct = 400.0 "
        "where province_code = '08'"
    )
    report_tables.execute(
        "update reports.rpt_t8_completeness set expected_deaths = 50, death_completeness_pct = 9.9 "
        "where province_code = '11'"
    )

    result = run_gate(QUARTER)

    assert _blocking_findings(result) == [
        ("birth_completeness", "04", 150.1, "10-150 %"),
        ("death_completeness", "11", 9.9, "10-150 %"),
    ]
    assert {"08"} <= {r["province_code"] for o in result.warnings for r in o.details.get("rows", [])}


def test_a_national_sex_ratio_outside_90_130_blocks_where_births_are_many(report_tables):
    report_tables.execute(
        "update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 89.9 where province_code = 'VN'"
    )
    assert _blocking_findings(run_gate(QUARTER)) == [("sex_ratio_at_birth", "VN", 89.9, "90-130")]
    report_tables.execute(
        "update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 90.0 where province_code = 'VN'"
    )
    assert run_gate(QUARTER).passed


def test_registrations_three_times_up_or_down_block_where_counts_are_large(report_tables):
    report_tables.execute(
        "insert into reports.rpt_gate_registration_changes values "
        # blocks: more than ×3 (301 > 3 × 100), a fall to nothing from 3000, ×3.03 from 40 to 121
        "('2025Q3', 'VN', 'BIRTH', 100, 301, 201.0), ('2025Q3', '79', 'DEATH', 3000, 0, -100.0), "
        "('2025Q3', '01', 'MARRIAGE', 40, 121, 202.5), "
        # passes the blocking band: exactly ×3, exactly ÷3, and neither quarter reaching 100
        "('2025Q3', '04', 'BIRTH', 100, 300, 200.0), ('2025Q3', '08', 'BIRTH', 300, 100, -66.7), "
        "('2025Q3', '11', 'BIRTH', 30, 99, 230.0), "
        # no previous quarter: nothing to compare with
        "('2025Q3', '12', 'BIRTH', null, 5000, null)"
    )

    result = run_gate(QUARTER)

    assert _blocking_findings(result) == [
        ("registrations_change", "VN", 201.0, "×3 / ÷3"),
        ("registrations_change", "01", 202.5, "×3 / ÷3"),
        ("registrations_change", "79", -100.0, "×3 / ÷3"),
    ]


def test_a_population_changed_by_more_than_a_fifth_from_the_year_before_blocks(report_tables):
    report_tables.execute(
        "insert into reports.rpt_gate_population_changes values "
        "(2025, '01', 1201, 1000, 20.1, 'GSO-2025-0002', 'GSO-2024-0001'), "
        "(2025, '04', 1200, 1000, 20.0, 'GSO-2025-0002', 'GSO-2024-0001'), "  # the edge: passes
        "(2025, '08', 800, 1000, -20.0, 'GSO-2025-0002', 'GSO-2024-0001'), "  # the edge: passes
        "(2025, 'VN', 1, 1000, -99.9, 'GSO-2025-0002', 'GSO-2024-0001'), "
        "(2025, '11', 500, null, null, 'GSO-2025-0002', null), "  # no year before
        "(2024, '12', 1, 1000, -99.9, 'GSO-2024-0001', 'GSO-2023-0001')"
    )  # another year

    result = run_gate(QUARTER)

    assert _blocking_findings(result) == [
        ("population_change", "VN", -99.9, "±20 %"),
        ("population_change", "01", 20.1, "±20 %"),
    ]
    (failure,) = result.blocking_failures
    assert "population_deliveries=GSO-2025-0002, previous_year_deliveries=GSO-2024-0001" in failure.observed


# --- acceptance: a blocking finding accepted for one quarter and one check only ---


def _accept(quarter, check, reason="a reason"):
    from crvs.quality import acceptances

    return acceptances.accept(quarter, check, reason)


def test_an_accepted_finding_passes_the_gate_for_its_quarter_and_check_only(report_tables, monkeypatch):
    from crvs.quality import acceptances

    monkeypatch.setenv("CRVS_USER", "statistician.an")
    report_tables.execute(
        "update reports.rpt_t8_completeness set birth_completeness_pct = 9000.0, "
        "death_completeness_pct = 5.0 where province_code = 'VN'"
    )
    first = run_gate(QUARTER)
    assert {o.check for o in first.blocking_failures} == {"birth_completeness", "death_completeness"}

    # Another quarter's acceptance of the same check, and this quarter's of another, change nothing.
    _accept("2025Q2", "birth_completeness")
    _accept(QUARTER, "death_completeness", "MOJ's death registration backlog cleared, explained in the circular")
    second = run_gate(QUARTER)
    assert [o.check for o in second.blocking_failures] == ["birth_completeness"]
    assert [(o.check, a.reason) for o, a in second.accepted] == [
        ("death_completeness", "MOJ's death registration backlog cleared, explained in the circular")
    ]

    seen = _accept(QUARTER, "birth_completeness", "GSO confirmed the figures")
    assert seen.findings[0]["area"] == "VN" and seen.findings[0]["figure"] == 9000.0
    third = run_gate(QUARTER)
    assert third.passed
    assert third.summary().startswith(
        f"Gate {QUARTER} passed with 2 accepted blocking finding(s): "
        "rpt_t8_completeness: birth completeness within 10-150 %"
    )
    assert "(accepted: birth_completeness accepted for 2025Q3 by statistician.an on " in third.summary()
    assert ": GSO confirmed the figures)" in third.summary()
    recorded = report_tables.execute(
        "select results -> 'passed', jsonb_array_length(results -> 'accepted') from quality.gate_runs "
        "where run_id = %s",
        (third.run_id,),
    ).fetchone()
    assert recorded == (True, 2)
    rows = report_tables.execute(
        "select quarter, check_name, accepted_by from quality.acceptances order by acceptance_id"
    ).fetchall()
    assert rows == [
        ("2025Q2", "birth_completeness", "statistician.an"),
        (QUARTER, "death_completeness", "statistician.an"),
        (QUARTER, "birth_completeness", "statistician.an"),
    ]
    assert set(acceptances.for_quarter("2025Q2")) == {"birth_completeness"}


def test_only_plausibility_bands_can_be_accepted_and_a_reason_is_required(report_tables):
    from crvs.quality.acceptances import AcceptanceRefused

    with pytest.raises(
        AcceptanceRefused,
        match="'one row per key' is not a check that can be accepted; these can: "
        "birth_completeness, death_completeness, population_change, "
        "registrations_change, sex_ratio_at_birth",
    ):
        _accept(QUARTER, "one row per key")
    with pytest.raises(AcceptanceRefused, match="give the reason"):
        _accept(QUARTER, "birth_completeness", "   ")
    with pytest.raises(ValueError, match="2025Q3"):
        _accept("2025-3", "birth_completeness")
    # A broken total is never acceptable: it blocks whatever was accepted.
    _accept(QUARTER, "birth_completeness")
    report_tables.execute("update reports.rpt_t2_births_by_sex set total = 191 where province_code = '01'")
    assert [o.name for o in run_gate(QUARTER).blocking_failures] == ["total = male + female + unknown"]


def test_a_recorded_run_is_passed_on_while_it_is_the_latest_and_nothing_was_loaded_since(report_tables):
    from crvs.feeds.tables import ensure_tables
    from crvs.quality.gate import recorded_run

    ensure_tables(report_tables)  # raw.deliveries, empty: nothing loaded yet
    first = run_gate(QUARTER)
    again = recorded_run(QUARTER, first.run_id)
    assert again is not None and again.run_id == first.run_id
    assert again.summary() == first.summary()
    assert [o.describe() for o in again.outcomes] == [o.describe() for o in first.outcomes]
    assert again.findings == first.findings
    assert recorded_run("2025Q2", first.run_id) is None  # another quarter's gate passes nothing on

    # A delivery loaded after the gate ran: its outcome may be stale, the gate must run again.
    report_tables.execute(
        "insert into raw.deliveries (delivery_id, agency, channel, schema_version, extracted_at, period_start,"
        " period_end, source, manifest, loaded_at) values ('MOJ-2025Q3-0009', 'MOJ', 'FILE', '1.0', now(),"
        " '2025-07-01', '2025-09-30', 'test', '{}', now() + interval '1 second')"
    )
    assert recorded_run(QUARTER, first.run_id) is None
    # A later gate run (it sees that delivery): only the latest one is passed on.
    report_tables.execute("update raw.deliveries set loaded_at = now() - interval '1 minute'")
    second = run_gate(QUARTER)
    assert recorded_run(QUARTER, first.run_id) is None
    assert recorded_run(QUARTER, second.run_id).run_id == second.run_id
