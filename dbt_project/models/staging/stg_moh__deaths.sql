with

source as (
    select * from {{ source('raw', 'moh_deaths') }}
),

-- A row's delivery is (agency, delivery_id): MOH's delivery of the row's delivery_id.
deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
    where agency = 'MOH'
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
        encode(source.deceased_pid, 'hex') as deceased_pid,
        source.sex,
        source.birth_date,
        source.underlying_cause_icd10,
        source.certified,

        -- delivery: its extraction time picks the current row (int_*_current)
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
