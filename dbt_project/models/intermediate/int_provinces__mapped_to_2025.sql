-- Every province code of both official lists with the 2025 province it belongs to. The key is
-- (code_version, province_code): seven codes name different territories in the two lists.
with

provinces as (
    select * from {{ ref('admin_provinces') }}
),

crosswalk as (
    select * from {{ ref('province_crosswalk') }}
),

mapped as (
    select
        provinces.code_version,
        provinces.province_code,
        provinces.province_name,
        provinces.valid_from,
        provinces.valid_to,
        case
            when provinces.code_version = '2025' then provinces.province_code
            else crosswalk.new_province_code
        end as province_2025_code
    from provinces
    left join crosswalk
        on provinces.code_version = 'PRE2025'
        and provinces.province_code = crosswalk.old_province_code
)

select * from mapped
