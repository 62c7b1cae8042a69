{#- The CTEs `geographies`, `cells`, `quarters`, `grid` and `counted` of a full-grid report table
    (T3, T4, T7): every region of dim_region and VN (last) × every value of each of `dimensions`, for
    each quarter of `rows`, zeros included. `rows` is a CTE with quarter, region_code and the
    dimension columns; `dimensions` lists (column, CTE) pairs, each CTE holding `column` and its
    sort_order; `measures` maps each count column to a count over `rows` (e.g. count(<rows>.quarter)
    or count(*) filter (...)); a cell no row falls in counts 0. VN counts every row, also those with
    no region. `counted` keeps region_sort and <column>_sort for the model's order by.

    Set based (issue 15 item 4, docs/performance.md): `rows` is read once and counted by grouping
    sets, by region and for the whole country (is_national, the row VN stands for), into a few
    hundred cells; the grid then meets those cells by equality on every key, a hash join, where a
    join of the grid to every row on "region = VN or region = the row's region" compared each grid
    row with every row of its quarter. -#}
{% macro region_grid_counts(rows, dimensions, measures) %}
geographies as (
    select region_code, sort_order, false as is_national from {{ ref('dim_region') }}
    union all
    select 'VN', 999, true
),

cells as (
    select
        {{ rows }}.quarter,
        case when grouping({{ rows }}.region_code) = 1 then 'VN' else {{ rows }}.region_code end as region_code,
        grouping({{ rows }}.region_code) = 1 as is_national,
{%- for column, relation in dimensions %}
        {{ rows }}.{{ column }},
{%- endfor %}
{%- for name, aggregate in measures.items() %}
        {{ aggregate }} as {{ name }}{{ "," if not loop.last }}
{%- endfor %}
    from {{ rows }}
    group by grouping sets (
        ({{ rows }}.quarter, {{ rows }}.region_code{% for column, relation in dimensions %}, {{ rows }}.{{ column }}{% endfor %}),
        ({{ rows }}.quarter{% for column, relation in dimensions %}, {{ rows }}.{{ column }}{% endfor %})
    )
),

quarters as (
    select distinct quarter from cells
),

grid as (
    select
        quarters.quarter,
        geographies.region_code,
        geographies.is_national,
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
        coalesce(cells.{{ name }}, 0) as {{ name }}{{ "," if not loop.last }}
{%- endfor %}
    from grid
    left join cells
        on grid.quarter = cells.quarter
        and grid.region_code = cells.region_code
        and grid.is_national = cells.is_national
{%- for column, relation in dimensions %}
        and grid.{{ column }} = cells.{{ column }}
{%- endfor %}
)
{%- endmacro %}
