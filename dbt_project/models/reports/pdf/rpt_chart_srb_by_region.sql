-- Chart data for the PDF: NEW births of the quarter by the mother's region of residence and sex,
-- with the sex ratio at birth (boys per 100 girls), plus VN (which also counts births whose
-- mother's residence is unknown, as T2's VN does). Counted once, in T2: a region is the sum of
-- its 2025 provinces (a mother's region is her 2025 province's region, dim_province), VN is T2's VN.
with

births as (
    select * from {{ ref('rpt_t2_births_by_sex') }}
),

quarters as (
    select distinct quarter from births
),

regions as (
    select region_code from {{ ref('dim_region') }}
),

province_regions as (
    select province_code, region_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

births_by_province as (
    select
        births.quarter,
        province_regions.region_code,
        births.male,
        births.female
    from births
    inner join province_regions on births.province_code = province_regions.province_code
),

by_region as (
    select
        quarters.quarter,
        regions.region_code,
        coalesce(sum(births_by_province.male), 0) as male,
        coalesce(sum(births_by_province.female), 0) as female
    from quarters
    cross join regions
    left join births_by_province
        on quarters.quarter = births_by_province.quarter
        and regions.region_code = births_by_province.region_code
    group by quarters.quarter, regions.region_code
),

national as (
    select
        quarter,
        province_code as region_code,
        male,
        female
    from births
    where province_code = 'VN'
),

unioned as (
    select * from by_region
    union all
    select * from national
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(region_code as text) as region_code,
        cast(male as integer) as male,
        cast(female as integer) as female,
        cast(round(100.0 * male / nullif(female, 0), 1) as numeric(5, 1)) as sex_ratio_at_birth
    from unioned
)

select * from final
order by quarter, region_code = 'VN', region_code
