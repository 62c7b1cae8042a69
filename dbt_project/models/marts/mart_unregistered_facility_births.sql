-- The list registrars follow up: current MOH live births still without a matching MOJ
-- registration more than 60 days (the legal limit) after the birth. "Still" is as of the latest
-- MOJ extraction (as_of_date), never today's date: rebuilding from the same deliveries gives the
-- same list. A birth notified without a mother identifier can never be matched; it is listed with
-- has_mother_identifier = false so that registrars look it up by other means.
with

linkage as (
    select * from {{ ref('fct_birth_linkage') }}
),

as_of as (
    select {{ moj_as_of_date() }} as as_of_date
),

provinces_2025 as (
    select province_code, province_name, region_code
    from {{ ref('dim_province') }}
    where code_version = '2025'
),

final as (
    select
        linkage.facility_province_2025 as province_code,
        provinces_2025.province_name,
        provinces_2025.region_code,
        linkage.facility_code,
        linkage.notification_id,
        linkage.birth_date,
        linkage.event_quarter,
        linkage.sex,
        linkage.mother_pid,
        linkage.has_mother_identifier,
        linkage.mother_residence_province_2025,
        as_of.as_of_date,
        as_of.as_of_date - linkage.birth_date as days_since_birth
    from linkage
    cross join as_of
    left join provinces_2025 on linkage.facility_province_2025 = provinces_2025.province_code
    where not linkage.is_registered
        and as_of.as_of_date - linkage.birth_date > 60
)

select * from final
order by province_code, facility_code, birth_date, notification_id
