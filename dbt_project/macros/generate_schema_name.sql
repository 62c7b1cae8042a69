{#- Schemas are exactly the layer names (staging, intermediate, marts, reports, reference), never
    prefixed with the target schema: analysts and the report writer address them by those names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
