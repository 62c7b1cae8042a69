-- Both official commune lists; key (code_version, commune_code), never the bare code. A PRE2025
-- commune carries the 2025 commune its territory went to (for a divided commune, the default part
-- of seed commune_crosswalk) and, through its province, the 2025 province.
with

communes as (
    select * from {{ ref('admin_communes') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

default_successors as (
    select old_commune_code, new_commune_code, new_province_code
    from {{ ref('commune_crosswalk') }}
    where is_default
),

parts as (
    select old_commune_code, count(*) as parts_2025
    from {{ ref('commune_crosswalk') }}
    group by old_commune_code
),

final as (
    select
        communes.code_version || ':' || communes.commune_code as commune_key,
        communes.code_version,
        communes.commune_code,
        communes.commune_name,
        communes.province_code,
        provinces.province_key,
        provinces.province_name,
        provinces.valid_from,
        provinces.valid_to,
        case
            when communes.code_version = '2025' then communes.commune_code
            else default_successors.new_commune_code
        end as commune_2025_code,
        -- PRE2025 communes split between several 2025 communes (the default part is commune_2025_code)
        case when communes.code_version = 'PRE2025' then coalesce(parts.parts_2025, 0) end as parts_2025,
        provinces.province_2025_code,
        provinces.region_code
    from communes
    left join provinces
        on communes.code_version = provinces.code_version
        and communes.province_code = provinces.province_code
    left join default_successors
        on communes.code_version = 'PRE2025'
        and communes.commune_code = default_successors.old_commune_code
    left join parts
        on communes.code_version = 'PRE2025'
        and communes.commune_code = parts.old_commune_code
)

select * from final
order by code_version, commune_code
