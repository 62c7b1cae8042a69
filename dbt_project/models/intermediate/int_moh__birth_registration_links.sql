-- Which current MOH live births are registered (report.md T8): a facility birth matches a current
-- NEW MOJ birth with the same mother pseudonym, birth date and sex, one to one. Twins match by
-- count: within a key, the first n facility births (by notification_id) are registered when MOJ
-- holds n registrations of that key. A birth without a mother identifier never matches.
with

facility_births as (
    select * from {{ ref('int_moh__births_current') }}
    where outcome = 'LIVE'
),

registered_births as (
    select
        mother_pid,
        birth_date,
        sex,
        count(*) as registrations
    from {{ ref('int_moj__births_current') }}
    where reg_kind = 'NEW'
        and mother_pid is not null
    group by mother_pid, birth_date, sex
),

numbered as (
    select
        notification_id,
        mother_pid,
        birth_date,
        sex,
        row_number() over (
            partition by mother_pid, birth_date, sex
            order by notification_id
        ) as order_within_key
    from facility_births
),

linked as (
    select
        numbered.notification_id,
        numbered.mother_pid,
        numbered.birth_date,
        numbered.sex,
        coalesce(registered_births.registrations, 0) as registrations_with_key,
        numbered.mother_pid is not null
            and numbered.order_within_key <= coalesce(registered_births.registrations, 0)
            as is_registered
    from numbered
    left join registered_births
        on numbered.mother_pid = registered_births.mother_pid
        and numbered.birth_date = registered_births.birth_date
        and numbered.sex = registered_births.sex
)

select * from linked
