-- T6: NEW deaths registered in the quarter by the deceased's residence province (all 34, zeros
-- included) plus VN: how many were registered on time (≤ 15 days, Law on Civil Status art. 33),
-- have a cause, a physician-certified cause, and an ill-defined cause (ICD-10 R00–R99, chapter
-- XVIII). VN counts every NEW death of the quarter, including those whose residence is unknown.
{{ prepare_incremental_scope(touched_quarters) }}
with

deaths as (
    select
        registration_quarter as quarter,
        residence_province_2025 as province_code,
        timeliness,
        cause_icd10,
        cause_certified
    from {{ ref('fct_registration') }}
    where event_type = 'DEATH'
        and reg_kind = 'NEW'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

chapters as (
    select * from {{ ref('dim_icd10_chapter') }}
),

classified as (
    select
        deaths.quarter,
        deaths.province_code,
        deaths.timeliness = 'ON_TIME' as is_on_time,
        deaths.cause_icd10 is not null as has_cause,
        coalesce(deaths.cause_certified, false) as is_certified,
        coalesce(chapters.is_ill_defined, false) as is_ill_defined
    from deaths
    left join chapters
        on left(deaths.cause_icd10, 3) between chapters.first_category and chapters.last_category
),

{{ province_grid_counts('classified', [
    ('deaths', "count(classified.quarter)"),
    ('on_time', "count(*) filter (where classified.is_on_time)"),
    ('with_cause', "count(*) filter (where classified.has_cause)"),
    ('certified', "count(*) filter (where classified.is_certified)"),
    ('ill_defined', "count(*) filter (where classified.is_ill_defined)"),
]) }},

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(deaths as integer) as deaths,
        cast(on_time as integer) as on_time,
        cast({{ safe_percent('on_time', 'deaths') }} as numeric(12, 1)) as on_time_pct,
        cast(with_cause as integer) as with_cause,
        cast(certified as integer) as certified,
        cast({{ safe_percent('certified', 'deaths') }} as numeric(12, 1)) as certified_pct,
        cast(ill_defined as integer) as ill_defined,
        cast({{ safe_percent('ill_defined', 'with_cause') }} as numeric(12, 1)) as ill_defined_pct
    from province_counts
    order by quarter, province_code = 'VN', province_code
)

select * from final
