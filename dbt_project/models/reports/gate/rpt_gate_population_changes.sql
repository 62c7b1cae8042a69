-- GSO's population of each 2025 province (and VN) in a year against the year before: the change of
-- the completeness denominators the gate's bands judge (expectations/report_suites.py). Population is
-- summed over sexes and age groups, from the latest delivery of each cell (fct_population, the same
-- cells fct_expected_events multiplies by the rates), with the deliveries it came from, so a finding
-- names them. VN has a population only when every province has one.
with

population as (
    select * from {{ ref('fct_population') }}
),

expected as (
    select * from {{ ref('fct_expected_events') }}
),

provinces as (
    select province_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

years as (
    select distinct year from expected
),

deliveries as (
    select
        year,
        province_2025 as province_code,
        string_agg(distinct delivery_id, ', ' order by delivery_id) as population_deliveries
    from population
    group by year, province_2025
),

by_province as (
    select
        years.year,
        provinces.province_code,
        expected.population
    from years
    cross join provinces
    left join expected
        on expected.year = years.year
        and expected.province_2025_code = provinces.province_code
),

by_area as (
    select * from by_province
    union all
    select
        year,
        'VN' as province_code,
        case when count(population) = count(*) then sum(population) end as population
    from by_province
    group by year
),

national_deliveries as (
    select year, 'VN' as province_code, string_agg(distinct delivery_id, ', ' order by delivery_id)
        as population_deliveries
    from population
    group by year
),

joined as (
    select
        by_area.year,
        by_area.province_code,
        by_area.population,
        previous.population as previous_year_population,
        coalesce(deliveries.population_deliveries, national_deliveries.population_deliveries)
            as population_deliveries,
        coalesce(previous_deliveries.population_deliveries, previous_national.population_deliveries)
            as previous_year_deliveries
    from by_area
    left join by_area as previous
        on previous.year = by_area.year - 1
        and previous.province_code = by_area.province_code
    left join deliveries
        on deliveries.year = by_area.year and deliveries.province_code = by_area.province_code
    left join national_deliveries
        on national_deliveries.year = by_area.year and national_deliveries.province_code = by_area.province_code
    left join deliveries as previous_deliveries
        on previous_deliveries.year = by_area.year - 1 and previous_deliveries.province_code = by_area.province_code
    left join national_deliveries as previous_national
        on previous_national.year = by_area.year - 1 and previous_national.province_code = by_area.province_code
),

final as (
    select
        cast(year as integer) as year,
        cast(province_code as text) as province_code,
        cast(population as bigint) as population,
        cast(previous_year_population as bigint) as previous_year_population,
        cast(round(100.0 * (population - previous_year_population) / nullif(previous_year_population, 0), 1)
            as numeric(12, 1)) as change_pct,
        cast(population_deliveries as text) as population_deliveries,
        cast(previous_year_deliveries as text) as previous_year_deliveries
    from joined
)

select * from final
order by year, province_code = 'VN', province_code
