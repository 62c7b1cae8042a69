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

{#- The rows of `relation` (a CTE with an `age_years` column) with the band of that age in one of
    dim_age_band's schemes as `column_name`: the one place of the rule that an age missing or
    outside 0–120 has no band and is UNKNOWN (the band age_band_list lists last). -#}
{% macro with_age_band(relation, scheme, column_name='age_band') %}
    select
        {{ relation }}.*,
        coalesce(age_bands.{{ scheme }}_age_band, 'UNKNOWN') as {{ column_name }}
    from {{ relation }}
    left join {{ ref('dim_age_band') }} as age_bands on {{ relation }}.age_years = age_bands.age_years
{%- endmacro %}
