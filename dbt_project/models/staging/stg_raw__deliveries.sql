with

source as (
    select * from {{ source('raw', 'deliveries') }}
),

renamed as (
    select
        -- ids
        delivery_id,
        agency,
        channel,
        schema_version,

        -- timestamps and period
        extracted_at,
        period_start,
        period_end,
        loaded_at,

        -- provenance
        source as delivery_source

    from source
)

select * from renamed
