"""The report models' tables as the dbt project makes them, for gate and report tests that fill
them with hand-made rows instead of running dbt."""

DDL = """
create schema reports;
create table reports.rpt_t1_registrations (
    quarter text, province_code text, event_type text, reg_kind text, timeliness text,
    registrations integer, foreign_element integer);
create table reports.rpt_t2_births_by_sex (
    quarter text, province_code text, male integer, female integer, unknown integer, total integer,
    sex_ratio_at_birth numeric(5,1));
create table reports.rpt_t8_completeness (
    quarter text, province_code text, expected_births numeric(14,1), births_on_time integer,
    birth_completeness_pct numeric(5,1), expected_deaths numeric(14,1), deaths_on_time integer,
    death_completeness_pct numeric(5,1), facility_live_births integer, facility_births_registered integer,
    facility_linkage_pct numeric(5,1));
"""
