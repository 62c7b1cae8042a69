{#- A staging model of one delivered dataset (stg_<agency>__<dataset>): the raw rows of `dataset`
    with their delivery_id and source_row, the dataset's own columns (the body of the `call` block,
    each line ending in a comma, over `source`) and the delivery's extraction time. -#}
{% macro delivered_rows_model(dataset) %}
with

source as (
    select * from {{ source('raw', dataset) }}
),

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

-- The delivery a row came in is (agency, delivery_id): the dataset's agency (its name's prefix in
-- the feed contract: moj_births is MOJ's) with the row's delivery_id.
deliveries_of_agency as (
    select * from deliveries where agency = '{{ dataset.split('_')[0] | upper }}'
),

renamed as (
    select
        -- ids
        source.delivery_id,
        source.source_row,
{{ caller() }}
        -- delivery
        deliveries.extracted_at

    from source
    inner join deliveries_of_agency as deliveries on source.delivery_id = deliveries.delivery_id
)

select * from renamed
{%- endmacro %}

{#- The registration columns every MOJ dataset shares (feeds.md: "as in moj_births"). -#}
{% macro moj_registration_columns(relation='source') %}
        {{ relation }}.record_status,
        {{ relation }}.reg_kind,
        {{ relation }}.registration_date,
        {{ relation }}.admin_code_version,
        {{ relation }}.reg_province_code,
        {{ relation }}.reg_commune_code,
        {{ relation }}.foreign_element,
{%- endmacro %}

{#- A MOJ staging model: delivered_rows_model with the record's id and version and the shared
    registration columns before the dataset's own columns (the body of the `call` block). -#}
{% macro moj_staging_model(dataset) %}
{%- set own_columns = caller() -%}
{% call delivered_rows_model(dataset) %}
        source.record_id,
        source.record_version,

        -- registration
        {{ moj_registration_columns('source') }}
{{ own_columns }}
{%- endcall %}
{%- endmacro %}
