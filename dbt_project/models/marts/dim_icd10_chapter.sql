-- ICD-10 chapters with the ill-defined flag (R00–R99). Join a cause code on
-- left(code, 3) between first_category and last_category; a code in none of the ranges (the feed's
-- format allows A00–Z99, a few of which no chapter holds) finds no chapter.
with

chapters as (
    select * from {{ ref('icd10_chapters') }}
),

final as (
    select
        chapter_number,
        chapter_code,
        first_category,
        last_category,
        title_en,
        is_ill_defined
    from chapters
)

select * from final
order by chapter_number
