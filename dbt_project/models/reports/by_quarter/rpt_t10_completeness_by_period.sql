-- T10: completeness within the legal period, within 1 year and within 5 years of the event, by
-- sex, for VN and the six regions (issue 17 item 3). The row's quarter is the report quarter; each
-- time limit is measured on the latest cohort of events whose limit has fully run out by the
-- quarter's last day, so that no figure waits for registrations still to come: LEGAL on the events
-- of the quarter before (60 days for births, 15 for deaths, both shorter than a quarter), WITHIN_1Y
-- on those of four quarters before (delay ≤ 365 days), WITHIN_5Y on those of twenty quarters
-- before (delay ≤ 1825 days) — the timeliness classes of report.md. See the .yml for each figure.
{{ prepare_incremental_scope(completeness_cohort_quarters) }}
with

-- the report quarters: those with a current NEW birth or death registration
quarters as (
    select distinct registration_quarter as quarter
    from {{ ref('fct_registration') }}
    where reg_kind = 'NEW'
        and event_type in ('BIRTH', 'DEATH')
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

time_limits as (
    select * from (
        values
        ('LEGAL', 1, 1, array['ON_TIME']),
        ('WITHIN_1Y', 2, 4, array['ON_TIME', 'LATE']),
        ('WITHIN_5Y', 3, 20, array['ON_TIME', 'LATE', 'DELAYED_1_5Y'])
    ) as limits (registered_within, sort_order, quarters_back, timeliness_classes)
),

event_types as (
    select * from (values ('BIRTH', 1), ('DEATH', 2)) as events (event_type, sort_order)
),

cohorts as (
    select
        quarters.quarter,
        time_limits.registered_within,
        time_limits.sort_order,
        time_limits.timeliness_classes,
        {{ quarter_label(quarter_start('quarters.quarter') ~ " - time_limits.quarters_back * interval '3 months'") }}
            as event_quarter
    from quarters
    cross join time_limits
),

cohort_bounds as (
    select
        cohorts.*,
        {{ quarter_start('cohorts.event_quarter') }} as cohort_start,
        {{ quarter_end('cohorts.quarter') }} as quarter_last_day,
        {{ quarter_end('cohorts.event_quarter') }} - {{ quarter_start('cohorts.event_quarter') }} + 1
            as days_in_quarter,
        make_date(cast(left(cohorts.event_quarter, 4) as integer) + 1, 1, 1)
            - make_date(cast(left(cohorts.event_quarter, 4) as integer), 1, 1) as days_in_year
    from cohorts
),

-- the days the MOJ deliveries' periods cover, as islands of consecutive days
moj_periods as (
    select period_start, period_end
    from {{ ref('stg_raw__deliveries') }}
    where agency = 'MOJ' and period_start is not null and period_end is not null
),

moj_period_runs as (
    select
        period_start,
        period_end,
        max(period_end) over (
            order by period_start, period_end rows between unbounded preceding and 1 preceding
        ) as covered_before
    from moj_periods
),

moj_islands as (
    select
        min(period_start) as island_start,
        max(period_end) as island_end
    from (
        select
            period_start,
            period_end,
            count(*) filter (where covered_before is null or period_start > covered_before + 1)
                over (order by period_start, period_end) as island
        from moj_period_runs
    ) as numbered
    group by island
),

-- COMPLETE when the MOJ deliveries cover every registration day from the cohort's first day to
-- the report quarter's last day; else PARTIAL (registrations of those days may be missing)
coverage as (
    select
        cohort_bounds.quarter,
        cohort_bounds.registered_within,
        case
            when exists (
                select from moj_islands
                where moj_islands.island_start <= cohort_bounds.cohort_start
                    and moj_islands.island_end >= cohort_bounds.quarter_last_day
            ) then 'COMPLETE'
            else 'PARTIAL'
        end as deliveries_cover
    from cohort_bounds
),

regions as (
    select region_code, sort_order from {{ ref('dim_region') }}
    union all
    select 'VN', 99
),

province_regions as (
    select province_code as province_2025_code, region_code
    from {{ ref('dim_province') }}
    where code_version = '2025'
),

expected_by_region as (
    select
        expected.year,
        province_regions.region_code,
        count(*) as provinces,
        count(expected.expected_births_in_year) as provinces_with_births,
        count(expected.expected_deaths_in_year) as provinces_with_deaths,
        sum(expected.expected_births_in_year) as births,
        sum(expected.expected_births_male_in_year) as births_male,
        sum(expected.expected_births_female_in_year) as births_female,
        sum(expected.expected_deaths_in_year) as deaths,
        sum(expected.expected_deaths_male_in_year) as deaths_male,
        sum(expected.expected_deaths_female_in_year) as deaths_female
    from province_regions
    left join {{ ref('fct_expected_events') }} as expected
        on province_regions.province_2025_code = expected.province_2025_code
    group by grouping sets ((expected.year, province_regions.region_code), (expected.year))
),

region_provinces as (
    select region_code, count(*) as provinces from province_regions group by region_code
    union all
    select 'VN', count(*) from province_regions
),

-- a region's (VN's) expectation exists only when every province of it has one
expected_complete as (
    select
        expected_by_region.year,
        coalesce(expected_by_region.region_code, 'VN') as region_code,
        case when expected_by_region.provinces_with_births = region_provinces.provinces
                then expected_by_region.births end as births,
        case when expected_by_region.provinces_with_births = region_provinces.provinces
                then expected_by_region.births_male end as births_male,
        case when expected_by_region.provinces_with_births = region_provinces.provinces
                then expected_by_region.births_female end as births_female,
        case when expected_by_region.provinces_with_deaths = region_provinces.provinces
                then expected_by_region.deaths end as deaths,
        case when expected_by_region.provinces_with_deaths = region_provinces.provinces
                then expected_by_region.deaths_male end as deaths_male,
        case when expected_by_region.provinces_with_deaths = region_provinces.provinces
                then expected_by_region.deaths_female end as deaths_female
    from expected_by_region
    inner join region_provinces
        on coalesce(expected_by_region.region_code, 'VN') = region_provinces.region_code
    where expected_by_region.year is not null
),

