-- T8: registration completeness and facility linkage by EVENT quarter, for all 34 provinces and VN.
-- A quarter appears when it holds the event date of a current NEW birth or death registration or
-- of a current MOH live birth. See rpt_t8_completeness.yml for every figure's definition.
{{ prepare_incremental_scope(touched_quarters) }}
with

registrations as (
    select * from {{ ref('fct_registration') }}
    where reg_kind = 'NEW'
        and event_type in ('BIRTH', 'DEATH')
    {%- if is_incremental() %}
        and {{ in_scope_quarters('event_quarter') }}
    {%- endif %}
),

-- current MOH live births with their one-to-one MOJ linkage
facility_births as (
    select * from {{ ref('fct_birth_linkage') }}
    {%- if is_incremental() %}
    where {{ in_scope_quarters('event_quarter') }}
    {%- endif %}
),

expected_by_year as (
    select * from {{ ref('fct_expected_events') }}
),

provinces as (
    select province_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

quarters as (
    select event_quarter as quarter from registrations
    union
    select event_quarter as quarter from facility_births
),

quarter_lengths as (
    select
        quarter,
        cast(left(quarter, 4) as integer) as year,
        {{ quarter_end('quarter') }} - {{ quarter_start('quarter') }} + 1 as days_in_quarter,
        make_date(cast(left(quarter, 4) as integer) + 1, 1, 1)
            - make_date(cast(left(quarter, 4) as integer), 1, 1) as days_in_year
    from quarters
),

-- Unrounded: the percentages divide by these, the published figures round them.
expected_by_province as (
    select
        quarter_lengths.quarter,
        provinces.province_code,
        expected_by_year.expected_births_in_year
            * quarter_lengths.days_in_quarter / quarter_lengths.days_in_year as expected_births,
        expected_by_year.expected_deaths_in_year
            * quarter_lengths.days_in_quarter / quarter_lengths.days_in_year as expected_deaths
    from quarter_lengths
    cross join provinces
    left join expected_by_year
        on quarter_lengths.year = expected_by_year.year
        and provinces.province_code = expected_by_year.province_2025_code
),

-- The nation's expectation exists only when every province has one.
expected_national as (
    select
        quarter,
        'VN' as province_code,
        case when count(expected_births) = count(*) then sum(expected_births) end as expected_births,
        case when count(expected_deaths) = count(*) then sum(expected_deaths) end as expected_deaths
    from expected_by_province
    group by quarter
),

on_time_by_province as (
    select
        event_quarter as quarter,
        residence_province_2025 as province_code,
        count(*) filter (where event_type = 'BIRTH' and timeliness = 'ON_TIME') as births_on_time,
        count(*) filter (where event_type = 'DEATH' and timeliness = 'ON_TIME') as deaths_on_time
    from registrations
    where residence_province_2025 is not null
    group by event_quarter, residence_province_2025
),

on_time_national as (
    select
        event_quarter as quarter,
        'VN' as province_code,
        count(*) filter (where event_type = 'BIRTH' and timeliness = 'ON_TIME') as births_on_time,
        count(*) filter (where event_type = 'DEATH' and timeliness = 'ON_TIME') as deaths_on_time
    from registrations
    group by event_quarter
),

linkage_by_province as (
    select
        event_quarter as quarter,
        facility_province_2025 as province_code,
        count(*) as facility_live_births,
        count(*) filter (where is_registered) as facility_births_registered
    from facility_births
    where facility_province_2025 is not null
    group by event_quarter, facility_province_2025
),

linkage_national as (
    select
        event_quarter as quarter,
        'VN' as province_code,
        count(*) as facility_live_births,
        count(*) filter (where is_registered) as facility_births_registered
    from facility_births
    group by event_quarter
),

expected as (
    select * from expected_by_province
    union all
    select * from expected_national
),

on_time as (
    select * from on_time_by_province
    union all
    select * from on_time_national
),

linkage as (
    select * from linkage_by_province
    union all
    select * from linkage_national
),

joined as (
    select
        expected.quarter,
        expected.province_code,
        expected.expected_births,
        coalesce(on_time.births_on_time, 0) as births_on_time,
        expected.expected_deaths,
        coalesce(on_time.deaths_on_time, 0) as deaths_on_time,
        coalesce(linkage.facility_live_births, 0) as facility_live_births,
        coalesce(linkage.facility_births_registered, 0) as facility_births_registered
    from expected
    left join on_time
        on expected.quarter = on_time.quarter
        and expected.province_code = on_time.province_code
    left join linkage
        on expected.quarter = linkage.quarter
        and expected.province_code = linkage.province_code
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(round(expected_births, 1) as numeric(14, 1)) as expected_births,
        cast(births_on_time as integer) as births_on_time,
        cast({{ safe_percent('births_on_time', 'expected_births') }} as numeric(12, 1))
            as birth_completeness_pct,
        cast(round(expected_deaths, 1) as numeric(14, 1)) as expected_deaths,
        cast(deaths_on_time as integer) as deaths_on_time,
        cast({{ safe_percent('deaths_on_time', 'expected_deaths') }} as numeric(12, 1))
            as death_completeness_pct,
        cast(facility_live_births as integer) as facility_live_births,
        cast(facility_births_registered as integer) as facility_births_registered,
        cast({{ safe_percent('facility_births_registered', 'facility_live_births') }} as numeric(12, 1))
            as facility_linkage_pct
    from joined
)

select * from final
order by quarter, province_code = 'VN', province_code
