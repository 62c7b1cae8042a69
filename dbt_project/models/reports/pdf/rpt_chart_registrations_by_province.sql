-- Chart data for the PDF: NEW registrations of the quarter (current records, registration
-- date) by registration province and event type, every 2025 province (zeros included) plus VN.
with

registrations as (
    select * from {{ ref('fct_registration') }}
    where reg_kind = 'NEW'
),

quarters as (
    select distinct registration_quarter as quarter from registrations
),

provinces as (
    select province_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

by_province as (
    select
        quarters.quarter,
        provinces.province_code,
        count(registrations.*) filter (where registrations.event_type = 'BIRTH') as births,
        count(registrations.*) filter (where registrations.event_type = 'DEATH') as deaths,
        count(registrations.*) filter (where registrations.event_type = 'MARRIAGE') as marriages
    from quarters
    cross join provinces
    left join registrations
        on quarters.quarter = registrations.registration_quarter
        and provinces.province_code = registrations.reg_province_2025
    group by quarters.quarter, provinces.province_code
),

national as (
    select
        registration_quarter as quarter,
        'VN' as province_code,
        count(*) filter (where event_type = 'BIRTH') as births,
        count(*) filter (where event_type = 'DEATH') as deaths,
        count(*) filter (where event_type = 'MARRIAGE') as marriages
    from registrations
    group by registration_quarter
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
