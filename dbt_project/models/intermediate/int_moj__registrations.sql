-- The current MOJ records of all three event types in one shape, with the event date, the delay
-- and the timeliness computed from the dates (never taken from the source).
with

births as (
    select * from {{ ref('int_moj__births_current') }}
),

deaths as (
    select * from {{ ref('int_moj__deaths_current') }}
),

marriages as (
    select * from {{ ref('int_moj__marriages_current') }}
),

unioned as (
    select
        'BIRTH' as event_type,
        record_id, record_version, record_status, reg_kind, registration_date,
        admin_code_version, reg_province_code, reg_commune_code, foreign_element,
        delivery_id, extracted_at,
        birth_date as event_date,
        birth_province_code as event_province_code,
        place_of_birth as place_of_event,
        mother_residence_province_code as residence_province_code,
        sex,
        child_pid as subject_pid,
        cast(null as date) as subject_birth_date,
        mother_pid,
        mother_birth_date,
        cast(null as text) as cause_icd10,
        cast(null as boolean) as cause_certified,
        cast(null as text) as spouse1_pid,
        cast(null as text) as spouse1_sex,
        cast(null as date) as spouse1_birth_date,
        cast(null as text) as spouse1_prev_status,
        cast(null as text) as spouse2_pid,
        cast(null as text) as spouse2_sex,
        cast(null as date) as spouse2_birth_date,
        cast(null as text) as spouse2_prev_status
    from births

    union all

    select
        'DEATH' as event_type,
        record_id, record_version, record_status, reg_kind, registration_date,
        admin_code_version, reg_province_code, reg_commune_code, foreign_element,
        delivery_id, extracted_at,
        death_date as event_date,
        death_province_code as event_province_code,
        place_of_death as place_of_event,
        residence_province_code,
        sex,
        deceased_pid as subject_pid,
        birth_date as subject_birth_date,
        cast(null as text) as mother_pid,
        cast(null as date) as mother_birth_date,
        cause_icd10,
        cause_certified,
        cast(null as text) as spouse1_pid,
        cast(null as text) as spouse1_sex,
        cast(null as date) as spouse1_birth_date,
        cast(null as text) as spouse1_prev_status,
        cast(null as text) as spouse2_pid,
        cast(null as text) as spouse2_sex,
        cast(null as date) as spouse2_birth_date,
        cast(null as text) as spouse2_prev_status
    from deaths

    union all

    select
        'MARRIAGE' as event_type,
        record_id, record_version, record_status, reg_kind, registration_date,
        admin_code_version, reg_province_code, reg_commune_code, foreign_element,
        delivery_id, extracted_at,
        -- a marriage takes place when it is registered
        registration_date as event_date,
        reg_province_code as event_province_code,
        cast(null as text) as place_of_event,
        cast(null as text) as residence_province_code,
        cast(null as text) as sex,
        cast(null as text) as subject_pid,
        cast(null as date) as subject_birth_date,
        cast(null as text) as mother_pid,
        cast(null as date) as mother_birth_date,
        cast(null as text) as cause_icd10,
        cast(null as boolean) as cause_certified,
        spouse1_pid,
        spouse1_sex,
        spouse1_birth_date,
        spouse1_prev_status,
        spouse2_pid,
        spouse2_sex,
        spouse2_birth_date,
        spouse2_prev_status
    from marriages
),

timed as (
    select
        *,
        registration_date - event_date as delay_days
    from unioned
),

final as (
    select
        *,
        {{ timeliness('event_type', 'delay_days') }} as timeliness
    from timed
)

select * from final
