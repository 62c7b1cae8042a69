-- T5: NEW deaths registered in the quarter by age at death (completed years, report.md "Age") and
-- sex, nationally (geography_level NATIONAL, code VN) and by the deceased's region of residence
-- (REGION). A full grid: VN and every region × every death age band (UNKNOWN last) for each
-- quarter with a NEW death, zeros included. NATIONAL also counts deaths whose residence is
-- unknown, so the regions add up to VN only when there are none.
{{ prepare_incremental_scope(touched_quarters) }}
with

deaths as (
    select
        registration_quarter as quarter,
        residence_region_code as region_code,
        age_years,
        sex
    from {{ ref('fct_registration') }}
    where event_type = 'DEATH'
        and reg_kind = 'NEW'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

-- An age missing (no birth date) or outside 0–120 has no band: UNKNOWN.
banded as (
{{ with_age_band('deaths', 'death') }}
),

bands as (
{{ age_band_list('death') }}
),

geographies as (
    select 'NATIONAL' as geography_level, 'VN' as geography_code, 0 as sort_order
    union all
    select 'REGION', region_code, sort_order from {{ ref('dim_region') }}
),

-- The deaths counted once, by grouping sets: by region and for the whole country (NATIONAL, which
-- counts every death, its residence known or not). The grid meets these cells by equality on every
-- key (a hash join), where a join on "NATIONAL or region = the death's region" compared each grid
-- row with every death of its quarter (docs/performance.md).
cells as (
    select
        banded.quarter,
        case when grouping(banded.region_code) = 1 then 'NATIONAL' else 'REGION' end as geography_level,
        case when grouping(banded.region_code) = 1 then 'VN' else banded.region_code end as geography_code,
        banded.age_band,
        count(*) filter (where banded.sex = 'M') as male,
        count(*) filter (where banded.sex = 'F') as female,
        count(*) filter (where banded.sex = 'U') as unknown
    from banded
    group by grouping sets (
        (banded.quarter, banded.region_code, banded.age_band),
        (banded.quarter, banded.age_band)
    )
),

quarters as (
    select distinct quarter from cells
),

grid as (
    select
        quarters.quarter,
        geographies.geography_level,
        geographies.geography_code,
        geographies.sort_order as geography_sort,
        bands.age_band,
        bands.sort_order as band_sort
    from quarters
    cross join geographies
    cross join bands
),

counted as (
    select
        grid.quarter,
        grid.geography_level,
        grid.geography_code,
        grid.geography_sort,
        grid.age_band,
        grid.band_sort,
        coalesce(cells.male, 0) as male,
        coalesce(cells.female, 0) as female,
        coalesce(cells.unknown, 0) as unknown
    from grid
    left join cells
        on grid.quarter = cells.quarter
        and grid.geography_level = cells.geography_level
        and grid.geography_code = cells.geography_code
        and grid.age_band = cells.age_band
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(geography_level as text) as geography_level,
        cast(geography_code as text) as geography_code,
        cast(age_band as text) as age_band,
        cast(male as integer) as male,
        cast(female as integer) as female,
        cast(unknown as integer) as unknown,
        cast(male + female + unknown as integer) as total
    from counted
    order by quarter, geography_sort, band_sort
)

select * from final
