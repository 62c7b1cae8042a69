{% call moj_staging_model('moj_births') %}
        -- the child and the birth
        source.child_pid::text as child_pid,
        source.sex,
        source.birth_date,
        source.place_of_birth,
        source.birth_province_code,

        -- the mother
        source.mother_pid::text as mother_pid,
        source.mother_birth_date,
        source.mother_residence_province_code,
{% endcall %}
