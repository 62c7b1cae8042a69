-- Which current MOH live births are registered (report.md T8): a facility birth matches a current
-- NEW MOJ birth with the same mother pseudonym, birth date and sex, one to one. Twins match by
-- count: within a key, the n-th facility birth (by notification_id) is paired with the n-th
-- registration (by registration date, then record_id), so with n registrations of a key the first
-- n facility births are registered. A birth without a mother identifier never matches.
-- The one place of the linkage rule: fct_birth_linkage, T8 and the follow-up marts all read it.
with

facility_births as (
    select * from {{ ref('int_moh__births_current') }}
    where outcome = 'LIVE'
),

registrations as (
    select
        record_id,
        registration_date,
        mother_pid,
        birth_date,
        sex,
        row_number() over (
            partition by mother_pid, birth_date, sex
            order by registration_date, record_id
        ) as order_within_key
    from {{ ref('int_moj__births_current') }}
    where reg_kind = 'NEW'
        and mother_pid is not null
),

registrations_per_key as (
    select
        mother_pid,
        birth_date,
        sex,
        count(*) as registrations
    from registrations
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
        coalesce(registrations_per_key.registrations, 0) as registrations_with_key,
        registrations.record_id as matched_record_id,
        registrations.registration_date as matched_registration_date,
        registrations.record_id is not null as is_registered
    from numbered
    left join registrations_per_key
        on numbered.mother_pid = registrations_per_key.mother_pid
        and numbered.birth_date = registrations_per_key.birth_date
        and numbered.sex = registrations_per_key.sex
    left join registrations
        on numbered.mother_pid = registrations.mother_pid
        and numbered.birth_date = registrations.birth_date
        and numbered.sex = registrations.sex
        and numbered.order_within_key = registrations.order_within_key
)

select * from linked
