with

source as (
    select * from {{ source('raw', 'moj_deaths') }}
),

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

renamed as (
    select
        -- ids
        source.delivery_id,
        source.source_row,
        source.record_id,
        source.record_version,

        -- registration
        {{ moj_registration_columns('source') }}

        -- the deceased and the death
        source.deceased_pid::text as deceased_pid,
        source.sex,
        source.birth_date,
        source.death_date,
        source.place_of_death,
        source.death_province_code,
        source.residence_province_code,

        -- cause
        source.cause_icd10,
        source.cause_certified,

        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
