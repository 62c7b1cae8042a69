-- Registrations of each province (and VN) by event type against the quarter before: the figure the
-- gate's quarter-on-quarter bands judge (expectations/report_suites.py). Counted as T1 counts them:
-- every current ACTIVE record registered in the quarter, all kinds, by registration province.
-- A quarter has a row for every province × event type registered in it or in the quarter before;
-- previous_registrations is null when the quarter before has no registration at all (nothing to
-- compare with: not loaded).
with

t1 as (
    select * from {{ ref('rpt_t1_registrations') }}
),

by_area as (
    select quarter, province_code, event_type, sum(registrations) as registrations
    from t1
    group by quarter, province_code, event_type
    union all
    select quarter, 'VN' as province_code, event_type, sum(registrations) as registrations
    from t1
    group by quarter, event_type
),

quarters as (
    select distinct
        quarter,
        {{ previous_quarter('quarter') }} as previous_quarter
    from t1
),

loaded_quarters as (
    select distinct quarter from t1
),

area_keys as (
    select distinct quarters.quarter, quarters.previous_quarter, by_area.province_code, by_area.event_type
    from quarters
    inner join by_area
        on by_area.quarter in (quarters.quarter, quarters.previous_quarter)
),

joined as (
    select
        area_keys.quarter,
        area_keys.province_code,
        area_keys.event_type,
        case
            when area_keys.previous_quarter in (select quarter from loaded_quarters)
                then coalesce(previous.registrations, 0)
        end as previous_registrations,
        coalesce(current_quarter.registrations, 0) as registrations
    from area_keys
    left join by_area as current_quarter
        on current_quarter.quarter = area_keys.quarter
        and current_quarter.province_code = area_keys.province_code
        and current_quarter.event_type = area_keys.event_type
    left join by_area as previous
        on previous.quarter = area_keys.previous_quarter
        and previous.province_code = area_keys.province_code
        and previous.event_type = area_keys.event_type
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(event_type as text) as event_type,
        cast(previous_registrations as integer) as previous_registrations,
        cast(registrations as integer) as registrations,
        cast(round(100.0 * (registrations - previous_registrations) / nullif(previous_registrations, 0), 1)
            as numeric(12, 1)) as change_pct
    from joined
)

select * from final
order by quarter, province_code = 'VN', province_code, event_type
