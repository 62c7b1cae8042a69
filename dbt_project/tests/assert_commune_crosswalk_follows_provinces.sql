-- Every commune mapping lands in the 2025 province its old province maps to (province_crosswalk),
-- both communes exist in their lists and provinces, and every PRE2025 commune has a default part.
-- Rows returned are failures.
with

communes as (
    select * from {{ ref('admin_communes') }}
),

commune_crosswalk as (
    select * from {{ ref('commune_crosswalk') }}
),

province_crosswalk as (
    select * from {{ ref('province_crosswalk') }}
),

wrong_province as (
    select commune_crosswalk.old_commune_code, commune_crosswalk.new_commune_code,
        'new commune not in the 2025 province the old province became' as problem
    from commune_crosswalk
    left join province_crosswalk
        on commune_crosswalk.old_province_code = province_crosswalk.old_province_code
    where province_crosswalk.new_province_code is distinct from commune_crosswalk.new_province_code
),

unknown_communes as (
    select commune_crosswalk.old_commune_code, commune_crosswalk.new_commune_code,
        'commune or its province not in the official list' as problem
    from commune_crosswalk
    left join communes as old_list
        on old_list.code_version = 'PRE2025'
        and commune_crosswalk.old_commune_code = old_list.commune_code
        and commune_crosswalk.old_province_code = old_list.province_code
    left join communes as new_list
        on new_list.code_version = '2025'
        and commune_crosswalk.new_commune_code = new_list.commune_code
        and commune_crosswalk.new_province_code = new_list.province_code
    where old_list.commune_code is null or new_list.commune_code is null
),

without_default as (
    select communes.commune_code as old_commune_code, null as new_commune_code,
        'PRE2025 commune without a default 2025 commune' as problem
    from communes
    where communes.code_version = 'PRE2025'
        and not exists (
            select from commune_crosswalk
            where commune_crosswalk.old_commune_code = communes.commune_code
                and commune_crosswalk.is_default
        )
)

select * from wrong_province
union all
select * from unknown_communes
union all
select * from without_default
