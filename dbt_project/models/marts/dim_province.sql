-- Both official province lists; key (code_version, province_code), never the bare code.
with

mapped as (
    select * from {{ ref('int_provinces__mapped_to_2025') }}
),

provinces_2025 as (
    select province_code, province_name from mapped where code_version = '2025'
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
        provinces_2025.province_name as province_2025_name
    from mapped
    left join provinces_2025 on mapped.province_2025_code = provinces_2025.province_code
)

select * from final
order by code_version, province_code
