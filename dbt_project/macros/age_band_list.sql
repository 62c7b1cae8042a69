{#- Every band of one of dim_age_band's schemes (`scheme`: mother, death or marriage) with its
    sort_order, then UNKNOWN last (an age missing or outside 0–120 has no band): the band rows of
    the full-grid report tables T3, T5, T7. -#}
{% macro age_band_list(scheme, column_name='age_band') %}
    select {{ scheme }}_age_band as {{ column_name }}, min({{ scheme }}_age_band_sort) as sort_order
    from {{ ref('dim_age_band') }}
    group by {{ scheme }}_age_band
    union all
    select 'UNKNOWN', 999
{%- endmacro %}
