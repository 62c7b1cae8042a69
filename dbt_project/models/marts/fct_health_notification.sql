-- One row per current MOH facility notification (births and deaths), placed in 2025 provinces,
-- with the one-to-one linkage of live births to MOJ birth registrations.
with

births as (
    select * from {{ ref('int_moh__births_current') }}
),

deaths as (
    select * from {{ ref('int_moh__deaths_current') }}
),

links as (
    select * from {{ ref('int_moh__birth_registration_links') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

notifications as (
    select
        'BIRTH' as event_type,
        births.notification_id,
        births.delivery_id,
        births.extracted_at,
        births.facility_code,
        births.admin_code_version,
        births.facility_province_code,
        births.birth_date as event_date,
        births.outcome,
        births.sex,
        births.birth_date,
        births.birth_weight_g,
        births.gestation_weeks,
        births.mother_pid,
        births.mother_birth_date,
        births.mother_residence_province_code,
        cast(null as text) as deceased_pid,
        cast(null as text) as underlying_cause_icd10,
        cast(null as boolean) as certified,
        links.is_registered
    from births
    left join links on births.notification_id = links.notification_id

    union all

    select
        'DEATH' as event_type,
        notification_id,
        delivery_id,
        extracted_at,
        facility_code,
        admin_code_version,
        facility_province_code,
        death_date as event_date,
        cast(null as text) as outcome,
        sex,
        birth_date,
        cast(null as integer) as birth_weight_g,
        cast(null as integer) as gestation_weeks,
        cast(null as text) as mother_pid,
        cast(null as date) as mother_birth_date,
        cast(null as text) as mother_residence_province_code,
        deceased_pid,
        underlying_cause_icd10,
        certified,
        cast(null as boolean) as is_registered
    from deaths
),

final as (
    select
        -- keys
        notifications.event_type,
        notifications.notification_id,
        notifications.delivery_id,
        notifications.extracted_at,

        -- facility
        notifications.facility_code,
        notifications.admin_code_version,
        notifications.facility_province_code,
        facility_province.province_2025_code as facility_province_2025,

        -- event
        notifications.event_date,
        {{ quarter_label('notifications.event_date') }} as event_quarter,
        notifications.outcome,
        notifications.sex,
        notifications.birth_date,
        notifications.birth_weight_g,
        notifications.gestation_weeks,

        -- mother (births)
        notifications.mother_pid,
        notifications.mother_birth_date,
        notifications.mother_residence_province_code,
        residence_province.province_2025_code as mother_residence_province_2025,

        -- deceased (deaths)
        notifications.deceased_pid,
        notifications.underlying_cause_icd10,
        notifications.certified,

        -- linkage (live births)
        notifications.is_registered

    from notifications
    left join provinces as facility_province
        on notifications.admin_code_version = facility_province.code_version
        and notifications.facility_province_code = facility_province.province_code
    left join provinces as residence_province
        on notifications.admin_code_version = residence_province.code_version
        and notifications.mother_residence_province_code = residence_province.province_code
)

select * from final
