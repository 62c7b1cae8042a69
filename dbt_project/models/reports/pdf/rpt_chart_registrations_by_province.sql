-- Chart data for the PDF: NEW registrations of the quarter (current records, registration
-- date) by registration province and event type, every 2025 province (zeros included) plus VN.
-- Counted once, in T1; this model only reshapes T1's NEW rows.
with

registrations as (
    select * from {{ ref('rpt_t1_registrations') }}
    where reg_kind = 'NEW'
),

quarters as (
    select distinct quarter from registrations
),

provinces as (
    select province_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

by_province as (
    select
        quarters.quarter,
        provinces.province_code,
        coalesce(sum(registrations.registrations) filter (where registrations.event_type = 'BIRTH'), 0) as births,
        coalesce(sum(registrations.registrations) filter (where registrations.event_type = 'DEATH'), 0) as deaths,
        coalesce(sum(registrations.registrations) filter (where registrations.event_type = 'MARRIAGE'), 0) as marriages
    from quarters
    cross join provinces
    left join registrations
        on quarters.quarter = registrations.quarter
        and provinces.province_code = registrations.province_code
    group by quarters.quarter, provinces.province_code
),

-- VN also counts registrations whose province T1 could not place (a null province_code)
national as (
    select
        quarter,
        'VN' as province_code,
        coalesce(sum(registrations) filter (where event_type = 'BIRTH'), 0) as births,
        coalesce(sum(registrations) filter (where event_type = 'DEATH'), 0) as deaths,
        coalesce(sum(registrations) filter (where event_type = 'MARRIAGE'), 0) as marriages
    from registrations
    group by quarter
),

unioned as (
    select * from by_province
    union all
    select * from national
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(births as integer) as births,
        cast(deaths as integer) as deaths,
        cast(marriages as integer) as marriages
    from unioned
)

select * from final
order by quarter, province_code = 'VN', province_code
