-- One row per current MOJ registration (births, deaths, marriages), placed in 2025 provinces.
--
-- Incremental by record (macros/incremental.sql): a build takes the records that the deliveries
-- not applied yet carry, chooses each one's current version again over ALL its versions
-- (macro current_moj_records, as int_moj__*_current do), and replaces the stored row of each of
-- those records; a record whose current version is CANCELLED loses its row. Reference data
-- changes (a new province list) need `crvs build --full-refresh`.
-- Analyzed at the end of its build: the report models that read it next are planned on its
-- statistics, not on the defaults of a table autovacuum has not reached yet (docs/performance.md).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_scope',
    unique_key=['event_type', 'record_id'],
    on_schema_change='fail',
    indexes=[
        {'columns': ['event_type', 'record_id'], 'unique': true},
        {'columns': ['registration_quarter']},
        {'columns': ['event_quarter']},
    ],
    post_hook=[
        "{{ record_applied_deliveries() }}",
        "analyze {{ this }}",
    ],
) }}
{{ prepare_incremental_scope(changed_moj_records) }}


with

registrations as (
    {%- if is_incremental() %}
    {{ moj_registrations(
        changed_current_records(ref('stg_moj__births'), 'BIRTH'),
        changed_current_records(ref('stg_moj__deaths'), 'DEATH'),
        changed_current_records(ref('stg_moj__marriages'), 'MARRIAGE'),
    ) }}
    {%- else %}
    select * from {{ ref('int_moj__registrations') }}
    {%- endif %}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

final as (
    select
        -- keys
        registrations.event_type,
        registrations.record_id,
        registrations.record_version,
        registrations.delivery_id,
        registrations.extracted_at,

        -- registration
        registrations.record_status,
        registrations.reg_kind,
        registrations.registration_date,
        {{ quarter_label('registrations.registration_date') }} as registration_quarter,
        registrations.admin_code_version,
        registrations.reg_province_code,
        registrations.reg_commune_code,
        reg_province.province_2025_code as reg_province_2025,
        reg_province.region_code as reg_region_code,
        registrations.foreign_element,

        -- event
        registrations.event_date,
        {{ quarter_label('registrations.event_date') }} as event_quarter,
        registrations.delay_days,
        registrations.timeliness,
        registrations.place_of_event,
        registrations.event_province_code,
        event_province.province_2025_code as event_province_2025,
        registrations.residence_province_code,
        residence_province.province_2025_code as residence_province_2025,
        residence_province.region_code as residence_region_code,

        -- people
        registrations.sex,
        registrations.subject_pid,
        registrations.subject_birth_date,
        registrations.mother_pid,
        registrations.mother_birth_date,
        -- the deceased's age at death, the mother's age at the birth; null when a date is missing
        case registrations.event_type
            when 'DEATH' then {{ age_in_completed_years('registrations.subject_birth_date', 'registrations.event_date') }}
            when 'BIRTH' then {{ age_in_completed_years('registrations.mother_birth_date', 'registrations.event_date') }}
        end as age_years,

        -- deaths
        registrations.cause_icd10,
        registrations.cause_certified,

        -- marriages
        registrations.spouse1_pid,
        registrations.spouse1_sex,
        registrations.spouse1_birth_date,
        registrations.spouse1_prev_status,
        registrations.spouse2_pid,
        registrations.spouse2_sex,
        registrations.spouse2_birth_date,
        registrations.spouse2_prev_status

    from registrations
    left join provinces as reg_province
        on registrations.admin_code_version = reg_province.code_version
        and registrations.reg_province_code = reg_province.province_code
    left join provinces as event_province
        on registrations.admin_code_version = event_province.code_version
        and registrations.event_province_code = event_province.province_code
    left join provinces as residence_province
        on registrations.admin_code_version = residence_province.code_version
        and registrations.residence_province_code = residence_province.province_code
)

select * from final
