-- Registrations of the periods before the reform in the geography of their time: the 63 provinces
-- of the PRE2025 list and their own GSO regions, for series that compare with the reports
-- published before 1 July 2025. Same counting as T1 (every current record, by registration
-- province, quarter of registration), for quarters that end before the 34-province list began.
-- A record coded in the 2025 list can be placed in an old province only when its 2025 province
-- is one old province unchanged; otherwise legacy_province_code is null (not guessed).
{{ config(materialized='view') }}

with

registrations as (
    select * from {{ ref('fct_registration') }}
),

reform as (
    select {{ province_list_2025_first_day() }} as first_day_2025
),

provinces as (
    select * from {{ ref('dim_province') }}
),

-- 2025 provinces that are exactly one PRE2025 province (nothing merged into them)
unchanged_2025 as (
    select
        province_2025_code,
        min(province_code) as legacy_province_code
    from provinces
    where code_version = 'PRE2025'
    group by 1
    having count(*) = 1
),

placed as (
    select
        registrations.registration_quarter as quarter,
        case registrations.admin_code_version
            when 'PRE2025' then registrations.reg_province_code
            else unchanged_2025.legacy_province_code
        end as legacy_province_code,
        registrations.event_type,
        registrations.reg_kind,
        registrations.timeliness,
        registrations.foreign_element
    from registrations
    cross join reform
    left join unchanged_2025
        on registrations.admin_code_version = '2025'
        and registrations.reg_province_2025 = unchanged_2025.province_2025_code
    where {{ quarter_end('registrations.registration_quarter') }} < reform.first_day_2025
),

final as (
    select
        placed.quarter,
        placed.legacy_province_code,
        legacy.province_name as legacy_province_name,
        legacy.region_code_historical as legacy_region_code,
        placed.event_type,
        placed.reg_kind,
        placed.timeliness,
        count(*) as registrations,
        count(*) filter (where placed.foreign_element) as foreign_element
    from placed
    left join provinces as legacy
        on legacy.code_version = 'PRE2025'
        and placed.legacy_province_code = legacy.province_code
    group by 1, 2, 3, 4, 5, 6, 7
)

select * from final
