{#- Age in completed years at the event date (report.md "Age"): the difference of the years, less
    one when the event falls before the birthday in its year, which is the years of PostgreSQL's
    age(event, birth) (it borrows a year exactly when the event's month-day is before the birth's).
    So someone born on 29 February turns a year older on 1 March in a non-leap year and on 29
    February in a leap year. Null when either date is null, and when the birth date is after the
    event date (no age before birth; reported as UNKNOWN). age() in place of comparing month-day
    text (to_char) is the same age on every pair of dates 1990-2030 (docs/performance.md) and about
    half the time. -#}
{% macro age_in_completed_years(birth_date, event_date) -%}
    case
        when cast({{ birth_date }} as date) <= cast({{ event_date }} as date) then
            cast(extract(year from age(cast({{ event_date }} as date), cast({{ birth_date }} as date))) as integer)
    end
{%- endmacro %}
