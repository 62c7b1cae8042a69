-- T9: every delivery that fed the quarter, one row per dataset file, with the loader's counts and
-- the most frequent reason its rows were quarantined. A MOJ or MOH delivery feeds each quarter its
-- period overlaps; a GSO delivery (yearly figures) feeds every quarter of the years its period
-- overlaps — the same rule as the manifest's "deliveries used" (crvs.report.writer). A delivery
-- refused whole fed nothing and is not listed (it is in quarantine.rejected_deliveries).
-- `quarter` is the filter column, not a report column: the report writes the others.
with

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

files as (
    select * from {{ ref('stg_raw__delivery_files') }}
),

quarantined as (
    select * from {{ ref('stg_quarantine__rows') }}
),

-- First days of the quarters a delivery feeds.
fed_quarters as (
    select
        deliveries.agency,
        deliveries.delivery_id,
        {{ quarter_label('quarter_start') }} as quarter
    from deliveries
    cross join lateral generate_series(
        case when deliveries.agency = 'GSO' then date_trunc('year', cast(deliveries.period_start as timestamp))
             else date_trunc('quarter', cast(deliveries.period_start as timestamp)) end,
        case when deliveries.agency = 'GSO' then date_trunc('year', cast(deliveries.period_end as timestamp)) + interval '9 months'
             else date_trunc('quarter', cast(deliveries.period_end as timestamp)) end,
        interval '3 months'
    ) as quarters (quarter_start)
),

reasons as (
    select
        agency,
        delivery_id,
        dataset,
        column_name,
        rule,
        count(*) as quarantined_rows
    from quarantined
    group by agency, delivery_id, dataset, column_name, rule
),

-- The reason most rows were quarantined for; ties go to the first column and rule by name.
top_reasons as (
    select distinct on (agency, delivery_id, dataset)
        agency,
        delivery_id,
        dataset,
        column_name || ': ' || rule || ' (' || quarantined_rows || ' rows)' as top_rejection_reason
    from reasons
    order by agency, delivery_id, dataset, quarantined_rows desc, column_name, rule
),

final as (
    select
        cast(fed_quarters.quarter as text) as quarter,
        cast(deliveries.agency as text) as agency,
        cast(files.dataset as text) as dataset,
        cast(deliveries.delivery_id as text) as delivery_id,
        cast(deliveries.channel as text) as channel,
        cast(to_char(deliveries.extracted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as text)
            as extracted_at,
        cast(files.rows_received as integer) as rows_received,
        cast(files.rows_loaded as integer) as rows_loaded,
        cast(files.rows_quarantined as integer) as rows_rejected,
        cast(top_reasons.top_rejection_reason as text) as top_rejection_reason
    from fed_quarters
    inner join deliveries
        on fed_quarters.agency = deliveries.agency and fed_quarters.delivery_id = deliveries.delivery_id
    inner join files on deliveries.agency = files.agency and deliveries.delivery_id = files.delivery_id
    left join top_reasons
        on files.agency = top_reasons.agency
        and files.delivery_id = top_reasons.delivery_id
        and files.dataset = top_reasons.dataset
    order by fed_quarters.quarter, deliveries.agency, deliveries.extracted_at, deliveries.delivery_id, files.dataset
)

select * from final
