-- T3: NEW births registered in the quarter by the mother's region of residence and her age at the
-- birth (completed years, report.md "Age"), plus VN. A full grid: every region and VN × every band
-- (UNKNOWN last) for each quarter with a NEW birth, zeros included. VN also counts births whose
-- mother's residence is unknown, so the regions add up to VN only when there are none.
{{ prepare_incremental_scope(touched_quarters) }}
with

births as (
    select
        registration_quarter as quarter,
        residence_region_code as region_code,
        age_years
    from {{ ref('fct_registration') }}
    where event_type = 'BIRTH'
        and reg_kind = 'NEW'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

-- An age missing (no mother's birth date) or outside 0–120 has no band: UNKNOWN.
banded as (
{{ with_age_band('births', 'mother', column_name='mother_age_band') }}
),

bands as (
{{ age_band_list('mother', column_name='mother_age_band') }}
),

{{ region_grid_counts(
    rows='banded',
    dimensions=[('mother_age_band', 'bands')],
    measures={'births': 'count(banded.quarter)'},
) }},

final as (
    select
        cast(quarter as text) as quarter,
        cast(region_code as text) as region_code,
        cast(mother_age_band as text) as mother_age_band,
        cast(births as integer) as births
    from counted
    order by quarter, region_sort, mother_age_band_sort
)

select * from final
