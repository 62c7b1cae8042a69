{#- the marriage takes place on the registration date: it has no event date of its own #}
{% call moj_staging_model('moj_marriages') %}
        -- spouses
        encode(source.spouse1_pid, 'hex') as spouse1_pid,
        source.spouse1_sex,
        source.spouse1_birth_date,
        source.spouse1_prev_status,
        encode(source.spouse2_pid, 'hex') as spouse2_pid,
        source.spouse2_sex,
        source.spouse2_birth_date,
        source.spouse2_prev_status,
{% endcall %}
