with

reg_kinds (reg_kind, description, is_new_event, sort_order) as (
    values
        ('NEW', 'Registration of the event (on time or late)', true, 1),
        ('RE_REGISTRATION', 'Re-registration of a pre-2016 event whose records were lost', false, 2),
        ('RECORDED_ABROAD', 'Event registered abroad and recorded in Vietnam', false, 3)
)

select * from reg_kinds