registrations as (
    select
        cohort_bounds.quarter,
        cohort_bounds.registered_within,
        registrations.event_type,
        registrations.residence_region_code,
        registrations.sex
    from cohort_bounds
    inner join {{ ref('fct_registration') }} as registrations
        on registrations.event_quarter = cohort_bounds.event_quarter
        and registrations.timeliness = any(cohort_bounds.timeliness_classes)
    where registrations.reg_kind = 'NEW'
        and registrations.event_type in ('BIRTH', 'DEATH')
),

counted as (
    select
        quarter,
        registered_within,
        event_type,
        coalesce(residence_region_code, 'VN') as region_code,
        count(*) filter (where sex = 'M') as registered_male,
        count(*) filter (where sex = 'F') as registered_female,
        count(*) filter (where sex not in ('M', 'F') or sex is null) as registered_unknown,
        count(*) as registered
    from registrations
    where residence_region_code is not null
    group by quarter, registered_within, event_type, residence_region_code
    union all
    select
        quarter,
        registered_within,
        event_type,
        'VN',
        count(*) filter (where sex = 'M'),
        count(*) filter (where sex = 'F'),
        count(*) filter (where sex not in ('M', 'F') or sex is null),
        count(*)
    from registrations
    group by quarter, registered_within, event_type
),

grid as (
    select
        cohort_bounds.quarter,
        cohort_bounds.registered_within,
        cohort_bounds.sort_order as limit_sort,
        cohort_bounds.event_quarter,
        cohort_bounds.days_in_quarter,
        cohort_bounds.days_in_year,
        event_types.event_type,
        event_types.sort_order as event_sort,
        regions.region_code,
        regions.sort_order as region_sort
    from cohort_bounds
    cross join event_types
    cross join regions
),

-- Unrounded: the percentages divide by these, the published figures round them.
joined as (
    select
        grid.*,
        coverage.deliveries_cover,
        case grid.event_type when 'BIRTH' then expected.births else expected.deaths end
            * grid.days_in_quarter / grid.days_in_year as expected_total,
        case grid.event_type when 'BIRTH' then expected.births_male else expected.deaths_male end
            * grid.days_in_quarter / grid.days_in_year as expected_male,
        case grid.event_type when 'BIRTH' then expected.births_female else expected.deaths_female end
            * grid.days_in_quarter / grid.days_in_year as expected_female,
        coalesce(counted.registered_male, 0) as registered_male,
        coalesce(counted.registered_female, 0) as registered_female,
        coalesce(counted.registered_unknown, 0) as registered_unknown,
        coalesce(counted.registered, 0) as registered
    from grid
    inner join coverage
        on grid.quarter = coverage.quarter
        and grid.registered_within = coverage.registered_within
    left join expected_complete as expected
        on cast(left(grid.event_quarter, 4) as integer) = expected.year
        and grid.region_code = expected.region_code
    left join counted
        on grid.quarter = counted.quarter
        and grid.registered_within = counted.registered_within
        and grid.event_type = counted.event_type
        and grid.region_code = counted.region_code
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(registered_within as text) as registered_within,
        cast(event_quarter as text) as event_quarter,
        cast(event_type as text) as event_type,
        cast(region_code as text) as region_code,
        cast(deliveries_cover as text) as deliveries_cover,
        cast(round(expected_total, 1) as numeric(14, 1)) as expected_total,
        cast(round(expected_male, 1) as numeric(14, 1)) as expected_male,
        cast(round(expected_female, 1) as numeric(14, 1)) as expected_female,
        cast(registered_male as integer) as registered_male,
        cast(registered_female as integer) as registered_female,
        cast(registered_unknown as integer) as registered_unknown,
        cast(registered as integer) as registered,
        cast({{ safe_percent('registered', 'expected_total') }} as numeric(12, 1)) as completeness_pct,
        cast({{ safe_percent('registered_male', 'expected_male') }} as numeric(12, 1)) as male_completeness_pct,
        cast({{ safe_percent('registered_female', 'expected_female') }} as numeric(12, 1))
            as female_completeness_pct,
        limit_sort,
        event_sort,
        region_sort
    from joined
)

select
    quarter,
    registered_within,
    event_quarter,
    event_type,
    region_code,
    deliveries_cover,
    expected_total,
    expected_male,
    expected_female,
    registered_male,
    registered_female,
    registered_unknown,
    registered,
    completeness_pct,
    male_completeness_pct,
    female_completeness_pct
from final
order by quarter, limit_sort, event_sort, region_sort
