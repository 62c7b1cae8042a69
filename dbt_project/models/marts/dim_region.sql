-- The six GSO socio-economic regions, with how many provinces of each list they hold.
with

regions as (
    select * from {{ ref('regions') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

province_counts as (
    select
        region_code,
        count(*) filter (where code_version = '2025') as provinces_2025
    from provinces
    group by region_code
),

historical_counts as (
    select
        region_code_historical as region_code,
        count(*) as provinces_pre2025
    from provinces
    where code_version = 'PRE2025'
    group by region_code_historical
),

final as (
    select
        regions.region_code,
        regions.region_name_en,
        regions.region_name_vi,
        regions.sort_order,
        coalesce(province_counts.provinces_2025, 0) as provinces_2025,
        coalesce(historical_counts.provinces_pre2025, 0) as provinces_pre2025
    from regions
    left join province_counts on regions.region_code = province_counts.region_code
    left join historical_counts on regions.region_code = historical_counts.region_code
)

select * from final
order by sort_order
