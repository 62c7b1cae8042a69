-- Both official province lists; key (code_version, province_code), never the bare code.
with

mapped as (
    select * from {{ ref('int_provinces__mapped_to_2025') }}
),

provinces_2025 as (
    select province_code, province_name from mapped where code_version = '2025'
),

regions_2025 as (
    select province_2025_code, region_code from {{ ref('int_provinces__regions_2025') }}
),

historical_regions as (
    select code_version, province_code, region_code from {{ ref('province_regions') }}
),

final as (
    select
        mapped.code_version || ':' || mapped.province_code as province_key,
        mapped.code_version,
        mapped.province_code,
        mapped.province_name,
        mapped.valid_from,
        mapped.valid_to,
        mapped.province_2025_code,
        provinces_2025.province_name as province_2025_name,
        -- the region of the 2025 province (doc region_rule), for both code lists
        regions_2025.region_code,
        -- a PRE2025 province's own GSO region before the merger; null for 2025 codes
        historical_regions.region_code as region_code_historical
    from mapped
    left join provinces_2025 on mapped.province_2025_code = provinces_2025.province_code
    left join regions_2025 on mapped.province_2025_code = regions_2025.province_2025_code
    left join historical_regions
        on mapped.code_version = historical_regions.code_version
        and mapped.province_code = historical_regions.province_code
)

select * from final
order by code_version, province_code
