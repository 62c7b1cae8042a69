-- T1: every current ACTIVE MOJ record (all reg_kinds) registered in the quarter, by registration
-- province (2025 list), event type, kind and timeliness.
{{ prepare_incremental_scope(touched_quarters) }}
with

registrations as (
    select * from {{ ref('fct_registration') }}
    where record_status = 'ACTIVE'
    {%- if is_incremental() %}
        and {{ in_scope_quarters('registration_quarter') }}
    {%- endif %}
),

counted as (
    select
        registration_quarter as quarter,
        reg_province_2025 as province_code,
        event_type,
        reg_kind,
        timeliness,
        count(*) as registrations,
        count(*) filter (where foreign_element) as foreign_element
    from registrations
    group by registration_quarter, reg_province_2025, event_type, reg_kind, timeliness
),

final as (
    select
        cast(quarter as text) as quarter,
        cast(province_code as text) as province_code,
        cast(event_type as text) as event_type,
        cast(reg_kind as text) as reg_kind,
        cast(timeliness as text) as timeliness,
        cast(registrations as integer) as registrations,
        cast(foreign_element as integer) as foreign_element
    from counted
)

select * from final
order by quarter, province_code, event_type, reg_kind, timeliness
