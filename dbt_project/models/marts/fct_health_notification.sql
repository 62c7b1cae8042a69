-- One row per current MOH facility notification (births and deaths), placed in 2025 provinces.
--
-- Incremental, keyed on (event_type, notification_id): a run takes only the notifications that
-- came in deliveries loaded since the newest loaded_at already in the table, picks for each of
-- them the current row over ALL its deliveries (latest extracted_at, int_moh__*_current), and
-- replaces the stored row. So a late correction replaces the earlier row, and a delivery extracted
-- before the one already applied (sent late) does not overwrite it. Reference data changes (a new
-- province list) need `crvs build --full-refresh`. The MOJ linkage is not stored here: it changes
-- whenever MOJ registers a birth, so it lives in fct_birth_linkage (incremental by birth quarter).
-- depends_on: {{ ref('stg_moh__births') }}
-- depends_on: {{ ref('stg_moh__deaths') }}
{{ config(
    materialized='incremental',
    unique_key=['event_type', 'notification_id'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

deliveries as (
    select delivery_id, loaded_at from {{ ref('stg_raw__deliveries') }} where agency = 'MOH'
),

{% if is_incremental() %}
{#- an empty table (a first build before any MOH delivery) takes every delivery -#}
{%- set watermark = "select coalesce(max(loaded_at), '-infinity'::timestamptz) from " ~ this %}
-- Notifications received in deliveries loaded after the last run (the current row may still be
-- an older one: choosing it is int_moh__*_current's job).
changed as (
    select 'BIRTH' as event_type, received.notification_id
    from {{ ref('stg_moh__births') }} as received
    inner join deliveries on received.delivery_id = deliveries.delivery_id
    where deliveries.loaded_at > ({{ watermark }})

    union

    select 'DEATH' as event_type, received.notification_id
    from {{ ref('stg_moh__deaths') }} as received
    inner join deliveries on received.delivery_id = deliveries.delivery_id
    where deliveries.loaded_at > ({{ watermark }})
),
{% endif %}

births as (
    select * from {{ ref('int_moh__births_current') }}
    {% if is_incremental() %}
    where notification_id in (select notification_id from changed where event_type = 'BIRTH')
    {% endif %}
),

deaths as (
    select * from {{ ref('int_moh__deaths_current') }}
    {% if is_incremental() %}
    where notification_id in (select notification_id from changed where event_type = 'DEATH')
    {% endif %}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

notifications as (
    select
        'BIRTH' as event_type,
        births.notification_id,
        births.delivery_id,
        births.extracted_at,
        births.facility_code,
        births.admin_code_version,
        births.facility_province_code,
        births.birth_date as event_date,
        births.outcome,
        births.sex,
        births.birth_date,
        births.birth_weight_g,
        births.gestation_weeks,
        births.mother_pid,
        births.mother_birth_date,
        births.mother_residence_province_code,
        cast(null as text) as deceased_pid,
        cast(null as text) as underlying_cause_icd10,
        cast(null as boolean) as certified
    from births

    union all

    select
        'DEATH' as event_type,
        notification_id,
        delivery_id,
        extracted_at,
        facility_code,
        admin_code_version,
        facility_province_code,
        death_date as event_date,
        cast(null as text) as outcome,
        sex,
        birth_date,
        cast(null as integer) as birth_weight_g,
        cast(null as integer) as gestation_weeks,
        cast(null as text) as mother_pid,
        cast(null as date) as mother_birth_date,
        cast(null as text) as mother_residence_province_code,
        deceased_pid,
        underlying_cause_icd10,
        certified
    from deaths
),

final as (
    select
        -- keys
        notifications.event_type,
        notifications.notification_id,
        notifications.delivery_id,
        notifications.extracted_at,
        deliveries.loaded_at,

        -- facility
        notifications.facility_code,
        notifications.admin_code_version,
        notifications.facility_province_code,
        facility_province.province_2025_code as facility_province_2025,

        -- event
        notifications.event_date,
        {{ quarter_label('notifications.event_date') }} as event_quarter,
        notifications.outcome,
        notifications.sex,
        notifications.birth_date,
        notifications.birth_weight_g,
        notifications.gestation_weeks,

        -- mother (births)
        notifications.mother_pid,
        notifications.mother_birth_date,
        notifications.mother_residence_province_code,
        residence_province.province_2025_code as mother_residence_province_2025,

        -- deceased (deaths)
        notifications.deceased_pid,
        notifications.underlying_cause_icd10,
        notifications.certified

    from notifications
    inner join deliveries on notifications.delivery_id = deliveries.delivery_id
    left join provinces as facility_province
        on notifications.admin_code_version = facility_province.code_version
        and notifications.facility_province_code = facility_province.province_code
    left join provinces as residence_province
        on notifications.admin_code_version = residence_province.code_version
        and notifications.mother_residence_province_code = residence_province.province_code
)

select * from final
