-- T2: NEW births registered in the quarter by the mother's residence province (all 34 provinces,
-- zeros included) and sex, plus the national VN row. VN counts every NEW birth of the quarter,
-- including those whose mother's residence province is unknown.
{{ prepare_incremental_scope(touched_quarters) }}
with

births as (
    select
        registration_quarter as quarter,
        residence_province_2025 as province_code,
        sex
    from {{ ref('fct_registration') }}
    where event_type = 'BIRTH'
        and reg_kind = 'NEW'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

{{ province_grid_counts('births', [
    ('male', "count(*) filter (where births.sex = 'M')"),
    ('female', "count(*) filter (where births.sex = 'F')"),
    ('unknown', "count(*) filter (where births.sex = 'U')"),
]) }},

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(male as integer) as male,
        cast(female as integer) as female,
        cast(unknown as integer) as unknown,
        cast(male + female + unknown as integer) as total,
        cast(round(100.0 * male / nullif(female, 0), 1) as numeric(12, 1)) as sex_ratio_at_birth
    from province_counts
)

select * from final
order by quarter, province_code = 'VN', province_code
