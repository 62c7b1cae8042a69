-- Deliveries refused whole, with the reason and what their manifest says of them. The manifest was
-- refused too: its period (and extraction time) are read only where they are well-formed, else null.
with

source as (
    select * from {{ source('quarantine', 'rejected_deliveries') }}
),

renamed as (
    select
        -- ids
        rejection_id,
        agency,
        delivery_id,

        -- what the manifest says, where it can be read
        case when jsonb_typeof(manifest -> 'channel') = 'string' then manifest ->> 'channel' end as channel,
        case when jsonb_typeof(manifest -> 'extracted_at') = 'string' then manifest ->> 'extracted_at' end
            as extracted_at_text,
        {{ date_or_null("(manifest ->> 'period_start')") }} as period_start,
        {{ date_or_null("(manifest ->> 'period_end')") }} as period_end,

        -- the refusal
        source as delivery_source,
        reason,
        rejected_at

    from source
)

select * from renamed
