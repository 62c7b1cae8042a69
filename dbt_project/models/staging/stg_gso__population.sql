with

source as (
    select * from {{ source('raw', 'gso_population') }}
),

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

renamed as (
    select
        -- ids
        source.delivery_id,
        source.source_row,

        -- cell
        source.year,
        source.admin_code_version,
        source.province_code,
        source.sex,
        source.age_group,

        -- figure
        source.population,

        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
