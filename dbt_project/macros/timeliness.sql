{#- Timeliness of a registration from its delay in days (report.md "Delay and timeliness").
    Legal limits: births 60 days (Law on Civil Status art. 15), deaths 15 days (art. 33).
    Marriages are registered on the event date, so timeliness does not apply. -#}
{% macro timeliness(event_type, delay_days) -%}
    case
        when {{ event_type }} = 'MARRIAGE' then 'NOT_APPLICABLE'
        when {{ delay_days }} is null then null
        when {{ event_type }} = 'BIRTH' and {{ delay_days }} <= 60 then 'ON_TIME'
        when {{ event_type }} = 'DEATH' and {{ delay_days }} <= 15 then 'ON_TIME'
        when {{ delay_days }} <= 365 then 'LATE'
        when {{ delay_days }} <= 1825 then 'DELAYED_1_5Y'
        else 'DELAYED_5Y_PLUS'
    end
{%- endmacro %}
