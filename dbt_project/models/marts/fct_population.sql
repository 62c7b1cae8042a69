-- Current GSO mid-year population cells, each with its area's crude rates, placed in 2025 provinces.
with

population as (
    select * from {{ ref('int_gso__population_current') }}
),

rates as (
    select * from {{ ref('int_gso__vital_rates_current') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

final as (
    select
        population.year,
        provinces.province_2025_code as province_2025,
        population.admin_code_version,
        population.province_code,
        population.sex,
        population.age_group,
        population.population,
        rates.crude_birth_rate,
        rates.crude_death_rate,
        population.delivery_id,
        population.extracted_at
    from population
    left join rates
        on population.year = rates.year
        and population.admin_code_version = rates.admin_code_version
        and population.province_code = rates.province_code
    left join provinces
        on population.admin_code_version = provinces.code_version
        and population.province_code = provinces.province_code
)

select * from final
