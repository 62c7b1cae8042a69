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
create table reports.rpt_t3_births_by_mother_age (quarter text, region_code text, mother_age_band text, births integer);
create table reports.rpt_t4_births_by_place (
    quarter text, region_code text, place_of_birth text, timeliness text, births integer);
create table reports.rpt_t5_deaths_by_age_sex (
    quarter text, geography_level text, geography_code text, age_band text, male integer, female integer,
    unknown integer, total integer);
create table reports.rpt_t6_deaths_quality (
    quarter text, province_code text, deaths integer, on_time integer, on_time_pct numeric(12,1), with_cause integer,
    certified integer, certified_pct numeric(12,1), ill_defined integer, ill_defined_pct numeric(12,1));
create table reports.rpt_t7_marriages_by_age (
    quarter text, region_code text, sex text, age_band text, spouses integer, first_marriages integer,
    under_legal_age integer);
create table reports.rpt_t9_data_quality (
    quarter text, agency text, dataset text, delivery_id text, channel text, extracted_at text, rows_received integer,
    rows_loaded integer, rows_rejected integer, top_rejection_reason text);
create table reports.rpt_t10_completeness_by_period (
    quarter text, registered_within text, event_quarter text, event_type text, region_code text,
    deliveries_cover text, expected_total numeric(14,1), expected_male numeric(14,1), expected_female numeric(14,1),
    registered_male integer, registered_female integer, registered_unknown integer, registered integer,
    completeness_pct numeric(12,1), male_completeness_pct numeric(12,1), female_completeness_pct numeric(12,1));
create table reports.rpt_t11_trends (
    quarter text, period text, births integer, births_on_time integer, births_on_time_pct numeric(12,1),
    deaths integer, deaths_on_time integer, deaths_on_time_pct numeric(12,1), marriages integer,
    expected_births numeric(14,1), birth_events_on_time integer, birth_completeness_pct numeric(12,1),
    expected_deaths numeric(14,1), death_events_on_time integer, death_completeness_pct numeric(12,1));
create table reports.rpt_quarter_deliveries (
    quarter text, agency text, delivery_id text, dataset text, fed_by text, channel text, extracted_at timestamptz,
    period_start date, period_end date, rows_received integer, rows_loaded integer, rows_rejected integer,
    rows_of_quarter integer, top_rejection_reason text);
create table reports.rpt_quarter_rejected_deliveries (
    quarter text, rejection_number bigint, agency text, delivery_id text, channel text, extracted_at text,
    period_start date, period_end date, reason text, rejected_at timestamptz, delivery_loaded boolean);
create table reports.rpt_gate_registration_changes (
    quarter text, province_code text, event_type text, previous_registrations integer, registrations integer,
    change_pct numeric(12,1));
create table reports.rpt_gate_population_changes (
    year integer, province_code text, population bigint, previous_year_population bigint, change_pct numeric(12,1),
    population_deliveries text, previous_year_deliveries text);
"""
