{% call moj_staging_model('moj_deaths') %}
        -- the deceased and the death
        encode(source.deceased_pid, 'hex') as deceased_pid,
        source.sex,
        source.birth_date,
        source.death_date,
        source.place_of_death,
        source.death_province_code,
        source.residence_province_code,

        -- cause
        source.cause_icd10,
        source.cause_certified,
{% endcall %}
