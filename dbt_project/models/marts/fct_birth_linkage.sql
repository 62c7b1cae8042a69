-- One row per current MOH live birth with its MOJ registration, if any (rule and pairing:
-- int_moh__birth_registration_links), placed in the 2025 province of the facility. As of the
-- latest MOJ extraction (macro moj_as_of_date, never today's date): how old the child was then and
-- whether the legal limit of 60 days (Law on Civil Status art. 15) had passed — the one place of
-- the "due" rule the follow-up marts read.
--
-- Incremental by the quarter of the birth date (macros/incremental.sql): a registration key (mother,
-- birth date, sex) lies in one quarter, so the pairing of a quarter is computed from that quarter's
-- rows alone; a build recomputes the quarters the deliveries not applied yet touched (a MOH
-- notification's, a MOJ birth record's every version) and replaces them. The as-of columns of the
-- other quarters follow a later MOJ extraction in the post-hook (an update of those three columns).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_scope',
    unique_key='event_quarter',
    on_schema_change='fail',
    indexes=[{'columns': ['event_quarter']}],
    post_hook=["{{ refresh_linkage_as_of() }}", "{{ record_applied_deliveries() }}"],
) }}
{{ prepare_incremental_scope(touched_quarters, ['event_quarter']) }}
with

links as (
    select * from {{ ref('int_moh__birth_registration_links') }}
    {%- if is_incremental() %}
    where {{ in_scope_quarters(quarter_label('birth_date'), 'event_quarter') }}
    {%- endif %}
),

facility_births as (
    select * from {{ ref('int_moh__births_current') }}
    {%- if is_incremental() %}
    where {{ in_scope_quarters(quarter_label('birth_date'), 'event_quarter') }}
    {%- endif %}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

as_of as (
    select {{ moj_as_of_date() }} as as_of_date
),

final as (
    select
        -- the facility birth
        links.notification_id,
        facility_births.delivery_id,
        facility_births.facility_code,
        facility_births.admin_code_version,
        facility_births.facility_province_code,
        facility_province.province_2025_code as facility_province_2025,
        facility_province.region_code as facility_region_code,
        links.birth_date,
        {{ quarter_label('links.birth_date') }} as event_quarter,
        links.sex,
        links.mother_pid,
        links.mother_pid is not null as has_mother_identifier,
        residence_province.province_2025_code as mother_residence_province_2025,

        -- the registration it is paired with
        links.registrations_with_key,
        links.is_registered,
        links.matched_record_id,
        links.matched_registration_date,
        links.matched_registration_date - links.birth_date as days_to_registration,
        coalesce(links.matched_registration_date - links.birth_date <= 60, false) as registered_within_60_days,

        -- as of the MOJ data
        as_of.as_of_date,
        as_of.as_of_date - links.birth_date as days_since_birth,
        coalesce(as_of.as_of_date - links.birth_date > 60, false) as past_registration_limit
    from links
    cross join as_of
    inner join facility_births on links.notification_id = facility_births.notification_id
    left join provinces as facility_province
        on facility_births.admin_code_version = facility_province.code_version
        and facility_births.facility_province_code = facility_province.province_code
    left join provinces as residence_province
        on facility_births.admin_code_version = residence_province.code_version
        and facility_births.mother_residence_province_code = residence_province.province_code
)

select * from final
