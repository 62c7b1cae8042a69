-- Chart data for the PDF: NEW registrations of the quarter (current records, registration
-- date) by registration province and event type, every 2025 province (zeros included) plus VN.
-- Counted once, in T1; this model only reshapes T1's NEW rows.
with

registrations as (
    select * from {{ ref('rpt_t1_registrations') }}
    where reg_kind = 'NEW'
),

{{ province_grid_counts('registrations', [
    ('births', "coalesce(sum(registrations.registrations) filter (where registrations.event_type = 'BIRTH'), 0)"),
    ('deaths', "coalesce(sum(registrations.registrations) filter (where registrations.event_type = 'DEATH'), 0)"),
    ('marriages', "coalesce(sum(registrations.registrations) filter (where registrations.event_type = 'MARRIAGE'), 0)"),
]) }},

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(births as integer) as births,
        cast(deaths as integer) as deaths,
        cast(marriages as integer) as marriages
    from province_counts
)

select * from final
order by quarter, province_code = 'VN', province_code
