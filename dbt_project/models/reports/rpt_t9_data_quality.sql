-- T9: every delivery that fed the quarter (the rule is rpt_quarter_deliveries'), one row per
-- dataset file, with the loader's counts and the most frequent reason its rows were quarantined.
-- `quarter` is the filter column, not a report column: the report writes the others.
with

fed as (
    select * from {{ ref('rpt_quarter_deliveries') }}
),

final as (
    select
        quarter,
        agency,
        dataset,
        delivery_id,
        channel,
        cast(to_char(extracted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as text) as extracted_at,
        rows_received,
        rows_loaded,
        rows_rejected,
        top_rejection_reason
    from fed
    order by quarter, agency, fed.extracted_at, delivery_id, dataset
)

select * from final
