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
