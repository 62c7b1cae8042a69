-- The list registrars follow up: current MOH live births still without a matching MOJ
-- registration more than 60 days (the legal limit) after the birth, as of the latest MOJ
-- extraction (fct_birth_linkage.past_registration_limit). A birth notified without a mother
-- identifier can never be matched; it is listed with has_mother_identifier = false so that
-- registrars look it up by other means.
with

due as (
    select * from {{ ref('fct_birth_linkage') }}
    where past_registration_limit
),

provinces_2025 as (
    select province_code, province_name, region_code
    from {{ ref('dim_province') }}
    where code_version = '2025'
),

final as (
    select
        due.facility_province_2025 as province_code,
        provinces_2025.province_name,
        provinces_2025.region_code,
        due.facility_code,
        due.notification_id,
        due.birth_date,
        due.event_quarter,
        due.sex,
        due.mother_pid,
        due.has_mother_identifier,
        due.mother_residence_province_2025,
        due.as_of_date,
        due.days_since_birth
    from due
    left join provinces_2025 on due.facility_province_2025 = provinces_2025.province_code
    where not due.is_registered
)

select * from final
order by province_code, facility_code, birth_date, notification_id
