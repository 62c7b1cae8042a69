-- The deliveries refused whole whose manifest names a period overlapping the quarter (GSO: the
-- quarter's year), with their reason: beside rpt_quarter_deliveries in the manifest and the agency
-- edition. A refusal whose manifest gives no readable period belongs to no quarter (`crvs
-- quarantine` lists it). `delivery_loaded` says whether a delivery of that agency and id is loaded
-- (a changed resend of it, or its corrected sending). A view: a refusal is listed the moment it is
-- recorded (`crvs quarantine --quarter`), without waiting for a build.
{{ config(materialized='view') }}

with

rejected as (
    select * from {{ ref('stg_quarantine__rejected_deliveries') }}
    where period_start is not null and period_end is not null and period_start <= period_end
),

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

quarters as (
    select
        rejected.rejection_id,
        {{ quarter_label('quarter_start') }} as quarter
    from rejected
    cross join lateral {{ period_quarter_starts('rejected.agency', 'rejected.period_start', 'rejected.period_end') }}
),

final as (
    select
        cast(quarters.quarter as text) as quarter,
        -- the serial number of the refusal (named apart from *_id: the gate reads those as a person's)
        rejected.rejection_id as rejection_number,
        cast(rejected.agency as text) as agency,
        cast(rejected.delivery_id as text) as delivery_id,
        cast(rejected.channel as text) as channel,
        cast(rejected.extracted_at_text as text) as extracted_at,
        rejected.period_start,
        rejected.period_end,
        cast(rejected.reason as text) as reason,
        rejected.rejected_at,
        deliveries.delivery_id is not null as delivery_loaded
    from quarters
    inner join rejected on quarters.rejection_id = rejected.rejection_id
    left join deliveries
        on rejected.agency = deliveries.agency and rejected.delivery_id = deliveries.delivery_id
)

select * from final
