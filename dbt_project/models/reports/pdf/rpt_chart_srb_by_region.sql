-- Chart data for the PDF: NEW births of the quarter by the mother's region of residence and sex,
-- with the sex ratio at birth (boys per 100 girls), plus VN (which also counts births whose
-- mother's residence is unknown, as T2's VN does).
with

births as (
    select * from {{ ref('fct_registration') }}
    where reg_kind = 'NEW'
        and event_type = 'BIRTH'
),

quarters as (
    select distinct registration_quarter as quarter from births
),

regions as (
    select region_code from {{ ref('dim_region') }}
),

by_region as (
    select
        quarters.quarter,
        regions.region_code,
        count(births.*) filter (where births.sex = 'M') as male,
        count(births.*) filter (where births.sex = 'F') as female
    from quarters
    cross join regions
    left join births
        on quarters.quarter = births.registration_quarter
        and regions.region_code = births.residence_region_code
    group by quarters.quarter, regions.region_code
),

national as (
    select
        registration_quarter as quarter,
        'VN' as region_code,
        count(*) filter (where sex = 'M') as male,
        count(*) filter (where sex = 'F') as female
    from births
    group by registration_quarter
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
