-- The marriage takes place on the registration date: it has no event date of its own.
with

source as (
    select * from {{ source('raw', 'moj_marriages') }}
),

-- A row's delivery is (agency, delivery_id): MOJ's delivery of the row's delivery_id.
deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
    where agency = 'MOJ'
),

renamed as (
    select
        -- ids
        source.delivery_id,
        source.source_row,
        source.record_id,
        source.record_version,

        -- registration (the same columns in every MOJ dataset, feeds.md)
        source.record_status,
        source.reg_kind,
        source.registration_date,
        source.admin_code_version,
        source.reg_province_code,
        source.reg_commune_code,
        source.foreign_element,

        -- spouses
        encode(source.spouse1_pid, 'hex') as spouse1_pid,
        source.spouse1_sex,
        source.spouse1_birth_date,
        source.spouse1_prev_status,
        encode(source.spouse2_pid, 'hex') as spouse2_pid,
        source.spouse2_sex,
        source.spouse2_birth_date,
        source.spouse2_prev_status,

        -- delivery: its extraction time picks the current row (int_*_current)
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
