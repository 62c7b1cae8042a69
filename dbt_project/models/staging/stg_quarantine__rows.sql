-- Quarantined rows without their content: which delivery, dataset, column and rule. The record
-- itself (pseudonymised, but personal data) is not carried forward.
with

source as (
    select * from {{ source('quarantine', 'rows') }}
),

renamed as (
    select
        agency,
        delivery_id,
        dataset,
        source_row,
        column_name,
        rule
    from source
)

select * from renamed
