-- The current MOJ records of all three event types in one shape, with the event date, the delay
-- and the timeliness computed from the dates (never taken from the source).
with

births as (
    select * from {{ ref('int_moj__births_current') }}
),

deaths as (
    select * from {{ ref('int_moj__deaths_current') }}
),

marriages as (
    select * from {{ ref('int_moj__marriages_current') }}
),

unioned as (
{{ moj_registration_shape('BIRTH', 'births', {
    'event_date': 'birth_date',
    'event_province_code': 'birth_province_code',
    'place_of_event': 'place_of_birth',
    'residence_province_code': 'mother_residence_province_code',
    'sex': 'sex',
    'subject_pid': 'child_pid',
    'mother_pid': 'mother_pid',
    'mother_birth_date': 'mother_birth_date',
}) }}

    union all

{{ moj_registration_shape('DEATH', 'deaths', {
    'event_date': 'death_date',
    'event_province_code': 'death_province_code',
    'place_of_event': 'place_of_death',
    'residence_province_code': 'residence_province_code',
    'sex': 'sex',
    'subject_pid': 'deceased_pid',
    'subject_birth_date': 'birth_date',
    'cause_icd10': 'cause_icd10',
    'cause_certified': 'cause_certified',
}) }}

    union all

{#- a marriage takes place when it is registered, in the province that registers it #}
{{ moj_registration_shape('MARRIAGE', 'marriages', {
    'event_date': 'registration_date',
    'event_province_code': 'reg_province_code',
    'spouse1_pid': 'spouse1_pid',
    'spouse1_sex': 'spouse1_sex',
    'spouse1_birth_date': 'spouse1_birth_date',
    'spouse1_prev_status': 'spouse1_prev_status',
    'spouse2_pid': 'spouse2_pid',
    'spouse2_sex': 'spouse2_sex',
    'spouse2_birth_date': 'spouse2_birth_date',
    'spouse2_prev_status': 'spouse2_prev_status',
}) }}
),

timed as (
    select
        *,
        registration_date - event_date as delay_days
    from unioned
),

final as (
    select
        *,
        {{ timeliness('event_type', 'delay_days') }} as timeliness
    from timed
)

select * from final
