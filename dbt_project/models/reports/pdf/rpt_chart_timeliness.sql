-- Chart data for the PDF: NEW births and deaths registered in the quarter, nationally, by
-- timeliness (computed from the dates: births on time within 60 days, deaths within 15).
with

registrations as (
    select * from {{ ref('fct_registration') }}
    where reg_kind = 'NEW'
        and event_type in ('BIRTH', 'DEATH')
),

counted as (
    select
        registration_quarter as quarter,
        event_type,
        count(*) filter (where timeliness = 'ON_TIME') as on_time,
        count(*) filter (where timeliness = 'LATE') as late,
        count(*) filter (where timeliness = 'DELAYED_1_5Y') as delayed_1_5y,
        count(*) filter (where timeliness = 'DELAYED_5Y_PLUS') as delayed_5y_plus,
        count(*) as total
    from registrations
    group by registration_quarter, event_type
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(event_type as text) as event_type,
        cast(on_time as integer) as on_time,
        cast(late as integer) as late,
        cast(delayed_1_5y as integer) as delayed_1_5y,
        cast(delayed_5y_plus as integer) as delayed_5y_plus,
        cast(total as integer) as total,
        cast(round(100.0 * on_time / nullif(total, 0), 1) as numeric(5, 1)) as on_time_pct
    from counted
)

select * from final
order by quarter, event_type
