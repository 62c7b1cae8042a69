{#- CTEs `provinces`, `quarters` and `province_counts`: the `measures` over `rows` (a CTE with
    `quarter` and `province_code`, the 2025 list) for every quarter of `rows` × each of the 34
    provinces, zeros included, then the national VN row of each quarter, which counts every row of
    the quarter (one whose province is unknown too).

    `measures`: [(column name, aggregate expression)], the expressions qualifying `rows`' columns
    with its name, e.g. ('male', "count(*) filter (where births.sex = 'M')"). A province without
    rows meets them as one null-extended row: count a column or use a filter, never a bare count(*).
    The list ends the CTE list's entry without a trailing comma. -#}
{% macro province_grid_counts(rows, measures) %}
provinces as (
    select province_code from {{ ref('dim_province') }}
    where code_version = '2025'
),

quarters as (
    select distinct quarter from {{ rows }}
),

province_counts as (
    select
        quarters.quarter,
        provinces.province_code
{%- for name, expression in measures %},
        {{ expression }} as {{ name }}
{%- endfor %}
    from quarters
    cross join provinces
    left join {{ rows }}
        on quarters.quarter = {{ rows }}.quarter
        and provinces.province_code = {{ rows }}.province_code
    group by quarters.quarter, provinces.province_code

    union all

    select
        {{ rows }}.quarter,
        'VN' as province_code
{%- for name, expression in measures %},
        {{ expression }} as {{ name }}
{%- endfor %}
    from {{ rows }}
    group by {{ rows }}.quarter
)
{%- endmacro %}
