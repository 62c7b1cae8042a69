with

event_types (event_type, event_name, on_time_limit_days, legal_basis, sort_order) as (
    values
        ('BIRTH', 'Live birth', 60, 'Law on Civil Status 60/2014/QH13, art. 15', 1),
        ('DEATH', 'Death', 15, 'Law on Civil Status 60/2014/QH13, art. 33', 2),
        ('MARRIAGE', 'Marriage', null::integer, 'registered on the day of the marriage', 3)
)

select * from event_types
