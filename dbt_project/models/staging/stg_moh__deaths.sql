{% call delivered_rows_model('moh_deaths') %}
        source.notification_id,

        -- facility
        source.facility_code,
        source.admin_code_version,
        source.facility_province_code,

        -- the deceased and the death
        source.death_date,
        encode(source.deceased_pid, 'hex') as deceased_pid,
        source.sex,
        source.birth_date,
        source.underlying_cause_icd10,
        source.certified,

{% endcall %}
