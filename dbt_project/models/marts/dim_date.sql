-- One row per calendar day, with its month, quarter and year (the report's quarter labels, e.g.
-- 2024Q3) and the lengths T8 prorates by: days_in_quarter / days_in_year (91/366 for 2024Q1, 90/365
-- for 2025Q1). The range (vars dim_date_first_day, dim_date_last_day) covers the oldest birth dates
-- the feeds carry (the deceased's, the spouses') and every registration to come.
with

reform as (
    select {{ province_list_2025_first_day() }} as first_day_2025
),

days as (
    select cast(day as date) as date_day
    from generate_series(
        cast('{{ var("dim_date_first_day", "1900-01-01") }}' as date),
        cast('{{ var("dim_date_last_day", "2099-12-31") }}' as date),
        interval '1 day'
    ) as calendar (day)
),

parts as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as year,
        cast(extract(quarter from date_day) as integer) as quarter_of_year,
        cast(extract(month from date_day) as integer) as month_of_year,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(date_trunc('quarter', date_day) as date) as quarter_start,
        cast(date_trunc('year', date_day) as date) as year_start
    from days
),

final as (
    select
        date_day,
        day_of_month,
        iso_day_of_week,
        to_char(date_day, 'YYYY-MM') as month,
        month_of_year,
        month_start,
        cast(month_start + interval '1 month' - interval '1 day' as date) as month_end,
        {{ quarter_label('date_day') }} as quarter,
        quarter_of_year,
        quarter_start,
        cast(quarter_start + interval '3 months' - interval '1 day' as date) as quarter_end,
        cast(quarter_start + interval '3 months' as date) - quarter_start as days_in_quarter,
        year,
        cast(year_start + interval '1 year' as date) - year_start as days_in_year,
        cast(year_start + interval '1 year' as date) - year_start = 366 as is_leap_year,
        -- the province list in force on the day
        case when date_day < reform.first_day_2025 then 'PRE2025' else '2025' end as admin_code_version
    from parts
    cross join reform
)

select * from final
order by date_day
