-- T2: NEW births registered in the quarter by the mother's residence province (all 34 provinces,
-- zeros included) and sex, plus the national VN row. VN counts every NEW birth of the quarter,
-- including those whose mother's residence province is unknown.
with

births as (
    select
        registration_quarter as quarter,
        residence_province_2025 as province_code,
        sex
    from {{ ref('fct_registration') }}
    where event_type = 'BIRTH'
        and reg_kind = 'NEW'
),

quarters as (
    select distinct quarter from births
),

provinces as (
    select province_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

by_province as (
    select
        quarters.quarter,
        provinces.province_code,
        count(*) filter (where births.sex = 'M') as male,
        count(*) filter (where births.sex = 'F') as female,
        count(*) filter (where births.sex = 'U') as unknown
    from quarters
    cross join provinces
    left join births
        on quarters.quarter = births.quarter
        and provinces.province_code = births.province_code
    group by quarters.quarter, provinces.province_code
),

national as (
    select
        quarter,
        'VN' as province_code,
        count(*) filter (where sex = 'M') as male,
        count(*) filter (where sex = 'F') as female,
        count(*) filter (where sex = 'U') as unknown
    from births
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
        cast(male as integer) as male,
        cast(female as integer) as female,
        cast(unknown as integer) as unknown,
        cast(male + female + unknown as integer) as total,
        cast(round(100.0 * male / nullif(female, 0), 1) as numeric(12, 1)) as sex_ratio_at_birth
    from unioned
)

select * from final
order by quarter, province_code = 'VN', province_code
