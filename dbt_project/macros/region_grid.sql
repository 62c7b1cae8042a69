{#- The CTEs `geographies`, `quarters`, `grid` and `counted` of a full-grid report table (T3, T4, T7):
    every region of dim_region and VN (last) × every value of each of `dimensions`, for each quarter
    of `rows`, zeros included. `rows` is a CTE with quarter, region_code and the dimension columns;
    `dimensions` lists (column, CTE) pairs, each CTE holding `column` and its sort_order; `measures`
    maps each count column to its aggregate over `rows` (null when no row falls in the cell, so use
    count(<rows>.quarter) or count(*) filter (...)). VN counts every row, also those with no region.
    `counted` keeps region_sort and <column>_sort for the model's order by. -#}
{% macro region_grid_counts(rows, dimensions, measures) %}
geographies as (
    select region_code, sort_order from {{ ref('dim_region') }}
    union all
    select 'VN', 999
),

quarters as (
    select distinct quarter from {{ rows }}
),

grid as (
    select
        quarters.quarter,
        geographies.region_code,
        geographies.sort_order as region_sort
{%- for column, relation in dimensions %},
        {{ relation }}.{{ column }},
        {{ relation }}.sort_order as {{ column }}_sort
{%- endfor %}
    from quarters
    cross join geographies
{%- for column, relation in dimensions %}
    cross join {{ relation }}
{%- endfor %}
),

counted as (
    select
        grid.quarter,
        grid.region_code,
        grid.region_sort,
{%- for column, relation in dimensions %}
        grid.{{ column }},
        grid.{{ column }}_sort,
{%- endfor %}
{%- for name, aggregate in measures.items() %}
        {{ aggregate }} as {{ name }}{{ "," if not loop.last }}
{%- endfor %}
    from grid
    left join {{ rows }}
        on grid.quarter = {{ rows }}.quarter
{%- for column, relation in dimensions %}
        and grid.{{ column }} = {{ rows }}.{{ column }}
{%- endfor %}
        and (grid.region_code = 'VN' or grid.region_code = {{ rows }}.region_code)
    group by grid.quarter, grid.region_code, grid.region_sort
{%- for column, relation in dimensions %}, grid.{{ column }}, grid.{{ column }}_sort{% endfor %}
)
{%- endmacro %}
