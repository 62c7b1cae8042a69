-- One row per single year of age 0–120 with the band of each grouping the report uses
-- (report.md "Age"). Join on age_years; an age that is null (birth date missing) or outside
-- 0–120 finds no row and is reported as UNKNOWN. The *_sort columns are the band's lowest age.
with

ages as (
    select age_years from {{ ref('int_ages__single_years') }}
),

-- Lowest age of the five-year group holding the age: 0, 5, 10, …
five_year_floors as (
    select
        age_years,
        (age_years / 5) * 5 as five_year_floor
    from ages
),

banded as (
    select
        age_years,

        -- deaths: <1, 1-4, 5-9, …, 80-84, 85+
        case
            when age_years < 1 then '<1'
            when age_years < 5 then '1-4'
            when age_years >= 85 then '85+'
            else five_year_floor || '-' || (five_year_floor + 4)
        end as death_age_band,
        case
            when age_years < 1 then 0
            when age_years < 5 then 1
            else least(five_year_floor, 85)
        end as death_age_band_sort,

        -- mother's age at the birth: <15, 15-19, …, 45-49, 50+
        case
            when age_years < 15 then '<15'
            when age_years >= 50 then '50+'
            else five_year_floor || '-' || (five_year_floor + 4)
        end as mother_age_band,
        case
            when age_years < 15 then 0
            else least(five_year_floor, 50)
        end as mother_age_band_sort,

        -- spouses at marriage: <18, 18-19, 20-24, …, 55-59, 60+ (18 and 20 are the legal ages)
        case
            when age_years < 18 then '<18'
            when age_years < 20 then '18-19'
            when age_years >= 60 then '60+'
            else five_year_floor || '-' || (five_year_floor + 4)
        end as marriage_age_band,
        case
            when age_years < 18 then 0
            when age_years < 20 then 18
            else least(five_year_floor, 60)
        end as marriage_age_band_sort,

        -- GSO population age groups (the feed's age_group): 0-4, …, 75-79, 80+
        case
            when age_years >= 80 then '80+'
            else five_year_floor || '-' || (five_year_floor + 4)
        end as gso_age_group,
        least(five_year_floor, 80) as gso_age_group_sort

    from five_year_floors
)

select * from banded
