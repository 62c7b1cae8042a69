-- T11: the last eight quarters up to each report quarter, nationally: NEW registrations by event,
-- their on-time share (registration quarter) and birth and death completeness (event quarter).
-- Every figure is taken as published elsewhere, never counted again: registrations from the VN row
-- of rpt_chart_registrations_by_province, timeliness from rpt_chart_timeliness (both T1's NEW
-- rows), completeness from T8's VN row. A quarter is held when T1 has registrations in it.
-- A table rebuilt on every build (not incremental): a late delivery for one quarter changes the
-- trend of the eight report quarters after it, and the whole model is a few rows per quarter read
-- from three small report models. See rpt_t11_trends.yml.
with

registrations as (
    select * from {{ ref('rpt_chart_registrations_by_province') }}
    where province_code = 'VN'
),

timeliness as (
    select * from {{ ref('rpt_chart_timeliness') }}
),

completeness as (
    select * from {{ ref('rpt_t8_completeness') }}
    where province_code = 'VN'
),

-- the quarters the warehouse holds, each with a running number (2025Q1 → 2025 × 4 + 1)
held as (
    select
        quarter,
        cast(left(quarter, 4) as integer) * 4 + cast(right(quarter, 1) as integer) as quarter_number
    from registrations
),

-- for each report quarter, the held quarters among the eight ending with it
windows as (
    select
        report.quarter,
        period.quarter as period
    from held as report
    inner join held as period
        on period.quarter_number between report.quarter_number - 7 and report.quarter_number
),

joined as (
    select
        windows.quarter,
        windows.period,
        registrations.births,
        coalesce(births_timeliness.on_time, 0) as births_on_time,
        births_timeliness.on_time_pct as births_on_time_pct,
        registrations.deaths,
        coalesce(deaths_timeliness.on_time, 0) as deaths_on_time,
        deaths_timeliness.on_time_pct as deaths_on_time_pct,
        registrations.marriages,
        completeness.expected_births,
        coalesce(completeness.births_on_time, 0) as birth_events_on_time,
        completeness.birth_completeness_pct,
        completeness.expected_deaths,
        coalesce(completeness.deaths_on_time, 0) as death_events_on_time,
        completeness.death_completeness_pct
    from windows
    inner join registrations
        on windows.period = registrations.quarter
    left join timeliness as births_timeliness
        on windows.period = births_timeliness.quarter
        and births_timeliness.event_type = 'BIRTH'
    left join timeliness as deaths_timeliness
        on windows.period = deaths_timeliness.quarter
        and deaths_timeliness.event_type = 'DEATH'
    left join completeness
        on windows.period = completeness.quarter
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(period as text) as period,
        cast(births as integer) as births,
        cast(births_on_time as integer) as births_on_time,
        cast(births_on_time_pct as numeric(12, 1)) as births_on_time_pct,
        cast(deaths as integer) as deaths,
        cast(deaths_on_time as integer) as deaths_on_time,
        cast(deaths_on_time_pct as numeric(12, 1)) as deaths_on_time_pct,
        cast(marriages as integer) as marriages,
        cast(expected_births as numeric(14, 1)) as expected_births,
        cast(birth_events_on_time as integer) as birth_events_on_time,
        cast(birth_completeness_pct as numeric(12, 1)) as birth_completeness_pct,
        cast(expected_deaths as numeric(14, 1)) as expected_deaths,
        cast(death_events_on_time as integer) as death_events_on_time,
        cast(death_completeness_pct as numeric(12, 1)) as death_completeness_pct
    from joined
)

select * from final
order by quarter, period
