with

source as (
    select * from {{ source('raw', 'moj_births') }}
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

        -- the child and the birth
        source.child_pid::text as child_pid,
        source.sex,
        source.birth_date,
        source.place_of_birth,
        source.birth_province_code,

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
