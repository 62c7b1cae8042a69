{#- A percentage or ratio with one decimal place; null when the denominator is zero or null. -#}
{% macro safe_percent(numerator, denominator) -%}
    round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), 1)
{%- endmacro %}
