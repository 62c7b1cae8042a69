{#- The current version of each MOJ record (report.md "Current record"): the highest
    record_version wins; when the same version arrived in two deliveries, the later extraction
    wins (delivery_id and source_row only make the choice deterministic). A record whose current
    version is CANCELLED is excluded altogether, even if an earlier version was ACTIVE. -#}
{% macro current_moj_records(versions_relation) %}
with

versions as (
    select * from {{ versions_relation }}
),

latest_version as (
    select distinct on (record_id) *
    from versions
    order by record_id, record_version desc, extracted_at desc, delivery_id desc, source_row desc
)

select * from latest_version
where record_status = 'ACTIVE'
{% endmacro %}

{#- The row of the latest delivery (by extracted_at) for each value of `key_columns`: MOH
    notifications and GSO cells, where a resend replaces the earlier row. -#}
{% macro latest_delivered_rows(relation, key_columns) %}
with

received as (
    select * from {{ relation }}
),

latest as (
    select distinct on ({{ key_columns | join(', ') }}) *
    from received
    order by {{ key_columns | join(', ') }}, extracted_at desc, delivery_id desc, source_row desc
)

select * from latest
{% endmacro %}
