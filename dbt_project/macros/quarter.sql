{#- Quarter label of a date, e.g. 2024-08-15 → '2024Q3' (the report's quarter labels). -#}
{% macro quarter_label(date_expr) -%}
    to_char({{ date_expr }}, 'YYYY"Q"Q')
{%- endmacro %}

{#- First and last day of the quarter a label names, e.g. '2024Q3' → 2024-07-01 / 2024-09-30. -#}
{% macro quarter_start(label_expr) -%}
    make_date(left({{ label_expr }}, 4)::integer, (right({{ label_expr }}, 1)::integer - 1) * 3 + 1, 1)
{%- endmacro %}

{% macro quarter_end(label_expr) -%}
    ({{ quarter_start(label_expr) }} + interval '3 months' - interval '1 day')::date
{%- endmacro %}

{#- The label of the quarter before, e.g. '2025Q1' → '2024Q4'. -#}
{% macro previous_quarter(label_expr) -%}
    {{ quarter_label(quarter_start(label_expr) ~ " - interval '3 months'") }}
{%- endmacro %}
