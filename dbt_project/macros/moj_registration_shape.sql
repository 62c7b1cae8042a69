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
