with

source as (
    select * from {{ source('raw', 'gso_vital_rates') }}
),

-- A row's delivery is (agency, delivery_id): GSO's delivery of the row's delivery_id.
deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
    where agency = 'GSO'
),

renamed as (
    select
        -- ids
        source.delivery_id,
        source.source_row,

        -- area and year
        source.year,
        source.admin_code_version,
        source.province_code,

        -- rates per 1,000 population
        source.crude_birth_rate,
        source.crude_death_rate,

        -- delivery: its extraction time picks the current row (int_*_current)
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
