-- The region of each 2025 province (doc `region_rule`): the region of the PRE2025 province whose
-- code the 2025 province kept. Decision 19/2025 gave each new province the code of the
-- constituent hosting its capital, so that constituent is the one whose old code equals the new
-- code. Seven 2025 provinces join constituents of two regions; this rule settles each of them.
with

provinces_2025 as (
    select province_code, province_name
    from {{ ref('admin_provinces') }}
    where code_version = '2025'
),

crosswalk as (
    select * from {{ ref('province_crosswalk') }}
),

historical_regions as (
    select province_code, region_code
    from {{ ref('province_regions') }}
    where code_version = 'PRE2025'
),

constituents as (
    select
        crosswalk.new_province_code as province_2025_code,
        crosswalk.old_province_code,
        historical_regions.region_code,
        crosswalk.old_province_code = crosswalk.new_province_code as kept_its_code
    from crosswalk
    left join historical_regions on crosswalk.old_province_code = historical_regions.province_code
),

per_province as (
    select
        provinces_2025.province_code as province_2025_code,
        provinces_2025.province_name as province_2025_name,
        count(constituents.old_province_code) as constituent_provinces,
        string_agg(constituents.old_province_code, ',' order by constituents.old_province_code)
            as constituent_province_codes,
        count(*) filter (where constituents.kept_its_code) as constituents_with_the_code,
        min(constituents.old_province_code) filter (where constituents.kept_its_code) as code_kept_from,
        min(constituents.region_code) filter (where constituents.kept_its_code) as region_code,
        string_agg(distinct constituents.region_code, ',' order by constituents.region_code) as constituent_region_codes,
        count(distinct constituents.region_code) > 1 as straddles_regions
    from provinces_2025
    left join constituents on provinces_2025.province_code = constituents.province_2025_code
    group by provinces_2025.province_code, provinces_2025.province_name
)

select * from per_province
