-- T7: each spouse of a NEW marriage registered in the quarter, by registration region, sex and age
-- at marriage (completed years on the registration date, the marriage's event date), plus VN.
-- first_marriages: spouses never married before (prev_status NEVER). under_legal_age: women under
-- 18 and men under 20 (Law on Marriage and Family 2014, art. 8). A full grid: every region and VN ×
-- male, female × every marriage age band (UNKNOWN last) for each quarter with a NEW marriage.
{{ prepare_incremental_scope(touched_quarters) }}
with

-- Only the columns T7 reads; not materialized, so that each half of `spouses` reads
-- fct_registration by its event_type index instead of spilling every marriage to a temporary store.
marriages as not materialized (
    select
        registration_quarter,
        reg_region_code,
        event_date,
        spouse1_sex,
        spouse1_birth_date,
        spouse1_prev_status,
        spouse2_sex,
        spouse2_birth_date,
        spouse2_prev_status
    from {{ ref('fct_registration') }}
    where event_type = 'MARRIAGE'
        and reg_kind = 'NEW'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

spouses as (
    select
        registration_quarter as quarter,
        reg_region_code as region_code,
        spouse1_sex as sex,
        {{ age_in_completed_years('spouse1_birth_date', 'event_date') }} as age_years,
        spouse1_prev_status as prev_status
    from marriages
    union all
    select
        registration_quarter as quarter,
        reg_region_code as region_code,
        spouse2_sex as sex,
        {{ age_in_completed_years('spouse2_birth_date', 'event_date') }} as age_years,
        spouse2_prev_status as prev_status
    from marriages
),

-- An age missing or outside 0–120 has no band: UNKNOWN.
aged as (
{{ with_age_band('spouses', 'marriage') }}
),

banded as (
    select
        quarter,
        region_code,
        case sex when 'M' then 'male' when 'F' then 'female' end as sex,
        age_band,
        prev_status = 'NEVER' as is_first_marriage,
        (sex = 'F' and age_years < 18) or (sex = 'M' and age_years < 20) as is_under_legal_age
    from aged
),

bands as (
{{ age_band_list('marriage') }}
),

sexes (sex, sort_order) as (
    values ('male', 1), ('female', 2)
),

{{ region_grid_counts(
    rows='banded',
    dimensions=[('sex', 'sexes'), ('age_band', 'bands')],
    measures={
        'spouses': 'count(banded.quarter)',
        'first_marriages': 'count(*) filter (where banded.is_first_marriage)',
        'under_legal_age': 'count(*) filter (where banded.is_under_legal_age)',
    },
) }},

final as (
    select
        cast(quarter as text) as quarter,
        cast(region_code as text) as region_code,
        cast(sex as text) as sex,
        cast(age_band as text) as age_band,
        cast(spouses as integer) as spouses,
        cast(first_marriages as integer) as first_marriages,
        cast(under_legal_age as integer) as under_legal_age
    from counted
    order by quarter, region_sort, sex_sort, age_band_sort
)

select * from final
