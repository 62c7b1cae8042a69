{#- The day the MOJ data describe: the latest extraction of a MOJ delivery, in Vietnam's time zone.
    Follow-up lists count "days since birth" to it, not to today, so a rebuild from the same
    deliveries gives the same list. Null (nothing listed) before any MOJ delivery. -#}
{% macro moj_as_of_date() -%}
    (
        select cast(max(extracted_at) at time zone 'Asia/Ho_Chi_Minh' as date)
        from {{ ref('stg_raw__deliveries') }}
        where agency = 'MOJ'
    )
{%- endmacro %}

{#- The first day of the 34-province list (1 July 2025), read from the code list itself so that
    the reform date is written in one place: seed admin_provinces. -#}
{% macro province_list_2025_first_day() -%}
    (
        select min(valid_from)
        from {{ ref('admin_provinces') }}
        where code_version = '2025'
    )
{%- endmacro %}

{#- fct_birth_linkage's post-hook: rows of quarters no delivery touched keep their pairing, but their as-of columns
    follow the latest MOJ extraction, as a full build computes them. -#}
{% macro refresh_linkage_as_of() -%}
    update {{ this }} as linkage
    set as_of_date = as_of.as_of_date,
        days_since_birth = as_of.as_of_date - linkage.birth_date,
        past_registration_limit = coalesce(as_of.as_of_date - linkage.birth_date > 60, false)
    from (select {{ moj_as_of_date() }} as as_of_date) as as_of
    where linkage.as_of_date is distinct from as_of.as_of_date
{%- endmacro %}
