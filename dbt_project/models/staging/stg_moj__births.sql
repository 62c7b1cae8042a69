{% call moj_staging_model('moj_births') %}
        -- the child and the birth
        encode(source.child_pid, 'hex') as child_pid,
        source.sex,
        source.birth_date,
        source.place_of_birth,
        source.birth_province_code,

        -- the mother
        encode(source.mother_pid, 'hex') as mother_pid,
        source.mother_birth_date,
        source.mother_residence_province_code,
{% endcall %}
