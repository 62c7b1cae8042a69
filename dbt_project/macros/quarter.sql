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

{#- A text that should be a date (YYYY-MM-DD) as a date, null when it is none (2025-02-30, 'soon'):
    for what a refused delivery's manifest says, which no check has vouched for. -#}
{% macro date_or_null(text_expr) -%}
    case
        when {{ text_expr }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' and left({{ text_expr }}, 4) <> '0000'
            and extract(day from make_date(left({{ text_expr }}, 4)::integer, substr({{ text_expr }}, 6, 2)::integer, 1)
                + (right({{ text_expr }}, 2)::integer - 1)) = right({{ text_expr }}, 2)::integer
        then make_date(left({{ text_expr }}, 4)::integer, substr({{ text_expr }}, 6, 2)::integer,
                       right({{ text_expr }}, 2)::integer)
    end
{%- endmacro %}

{#- The first days of the quarters a delivery's period feeds (one row each, column quarter_start,
    for a lateral join): the quarters its period overlaps; a GSO delivery's figures are yearly, so
    every quarter of the years it overlaps. -#}
{% macro period_quarter_starts(agency, period_start, period_end) -%}
    generate_series(
        case when {{ agency }} = 'GSO' then date_trunc('year', cast({{ period_start }} as timestamp))
             else date_trunc('quarter', cast({{ period_start }} as timestamp)) end,
        case when {{ agency }} = 'GSO' then date_trunc('year', cast({{ period_end }} as timestamp)) + interval '9 months'
             else date_trunc('quarter', cast({{ period_end }} as timestamp)) end,
        interval '3 months'
    ) as period_quarters (quarter_start)
{%- endmacro %}
