-- What the loader refused, for engineers (`crvs quarantine`): one row per delivery refused whole
-- (kind DELIVERY, its reason) and per quarantined row (kind ROW: file, row, column, rule and the
-- loader's message). Never a value from a file: the rows' messages have their quoted values
-- withheld (stg_quarantine__rows) and the records themselves stay in quarantine.rows. A view (as
-- the whole layer), so a refusal is listed the moment it is recorded; not for analysts (no access to
-- this layer) nor a report model.

with

rejected as (
    select * from {{ ref('stg_quarantine__rejected_deliveries') }}
),

quarantined as (
    select * from {{ ref('stg_quarantine__rows') }}
),

final as (
    select
        cast('DELIVERY' as text) as kind,
        agency,
        delivery_id,
        rejection_id as rejection_number,
        cast(null as text) as dataset,
        cast(null as text) as file_name,
        cast(null as integer) as source_row,
        cast(null as text) as column_name,
        cast('delivery_refused' as text) as rule,
        reason as message,
        rejected_at
    from rejected
    union all
    select
        'ROW',
        agency,
        delivery_id,
        null,
        dataset,
        file_name,
        source_row,
        column_name,
        rule,
        message,
        null
    from quarantined
)

select * from final
