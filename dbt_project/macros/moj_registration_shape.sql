{#- One event type's MOJ records in the shape int_moj__registrations gives all three types: the
    shared registration columns, then every event column of the shape in a fixed order.
    `event_columns` maps the event columns this type has to their expression over `relation`;
    the others are nulls of the column's type, so the union lines up. -#}
{% macro moj_registration_shape(event_type, relation, event_columns) %}
{%- set shape = [
    ('event_date', 'date'),
    ('event_province_code', 'text'),
    ('place_of_event', 'text'),
    ('residence_province_code', 'text'),
    ('sex', 'text'),
    ('subject_pid', 'text'),
    ('subject_birth_date', 'date'),
    ('mother_pid', 'text'),
    ('mother_birth_date', 'date'),
    ('cause_icd10', 'text'),
    ('cause_certified', 'boolean'),
    ('spouse1_pid', 'text'),
    ('spouse1_sex', 'text'),
    ('spouse1_birth_date', 'date'),
    ('spouse1_prev_status', 'text'),
    ('spouse2_pid', 'text'),
    ('spouse2_sex', 'text'),
    ('spouse2_birth_date', 'date'),
    ('spouse2_prev_status', 'text'),
] -%}
{%- set shape_names = shape | map('first') | list -%}
{%- for name in event_columns if name not in shape_names -%}
    {{ exceptions.raise_compiler_error("moj_registration_shape(" ~ event_type ~ "): '" ~ name ~ "' is not a column of the shape " ~ shape_names | join(', ')) }}
{%- endfor %}
    select
        '{{ event_type }}' as event_type,
        record_id, record_version, record_status, reg_kind, registration_date,
        admin_code_version, reg_province_code, reg_commune_code, foreign_element,
        delivery_id, extracted_at,
{%- for name, data_type in shape %}
        {% if name in event_columns %}{{ event_columns[name] }}{% else %}cast(null as {{ data_type }}){% endif %} as {{ name }}{{ "," if not loop.last }}
{%- endfor %}
    from {{ relation }}
{%- endmacro %}

{#- The body of int_moj__registrations over the current records `births`, `deaths` and `marriages`
    (relations or aliased subqueries): fct_registration's incremental runs call it on the current
    versions of the records a delivery changed only. -#}
{% macro moj_registrations(births, deaths, marriages) %}
with

births as (
    select * from {{ births }}
),

deaths as (
    select * from {{ deaths }}
),

marriages as (
    select * from {{ marriages }}
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
{% endmacro %}
