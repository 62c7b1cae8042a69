-- Which current MOH live births are registered (report.md T8): a facility birth matches a current
-- NEW MOJ birth with the same mother pseudonym, birth date and sex, one to one. Twins match by
-- count: within a key, the n-th facility birth (by notification_id) is paired with the n-th
-- registration (by registration date, then record_id), so with n registrations of a key the first
-- n facility births are registered. A birth without a mother identifier never matches.
-- The one place of the linkage rule: fct_birth_linkage, T8 and the follow-up marts all read it.
--
-- Both sides are stacked and grouped on (key, order within key) rather than joined: the pairing
-- is then one sort, whatever the planner believes about the row counts (a join planned on
-- the few rows it expected from freshly loaded tables ran for minutes at 0.2 national scale).
with

facility_births as (
    select notification_id, mother_pid, birth_date, sex
    from {{ ref('int_moh__births_current') }}
    where outcome = 'LIVE'
),

registrations as (
    select record_id, registration_date, mother_pid, birth_date, sex
    from {{ ref('int_moj__births_current') }}
    where reg_kind = 'NEW'
        and mother_pid is not null
),

both_sides as (
    select
        notification_id,
        cast(null as text) as record_id,
        cast(null as date) as registration_date,
        mother_pid,
        birth_date,
        sex,
        row_number() over (
            partition by mother_pid, birth_date, sex
            order by notification_id
        ) as order_within_key
    from facility_births

    union all

    select
        cast(null as text) as notification_id,
        record_id,
        registration_date,
        mother_pid,
        birth_date,
        sex,
        row_number() over (
            partition by mother_pid, birth_date, sex
            order by registration_date, record_id
        ) as order_within_key
    from registrations
),

counted as (
    select
        *,
        count(record_id) over (partition by mother_pid, birth_date, sex) as registrations_with_key
    from both_sides
),

-- at most one facility birth and one registration per (key, order within key)
paired as (
    select
        max(notification_id) as notification_id,
        mother_pid,
        birth_date,
        sex,
        max(registrations_with_key) as registrations_with_key,
        max(record_id) as matched_record_id,
        max(registration_date) as matched_registration_date
    from counted
    group by mother_pid, birth_date, sex, order_within_key
),

linked as (
    select
        notification_id,
        mother_pid,
        birth_date,
        sex,
        registrations_with_key,
        matched_record_id,
        matched_registration_date,
        matched_record_id is not null as is_registered
    from paired
    where notification_id is not null
)

select * from linked
