{% call delivered_rows_model('gso_population') %}

        -- cell
        source.year,
        source.admin_code_version,
        source.province_code,
        source.sex,
        source.age_group,

        -- figure
        source.population,

{% endcall %}
