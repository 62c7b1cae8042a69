with

source as (
    select * from {{ source('raw', 'moj_births') }}
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

        -- the child and the birth
        encode(source.child_pid, 'hex') as child_pid,
        source.sex,
        source.birth_date,
        source.place_of_birth,
        source.birth_province_code,

        -- the mother
        encode(source.mother_pid, 'hex') as mother_pid,
        source.mother_birth_date,
        source.mother_residence_province_code,

        -- delivery: its extraction time picks the current row (int_*_current)
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
