with

source as (
    select * from {{ source('raw', 'delivery_files') }}
),

renamed as (
    select
        agency,
        delivery_id,
        dataset,
        file_name,
        sha256,
        rows_received,
        rows_loaded,
        rows_quarantined

    from source
)

select * from renamed
