with

source as (
    select * from {{ source('raw', 'gso_vital_rates') }}
),

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
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

        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
