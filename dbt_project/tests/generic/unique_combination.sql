{#- Fails for every combination of `columns` that occurs more than once (a compound key).
    dbt_utils.unique_combination_of_columns is not available offline, hence this one. -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
