with

source as (
    select * from {{ source('raw', 'moh_births') }}
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

        -- the birth
        source.birth_date,
        source.sex,
        source.outcome,
        source.birth_weight_g,
        source.gestation_weeks,

        -- the mother
        source.mother_pid::text as mother_pid,
        source.mother_birth_date,
        source.mother_residence_province_code,

        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
