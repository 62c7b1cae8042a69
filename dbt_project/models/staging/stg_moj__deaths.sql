with

source as (
    select * from {{ source('raw', 'moj_deaths') }}
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

        -- the deceased and the death
        encode(source.deceased_pid, 'hex') as deceased_pid,
        source.sex,
        source.birth_date,
        source.death_date,
        source.place_of_death,
        source.death_province_code,
        source.residence_province_code,

        -- cause
        source.cause_icd10,
        source.cause_certified,

        -- delivery: its extraction time picks the current row (int_*_current)
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
