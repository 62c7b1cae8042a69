-- The denominators of completeness (T8): expected births and deaths per year and 2025 province,
-- Σ over the GSO areas making up the province of rate / 1000 × population, where population is
-- summed over sexes and age groups. Each area contributes its own rate × its own population
-- (rates are never averaged). When GSO delivered a year in both code lists, only the 2025-coded
-- areas are used for the provinces they cover, so no population is counted twice. A province
-- where some area lacks its population or its rate gets no expectation (null), not a low one.
-- By sex (T10): the same crude rate × the population of that sex (the OpenCRVS estimate; GSO
-- delivers no rate by sex), so the male and female expectations add up to the total.
with

population as (
    select
        year,
        admin_code_version,
        province_code,
        sum(population) as population,
        sum(population) filter (where sex = 'M') as male_population,
        sum(population) filter (where sex = 'F') as female_population
    from {{ ref('int_gso__population_current') }}
    group by year, admin_code_version, province_code
),

rates as (
    select
        year,
        admin_code_version,
        province_code,
        crude_birth_rate,
        crude_death_rate
    from {{ ref('int_gso__vital_rates_current') }}
),

provinces as (
    select * from {{ ref('int_provinces__mapped_to_2025') }}
),

areas as (
    select
        year,
        admin_code_version,
        province_code,
        population.population,
        population.male_population,
        population.female_population,
        rates.crude_birth_rate,
        rates.crude_death_rate
    from population
    full outer join rates using (year, admin_code_version, province_code)
),

mapped_areas as (
    select
        areas.*,
        provinces.province_2025_code,
        bool_or(areas.admin_code_version = '2025') over (
            partition by areas.year, provinces.province_2025_code
        ) as has_2025_coded_areas
    from areas
    left join provinces
        on areas.admin_code_version = provinces.code_version
        and areas.province_code = provinces.province_code
),

used_areas as (
    select * from mapped_areas
    where admin_code_version = '2025' or not has_2025_coded_areas
),

aggregated as (
    select
        year,
        province_2025_code,
        count(*) as gso_areas,
        string_agg(admin_code_version || ':' || province_code, ',' order by admin_code_version, province_code)
            as gso_area_codes,
        sum(population) as population,
        -- Six decimals keep the figure exact for rates with up to three decimals (population is whole).
        cast(case
            when bool_and(population is not null and crude_birth_rate is not null)
                then sum(crude_birth_rate * population) / 1000
        end as numeric(20, 6)) as expected_births_in_year,
        cast(case
            when bool_and(population is not null and crude_death_rate is not null)
                then sum(crude_death_rate * population) / 1000
        end as numeric(20, 6)) as expected_deaths_in_year,
        {%- for event, rate in [('births', 'crude_birth_rate'), ('deaths', 'crude_death_rate')] %}
        {%- for sex in ['male', 'female'] %}
        cast(case
            when bool_and(population is not null and {{ rate }} is not null)
                then sum({{ rate }} * coalesce({{ sex }}_population, 0)) / 1000
        end as numeric(20, 6)) as expected_{{ event }}_{{ sex }}_in_year{{ "," if not loop.last or event == 'births' }}
        {%- endfor %}
        {%- endfor %}
    from used_areas
    group by year, province_2025_code
)

select * from aggregated
