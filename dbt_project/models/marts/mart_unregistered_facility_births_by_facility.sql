-- Per facility and birth quarter: the live births whose 60-day limit had passed by the latest MOJ
-- extraction, how many were registered within 60 days, later, or not at all (the rows of
-- mart_unregistered_facility_births). Where registrars start: the facilities with most unregistered.
with

due as (
    select * from {{ ref('fct_birth_linkage') }}
    where past_registration_limit
),

provinces_2025 as (
    select province_code, province_name
    from {{ ref('dim_province') }}
    where code_version = '2025'
),

final as (
    select
        due.facility_province_2025 as province_code,
        provinces_2025.province_name,
        due.facility_code,
        due.event_quarter,
        min(due.as_of_date) as as_of_date,
        count(*) as live_births,
        count(*) filter (where due.registered_within_60_days) as registered_within_60_days,
        count(*) filter (where due.is_registered and not due.registered_within_60_days) as registered_later,
        count(*) filter (where not due.is_registered) as unregistered,
        count(*) filter (where not due.is_registered and not due.has_mother_identifier)
            as unregistered_without_mother_identifier,
        {{ safe_percent('count(*) filter (where not due.is_registered)', 'count(*)') }} as unregistered_pct
    from due
    left join provinces_2025 on due.facility_province_2025 = provinces_2025.province_code
    group by due.facility_province_2025, provinces_2025.province_name, due.facility_code, due.event_quarter
)

select * from final
order by province_code, facility_code, event_quarter
