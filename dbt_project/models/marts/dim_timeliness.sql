with

timeliness_classes (timeliness, description, sort_order) as (
    values
        ('ON_TIME', 'Within the legal limit: births ≤ 60 days, deaths ≤ 15 days after the event', 1),
        ('LATE', 'After the legal limit, within 365 days', 2),
        ('DELAYED_1_5Y', 'From 366 days to 1,825 days (5 years) after the event', 3),
        ('DELAYED_5Y_PLUS', 'More than 1,825 days after the event', 4),
        ('NOT_APPLICABLE', 'Marriages: the event is the registration', 5)
)

select * from timeliness_classes
