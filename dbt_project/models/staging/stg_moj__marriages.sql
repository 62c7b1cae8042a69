with

source as (
    select * from {{ source('raw', 'moj_marriages') }}
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

        -- registration (the marriage takes place on the registration date)
        {{ moj_registration_columns('source') }}

        -- spouses
        source.spouse1_pid::text as spouse1_pid,
        source.spouse1_sex,
        source.spouse1_birth_date,
        source.spouse1_prev_status,
        source.spouse2_pid::text as spouse2_pid,
        source.spouse2_sex,
        source.spouse2_birth_date,
        source.spouse2_prev_status,

        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
