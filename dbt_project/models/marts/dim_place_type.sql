-- Places of birth and death as the feed contract codes them, in report order.
with

place_types as (
    select * from {{ ref('place_types') }}
),

final as (
    select
        place_type,
        label_en,
        label_vi,
        sort_order
    from place_types
)

select * from final
order by sort_order
