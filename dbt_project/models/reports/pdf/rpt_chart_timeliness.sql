-- Chart data for the PDF: NEW births and deaths registered in the quarter, nationally, by
-- timeliness (computed from the dates: births on time within 60 days, deaths within 15).
-- Counted once, in T1; this model only adds T1's NEW rows over the provinces.
with

registrations as (
    select * from {{ ref('rpt_t1_registrations') }}
    where reg_kind = 'NEW'
        and event_type in ('BIRTH', 'DEATH')
),

counted as (
    select
        quarter,
        event_type,
        coalesce(sum(registrations) filter (where timeliness = 'ON_TIME'), 0) as on_time,
        coalesce(sum(registrations) filter (where timeliness = 'LATE'), 0) as late,
        coalesce(sum(registrations) filter (where timeliness = 'DELAYED_1_5Y'), 0) as delayed_1_5y,
        coalesce(sum(registrations) filter (where timeliness = 'DELAYED_5Y_PLUS'), 0) as delayed_5y_plus,
        sum(registrations) as total
    from registrations
    group by quarter, event_type
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
