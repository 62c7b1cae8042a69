{#- Age in completed years at the event date (report.md "Age"): the difference of the years, less
    one when the event falls before the birthday in its year. Birthdays compare as month-day
    text ('0229' > '0228'), so someone born on 29 February turns a year older on 1 March in a
    non-leap year and on 29 February in a leap year. Null when either date is null, and when the
    birth date is after the event date (no age before birth; reported as UNKNOWN). -#}
{% macro age_in_completed_years(birth_date, event_date) -%}
    case
        when cast({{ birth_date }} as date) <= cast({{ event_date }} as date) then
            cast(extract(year from cast({{ event_date }} as date)) - extract(year from cast({{ birth_date }} as date)) as integer)
            - case
                when to_char(cast({{ event_date }} as date), 'MMDD') < to_char(cast({{ birth_date }} as date), 'MMDD') then 1
                else 0
            end
    end
{%- endmacro %}
