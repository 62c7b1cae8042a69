with

source as (
    select * from {{ source('raw', 'moh_deaths') }}
),

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

renamed as (
    select
        -- ids
        source.delivery_id,
        source.source_row,
        source.notification_id,

        -- facility
        source.facility_code,
        source.admin_code_version,
        source.facility_province_code,

        -- the deceased and the death
        source.death_date,
        source.deceased_pid::text as deceased_pid,
        source.sex,
        source.birth_date,
        source.underlying_cause_icd10,
        source.certified,

        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
