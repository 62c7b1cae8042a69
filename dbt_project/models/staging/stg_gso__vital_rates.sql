{% call delivered_rows_model('gso_vital_rates') %}

        -- area and year
        source.year,
        source.admin_code_version,
        source.province_code,

        -- rates per 1,000 population
        source.crude_birth_rate,
        source.crude_death_rate,

{% endcall %}
