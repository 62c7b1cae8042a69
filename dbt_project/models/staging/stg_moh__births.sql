{% call delivered_rows_model('moh_births') %}
        source.notification_id,

        -- facility
        source.facility_code,
        source.admin_code_version,
        source.facility_province_code,

        -- the birth
        source.birth_date,
        source.sex,
        source.outcome,
        source.birth_weight_g,
        source.gestation_weeks,

        -- the mother
        encode(source.mother_pid, 'hex') as mother_pid,
        source.mother_birth_date,
        source.mother_residence_province_code,

{% endcall %}
