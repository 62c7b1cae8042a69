-- T4: NEW births registered in the quarter by the mother's region of residence, place of birth and
-- timeliness (from the dates: ON_TIME ≤ 60 days, LATE ≤ 365, DELAYED_1_5Y ≤ 1825,
-- DELAYED_5Y_PLUS), plus VN. A full grid: every region and VN × 4 places × 4 timeliness classes
-- for each quarter with a NEW birth, zeros included.
{{ prepare_incremental_scope(touched_quarters) }}
with

births as (
    select
        registration_quarter as quarter,
        residence_region_code as region_code,
        place_of_event as place_of_birth,
        timeliness
    from {{ ref('fct_registration') }}
    where event_type = 'BIRTH'
        and reg_kind = 'NEW'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

places as (
    select place_type as place_of_birth, sort_order from {{ ref('dim_place_type') }}
),

timeliness_classes as (
    select timeliness, sort_order from {{ ref('dim_timeliness') }}
    where timeliness <> 'NOT_APPLICABLE'
),

{{ region_grid_counts(
    rows='births',
    dimensions=[('place_of_birth', 'places'), ('timeliness', 'timeliness_classes')],
    measures={'births': 'count(births.quarter)'},
) }},

final as (
    select
        cast(quarter as text) as quarter,
        cast(region_code as text) as region_code,
        cast(place_of_birth as text) as place_of_birth,
        cast(timeliness as text) as timeliness,
        cast(births as integer) as births
    from counted
    order by quarter, region_sort, place_of_birth_sort, timeliness_sort
)

select * from final
